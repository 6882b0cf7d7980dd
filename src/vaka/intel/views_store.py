"""Pages of the STIX store: browse, object, submit, submissions, lookup, inbox."""

import csv
import io
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from vaka.directory.roles import Capability
from vaka.intel import corrections, lookup_results, originals, queued, selectors, services
from vaka.intel.filtersets import TYPE_LABELS, StixObjectFilter, wants_revoked
from vaka.intel.forms_store import ExclusionForm, LookupForm, SubmitForm
from vaka.intel.galaxies import GALAXIES, cluster_values
from vaka.intel.models import StixObject, Submission, WarninglistEntry
from vaka.intel.originals import Original
from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.extract import extract, read_text
from vaka.intel.review import review_flags
from vaka.web import throttling
from vaka.web.pagination import paginate, query_without_page


@login_required
def object_list(request: HttpRequest) -> HttpResponse:
    """The objects the user may see, filtered as the API filters them; a bad filter value
    is a 400 page naming the field, never a silently unfiltered or empty list."""
    filterset = StixObjectFilter(request.GET or None, queryset=selectors.objects_for(
        request.user, include_revoked=wants_revoked(request.GET)))
    valid = not filterset.is_bound or filterset.is_valid()
    used = {name: request.GET[name] for name in filterset.filters
            if request.GET.get(name, "") != ""} if valid else None
    page = paginate(request, filterset.qs if valid else filterset.queryset.none())
    selectors.name_relationship_rows(page.object_list, request.user)
    return render(request, "intel/object_list.html", {
        "form": filterset.form, "types": TYPE_LABELS, "query": query_without_page(request),
        "export_query": None if used is None else urlencode(used), "page": page},
        status=200 if valid else 400)


@login_required
def object_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.object_for(request.user, pk, request=request)
    referred, relationships = selectors.related_objects(obj, request.user)
    return render(request, "intel/object_detail.html", {
        "obj": obj, "stix_json": json.dumps(obj.data, indent=2, ensure_ascii=False),
        "versions": selectors.versions_for(request.user, StixObject.objects.filter(
            pk=obj.pk)).order_by("-stix_modified", "-pk")[:20], "referred": referred,
        "relationships": relationships, "contact": services.desk_contact(),
        "correlations": selectors.correlations_of(obj, request.user),
        "can_correct": corrections.may_correct(request.user, obj)})


@login_required
@throttling.limit("submissions")
def submit(request: HttpRequest) -> HttpResponse:
    """Upload or paste; free text goes through a review of what was found first."""
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    form = SubmitForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        content = upload.read() if upload else data["content"].encode()
        filename = upload.name if upload else ""
        fmt = ("text" if "reviewed" in request.POST
               else data["format"] or services.guess_format(content[:65536], filename))
        if fmt == "text" and "reviewed" not in request.POST:
            try:
                read = read_text(content, filename or "pasted.txt")
            except InputError as error:  # names the file and why; nothing is kept
                form.add_error("file" if upload else "content", str(error))
            else:
                # What was left out is shown before the analyst stores anything from it.
                # Uncertain values come too, unticked with their reason: nothing uncertain
                # is stored unless the analyst ticks it.
                found = extract(read.text, uncertain=True)
                return render(request, "intel/review.html", {
                    "form": form, "found": found, "problems": read.problems,
                    "uncertain": sum(not i.certain for i in found),
                    "flags": review_flags(found, user=request.user, request=request),
                    "contact": services.desk_contact(),
                    "original": originals.stash(request.session, Original(content, filename))})
        else:
            original: Original | None = Original(content, filename)
            if "reviewed" in request.POST:  # the analyst's selection of what was found
                content, fmt = _reviewed_csv(request.POST.getlist("indicator")), "csv"
                # A reviewed paste has no file name, as a paste stored at once has none:
                # its original (the pasted text) downloads as a .txt, not as a made-up .csv.
                filename = request.POST.get("reviewed_name", "")
                # The advisory the values came from, kept since the review began.
                original = originals.take(request.session, request.POST.get("original", ""))
            from_file = bool(upload or request.POST.get("reviewed_name"))
            given = {"organisation": request.user.organisation, "user": request.user,
                     "markings": form.markings(), "labels": form.labels(),
                     "source": Submission.Source.UPLOAD if from_file
                     else Submission.Source.PASTE, "fmt": fmt, "filename": filename,
                     "name": filename if from_file else "", "original": original,
                     "partial": data["partial"]}
            try:
                # A large input goes to the worker: its page follows it (queued.py).
                submission = queued.queue_ingest(content, **given) \
                    if queued.in_background(len(content)) \
                    else services.ingest_bytes(content, **given, request=request)
            except ValidationError as error:  # the markings break a rule: nothing stored
                form.apply_errors(error)
            else:
                return redirect(submission)
    return render(request, "intel/submit.html", {"form": form})


