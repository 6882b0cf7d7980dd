"""The participants' and enrolments' pages: parse the request, call a service or read
through ``visible_to``, render.

Every page on one person, session or enrolment first finds it among those the user may
see (404 otherwise, before anything else); writes go through ``training.participants``
and ``training.enrolments``, which check who may make them (403).
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.policy.visibility import can_see, visible_to
from vaka.training import enrolments, participants
from vaka.training.courses import can_manage
from vaka.training.forms_people import ParticipantFilter, ParticipantForm, ScoresForm
from vaka.training.models import Attendance, Certificate, Enrolment, Participant, Session
from vaka.web.pagination import paginate, query_without_page

SORTABLE = {"name": "family_name", "organisation": "organisation__name"}


def _person(user: Any, pk: int) -> Participant:
    person = visible_to(user, Participant.objects.select_related(
        "organisation", "country", "merged_into")).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def _session(user: Any, pk: int) -> Session:
    session = Session.objects.visible_to(user).select_related("course").filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def _enrolment(user: Any, pk: int) -> Enrolment:
    enrolment = visible_to(user, Enrolment.objects.select_related(
        "participant", "session__course")).filter(pk=pk).first()
    if enrolment is None:
        raise Http404
    return enrolment


def _refused(request: HttpRequest, error: Exception) -> None:
    text = (" ".join(m for ms in error.message_dict.values() for m in ms)
            if hasattr(error, "error_dict") else " ".join(getattr(error, "messages", [])
                                                       or [str(error)]))
    messages.error(request, text)


@login_required
def participant_list(request: HttpRequest) -> HttpResponse:
    """The people the user may see, merged records left out; filtered and searched."""
    form = ParticipantFilter(request.GET or None)
    people = participants.visible_participants(request.user).select_related(
        "organisation", "country")
    valid = form.is_valid() if request.GET else True
    if valid and request.GET:
        people = form.apply(people)
    page = paginate(request, people if valid else people.none(), sortable=SORTABLE)
    return render(request, "training/people/participant_list.html", {
        "form": form, "page": page, "query": query_without_page(request),
        "can_create": participants.can_create(request.user)},
        status=200 if valid else 400)


@login_required
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request.user, pk)
    if person.merged_into_id and can_see(request.user, person.merged_into):
        return redirect(person.merged_into)
    rows = list(visible_to(request.user, person.enrolments.select_related(
        "session__course")).order_by("-session__starts"))
    certificates = {c.enrolment_id: c for c in visible_to(
        request.user, Certificate.objects.filter(enrolment__in=[e.pk for e in rows]))}
    return render(request, "training/people/participant_detail.html", {
        "person": person, "rows": [(e, certificates.get(e.pk)) for e in rows],
        "can_edit": participants.can_edit(request.user, person)})


def _participant_form(request: HttpRequest, form: ParticipantForm,
                      person: Participant | None, session: Session | None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            if person is None:
                person = participants.create_participant(request.user, session=session,
                                                         **form.details())
            else:
                participants.update_participant(request.user, person, **form.details())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("%s saved.") % person)
            return redirect(session or person)
    return render(request, "training/people/participant_form.html", {
        "form": form, "person": person, "session": session},
        status=400 if request.method == "POST" else 200)


@login_required
def participant_create(request: HttpRequest) -> HttpResponse:
    if not participants.can_create(request.user):
        raise PermissionDenied
    session = None
    raw = request.GET.get("session") or request.POST.get("session")
    if raw:
        if not raw.isdigit():
            raise Http404
        session = _session(request.user, int(raw))
    initial = {"organisation": request.user.organisation,
               "country": request.user.organisation.country}
    form = ParticipantForm(request.POST or None, initial=initial)
    return _participant_form(request, form, None, session)


@login_required
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request.user, pk)
    if not participants.can_edit(request.user, person):
        raise PermissionDenied
    form = ParticipantForm(request.POST or None, instance=Participant.objects.get(pk=pk))
    return _participant_form(request, form, person, None)


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    return render(request, "training/people/duplicates.html", {
        "pairs": participants.find_duplicates(request.user)})


@login_required
@require_POST
def merge(request: HttpRequest) -> HttpResponse:
    ids = [request.POST.get("keep", ""), request.POST.get("duplicate", "")]
    if not all(value.isdigit() for value in ids):
        messages.error(request, _("Choose the two records to merge."))
        return redirect("training:participant_duplicates")
    keep, duplicate = (_person(request.user, int(value)) for value in ids)
    try:
        participants.merge_participants(request.user, keep, duplicate)
    except ValidationError as error:
        _refused(request, error)
        return redirect("training:participant_duplicates")
    messages.success(request, _("%(duplicate)s was merged into %(keep)s.")
                     % {"duplicate": duplicate, "keep": keep})
    return redirect(keep)


@login_required
@require_POST
def session_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request.user, pk)
    raw = request.POST.get("participant", "")
    if not raw.isdigit():
        messages.error(request, _("Choose a person to enrol."))
        return redirect(session)
    person = _person(request.user, int(raw))
    return _enrolled(request, session, lambda: enrolments.enrol(request.user, session, person))


@login_required
@require_POST
def session_self_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request.user, pk)
    return _enrolled(request, session, lambda: enrolments.self_enrol(request.user, session))


def _enrolled(request: HttpRequest, session: Session,
              enrol: Callable[[], Enrolment]) -> HttpResponse:
    """Enrol (``enrol()``), then say where the person is: in, or on the waiting list."""
    try:
        enrolment = enrol()
    except ValidationError as error:
        _refused(request, error)
    else:
        (messages.warning if enrolment.status == Enrolment.Status.WAITLISTED
         else messages.success)(request, enrolments.outcome(enrolment))
    return redirect(session)


@login_required
@require_POST
def enrolment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request.user, pk)
    try:
        promoted = enrolments.withdraw(request.user, enrolment)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("%s withdrawn.") % enrolment.participant)
        if promoted is not None and can_see(request.user, promoted.participant):
            messages.info(request, _("%s moved from the waiting list into the session.")
                          % promoted.participant)
    return redirect(enrolment.session)


def _day(session: Session, raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else session.starts
    except ValueError:
        return None


@login_required
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet of one day: a checkbox per enrolled person the user sees."""
    session = _session(request.user, pk)
    if not enrolments.runs(request.user, session):
        raise PermissionDenied
    day = _day(session, request.POST.get("day") or request.GET.get("day", ""))
    error = "" if day else _("“%s” is not a date (YYYY-MM-DD).") % (
        request.POST.get("day") or request.GET.get("day"))
    status = 200
    if request.method == "POST" and day:
        try:
            count = enrolments.record_attendance(request.user, session, day,
                                                 request.POST.getlist("present"))
        except ValidationError as refused:
            error = " ".join(m for ms in refused.message_dict.values() for m in ms)
            status = 400
        else:
            messages.success(request, _("Attendance of %(day)s saved: %(n)d present.")
                             % {"day": day.isoformat(), "n": count})
            return redirect(f"{request.path}?day={day.isoformat()}")
    elif not day:
        status = 400
    enrolled = list(visible_to(request.user, Enrolment.objects.filter(
        session=session, status=Enrolment.Status.ENROLLED)).select_related("participant"))
    present = set(Attendance.objects.filter(enrolment__in=enrolled, day=day, present=True)
                  .values_list("enrolment_id", flat=True)) if day else set()
    return render(request, "training/people/attendance.html", {
        "session": session, "course": session.course, "day": day, "error": error,
        "days": enrolments.session_days(session),
        "rows": [(e, e.pk in present) for e in enrolled]}, status=status)


