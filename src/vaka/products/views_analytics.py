"""The analytics dashboard (``/analytics/``) and each chart's data as CSV: parse the filter,
ask ``analytics.figures_for`` for what the viewer may see, render."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.safestring import mark_safe

from vaka.operations import figures as operation_figures
from vaka.products import analytics
from vaka.products.filtersets import AnalyticsFilter
from vaka.web.charts import render_svg, to_csv


def _filter(request: HttpRequest) -> tuple[AnalyticsFilter, bool]:
    form = AnalyticsFilter(request.GET or None)
    return form, not form.is_bound or form.is_valid()


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every chart, drawn on the server, with a link to its data; a bad filter is a 400
    saying which parameter and why."""
    form, valid = _filter(request)
    figures = analytics.figures_for(request.user, **form.filters()) if valid else None
    rtl = translation.get_language_bidi()
    charts = [] if figures is None else [
        # render_svg escapes every text it draws.
        (name, figures.charts[name], mark_safe(render_svg(  # noqa: S308
            figures.charts[name], rtl=rtl, chart_id=f"chart-{name}")))
        for name in analytics.CHARTS]
    results = (operation_figures.rollup_for(request.user, **form.filters())
               if valid else None)
    result_charts = [] if results is None else [
        (name, mark_safe(render_svg(  # noqa: S308
            results.charts[name], rtl=rtl, chart_id=f"chart-{name}")))
        for name in operation_figures.CHARTS if name != "operation-funds"]
    return render(request, "products/analytics.html", {
        "form": form, "figures": figures, "charts": charts, "query": form.query(),
        "results": results, "result_charts": result_charts,
        "refresh_minutes": settings.ANALYTICS_REFRESH_MINUTES},
        status=200 if valid else 400)


@login_required
def chart_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's data (its labels and series) with the page's filters; the operations
    results' charts too."""
    if chart not in analytics.CHARTS and chart not in operation_figures.CHARTS:
        raise Http404
    form, valid = _filter(request)
    if not valid:
        problems = "\n".join(f"{name}: {' '.join(errors)}" for name, errors
                             in form.errors.items())
        return HttpResponse(problems + "\n", status=400, content_type="text/plain; "
                            "charset=utf-8")
    if chart in operation_figures.CHARTS:
        drawn = operation_figures.rollup_for(request.user, **form.filters()).charts[chart]
    else:
        drawn = analytics.figures_for(request.user, **form.filters()).charts[chart]
    response = HttpResponse(to_csv(drawn), content_type="text/csv; "
                            "charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vaka-{chart}.csv"'
    return response