def _reviewed_csv(selected: list[str]) -> bytes:
    """The indicators an analyst ticked ("kind<TAB>value" each) as a CSV to ingest."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["type", "value"])
    for item in selected:
        kind, _tab, value = item.partition("\t")
        writer.writerow([kind, value])
    return buffer.getvalue().encode()


@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    return render(request, "intel/submission_list.html", {
        "page": paginate(request, selectors.submissions_for(request.user))})


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(selectors.submissions_for(request.user), pk=pk)
    objects = selectors.objects_for(request.user).filter(submission=submission)
    return render(request, "intel/submission_detail.html", {
        "submission": submission, "objects": objects[:100], "object_count": objects.count(),
        "can_correct": request.user.can(Capability.CONTRIBUTE)})


@login_required
@throttling.limit("lookup")
def lookup(request: HttpRequest) -> HttpResponse:
    """Look values up once (POST), then show the kept answers a page at a time (GET), hits
    first under a line of counts of every value, or all of them as CSV."""
    if request.method == "POST":
        form = LookupForm(request.POST)
        if not form.is_valid():
            return _lookup_page(request, form)
        answers = services.hits_first(services.lookup(
            form.cleaned_data["values"], user=request.user, request=request))
        only_found = form.cleaned_data["only_found"]
        if "csv" in request.POST:  # the download is the answer: nothing to page
            return _lookup_csv([a for a in answers if a.found or not only_found])
        result = lookup_results.keep(request.session, answers,
                                     services.LookupSummary.of(answers), only_found=only_found)
        # Redirect, so that a reload shows the page again instead of looking up (and
        # notifying the owners) again.
        return redirect(f"{reverse('intel:lookup')}?{urlencode({'result': result})}")
    kept = lookup_results.kept(request.session, request.GET.get("result", ""))
    if kept is None:
        if "result" in request.GET:
            messages.info(request, _("Those results are no longer kept: a newer look-up "
                                     "replaced them, or you signed out. Look the values up "
                                     "again."))
        return _lookup_page(request, LookupForm())
    if request.GET.get("format") == "csv":
        return _lookup_csv(lookup_results.answers_of(kept.shown, request.user))
    page = Paginator(kept.shown, lookup_results.PAGE_SIZE).get_page(request.GET.get("page"))
    initial = {"only_found": kept.only_found}
    if kept.summary.values <= lookup_results.PAGE_SIZE:  # a short list stays in the box
        initial["values"] = "\n".join(row[0] for row in kept.rows)
    return _lookup_page(request, LookupForm(initial=initial), kept=kept, page=page,
                        answers=lookup_results.answers_of(page.object_list, request.user))


def _lookup_page(request: HttpRequest, form: LookupForm, *,
                 kept: lookup_results.KeptLookup | None = None, page: Page | None = None,
                 answers: list[services.LookupAnswer] | None = None) -> HttpResponse:
    return render(request, "intel/lookup.html", {
        "form": form, "answers": answers, "page": page,
        "summary": kept.summary if kept else None, "result": kept.id if kept else "",
        "query": urlencode({"result": kept.id}) if kept else "",
        "contact": services.desk_contact()})


def _lookup_csv(answers: list[services.LookupAnswer]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="lookup.csv"'
    writer = csv.writer(response)
    writer.writerow(["value", "type", "canonical", "records_you_see", "held_elsewhere",
                     "warninglists", "error"])
    for a in answers:
        writer.writerow([a.value, a.type or "", a.canonical or "",
                         "; ".join(f"{m.name} ({m.owner})" for m in a.matches),
                         "; ".join(o.name for o in a.holders) or ("yes" if a.hits else "no"),
                         a.warninglists, a.error])
    return response


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The hit list moved into the inbox, with every other kind of notice."""
    return redirect("inbox:list")


@login_required
def exclusions(request: HttpRequest) -> HttpResponse:
    """Platform admins' own warninglist: values that must never correlate."""
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    form = ExclusionForm(request.POST or None)
    if request.method == "POST" and "remove" in request.POST:
        entry = get_object_or_404(WarninglistEntry, pk=request.POST["remove"])
        services.remove_exclusion(entry, user=request.user, request=request)
        return redirect("intel:exclusions")
    if request.method == "POST" and form.is_valid():
        try:
            services.add_exclusion(user=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            return redirect("intel:exclusions")
    return render(request, "intel/exclusions.html", {
        "form": form, "entries": WarninglistEntry.objects.select_related("created_by")})


@login_required
@cache_control(private=True, max_age=86400)
def galaxy_options(request: HttpRequest, galaxy: str) -> HttpResponse:
    """The names of a MISP galaxy as a <datalist>, fetched when a tag field is first used."""
    if galaxy not in GALAXIES:
        raise Http404
    return render(request, "intel/_galaxy_options.html",
                  {"galaxy": galaxy, "values": cluster_values(galaxy)})
