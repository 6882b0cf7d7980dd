"""The training statistics page, each chart's data as CSV, and the donor report (PDF,
XLSX): parse the one filter, ask ``statistics`` / ``donor_report`` for what the viewer may
see, render. A bad filter is a 400 saying which parameter and why."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.policy.markings import TLP
from vaka.training import donor_report as reports
from vaka.training import statistics
from vaka.training.forms_stats import StatisticsFilter
from vaka.web.charts import render_svg, to_csv
from vaka.web.pdf import pdf_response, render_template_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter(request: HttpRequest) -> tuple[StatisticsFilter, bool]:
    form = StatisticsFilter(request.GET or None)
    return form, not form.is_bound or form.is_valid()


def _refused(form: StatisticsFilter) -> HttpResponse:
    return HttpResponse(form.problems(), status=400,
                        content_type="text/plain; charset=utf-8")


def _svgs(figures: statistics.TrainingFigures) -> list[tuple[str, str]]:
    rtl = translation.get_language_bidi()
    drawn = statistics.charts(figures)
    # render_svg escapes every text it draws.
    return [(name, mark_safe(render_svg(drawn[name], rtl=rtl,  # noqa: S308
                                        chart_id=f"chart-{name}")))
            for name in statistics.CHARTS]


@login_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    """The figures and their charts, with links to each chart's CSV and to the report."""
    form, valid = _filter(request)
    figures = statistics.training_figures(request.user, form.filters()) if valid else None
    return render(request, "training/stats/statistics.html", {
        "form": form, "figures": figures, "query": form.query(),
        "charts": _svgs(figures) if figures else []}, status=200 if valid else 400)



@login_required
def chart_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's data (its labels and series) with the page's filters."""
    if chart not in statistics.CHARTS:
        raise Http404
    form, valid = _filter(request)
    if not valid:
        return _refused(form)
    figures = statistics.training_figures(request.user, form.filters())
    response = HttpResponse(to_csv(statistics.charts(figures)[chart]),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vaka-training-{chart}.csv"'
    patch_cache_control(response, private=True, no_store=True)
    return response


def _report(request: HttpRequest) -> tuple[StatisticsFilter, reports.DonorReport | None]:
    form, valid = _filter(request)
    return form, reports.donor_report(request.user, form.filters()) if valid else None


def _name(report: reports.DonorReport, extension: str) -> str:
    f = report.filters
    parts = ["donor-report", f.programme or "", f"{f.since or ''}", f"{f.until or ''}"]
    return "-".join(p for p in parts if p) + extension


@login_required
def donor_report_pdf(request: HttpRequest) -> HttpResponse:
    """The donor report as a PDF: the figures with their charts, the sessions held and the
    human-rights and gender content delivered."""
    form, report = _report(request)
    if report is None:
        return _refused(form)
    labels = dict(TLP.choices)
    pdf = render_template_pdf("training/stats/donor_report_pdf.html", {
        "report": report, "form": form, "charts": _svgs(report.figures),
        "tlp": report.tlp, "tlp_label": labels[report.tlp],
        "reference": _("Donor report"), "issued": timezone.localdate()})
    return pdf_response(pdf, _name(report, ".pdf"), inline=False)


@login_required
def donor_report_xlsx(request: HttpRequest) -> HttpResponse:
    """The donor report as an XLSX workbook, one sheet per table."""
    form, report = _report(request)
    if report is None:
        return _refused(form)
    response = HttpResponse(reports.workbook(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_name(report, ".xlsx")}"'
    patch_cache_control(response, private=True, no_store=True)
    return response