@login_required
def session_scores(request: HttpRequest, pk: int) -> HttpResponse:
    """Pre- and post-test scores of every enrolled person the user sees, and their
    completion (evaluated by the course's rules, or set by a manager)."""
    session = _session(request.user, pk)
    if not enrolments.runs(request.user, session):
        raise PermissionDenied
    enrolled = list(visible_to(request.user, Enrolment.objects.filter(
        session=session, status=Enrolment.Status.ENROLLED)).select_related("participant"))
    forms = {e.pk: ScoresForm(request.POST if request.method == "POST" else None,
                              prefix=str(e.pk),
                              initial={"pre_score": e.pre_score, "post_score": e.post_score})
             for e in enrolled}
    status = 200
    if request.method == "POST":
        saved = 0
        for enrolment in enrolled:
            form = forms[enrolment.pk]
            if not form.is_valid():
                status = 400
                continue
            try:
                enrolments.record_scores(request.user, enrolment,
                                         pre=form.cleaned_data["pre_score"],
                                         post=form.cleaned_data["post_score"])
                saved += 1
            except ValidationError as error:
                form.apply_errors(error)
                status = 400
        if status == 200:
            messages.success(request, _("Scores saved."))
            return redirect(request.path)
    return render(request, "training/people/scores.html", {
        "session": session, "course": session.course,
        "can_override": can_manage(request.user, session.course),
        "rows": [(e, forms[e.pk], enrolments.evaluate(e)) for e in enrolled],
        "completions": Enrolment._meta.get_field("completion").choices}, status=status)


@login_required
@require_POST
def enrolment_completion(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request.user, pk)
    chosen = request.POST.get("completion") or None
    try:
        enrolments.set_completion(request.user, enrolment, chosen)
    except ValidationError as error:
        _refused(request, error)
    else:
        enrolment.refresh_from_db()
        messages.success(request, _("%(name)s: %(completion)s.") % {
            "name": enrolment.participant, "completion": enrolment.get_completion_display()})
    return redirect("training:session_scores", enrolment.session_id)
