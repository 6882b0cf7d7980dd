"""The catalogue's pages: courses and their sessions. Parse the request, call a service or a
selector, render.

Every page on one course or session starts from ``selectors_courses.course_for`` /
``session_for`` (404 outside the course's audience, before anything else); writes go
through ``training.courses``, which checks who may make them (403 for a reader who may
not manage the course).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.training import courses
from vaka.training import selectors_courses as selectors
from vaka.training.filtersets_courses import CourseFilter, SessionFilter
from vaka.training.forms_courses import (
    CancelForm,
    CourseForm,
    SessionForm,
    TrainersForm,
    language_choices,
)
from vaka.training.models import Course, Session, Topic
from vaka.web.pagination import paginate, query_without_page


def _labels(codes: list[str], choices: Any) -> list[str]:
    names = dict(choices)
    return [str(names.get(code, code)) for code in codes]


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The courses the user may see, filtered (archived ones only when asked for); a bad
    filter value is a 400 naming it."""
    filterset = CourseFilter(request.GET, queryset=selectors.courses_for(request.user))
    valid = filterset.is_valid()
    page = paginate(request, filterset.qs if valid else filterset.queryset.none())
    upcoming = selectors.upcoming_counts(list(page.rows))
    rows = [(course, upcoming.get(course.pk, 0), _labels(course.topics, Topic.choices))
            for course in page.rows]
    return render(request, "training/courses/catalogue.html", {
        "form": filterset.form, "page": page, "rows": rows,
        "query": query_without_page(request),
        "can_create": request.user.can(Capability.TRAIN)},
        status=200 if valid else 400)


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_for(request.user, pk, request=request)
    sessions = list(selectors.sessions_of(course))
    today = selectors.today()
    return render(request, "training/courses/course_detail.html", {
        "course": course, "can_manage": courses.can_manage(request.user, course),
        "topics": _labels(course.topics, Topic.choices),
        "languages": _labels(course.languages, language_choices()),
        "upcoming": [s for s in sessions if s.ends >= today],
        "past": [s for s in sessions if s.ends < today]})


def _save_course(request: HttpRequest, form: CourseForm,
                 course: Course | None = None) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        if course is None:
            course = courses.create_course(request.user, form.details(), form.markings(),
                                           request=request)
        else:
            courses.update_course(request.user, course, form.details(), form.markings(),
                                  request=request)
    except ValidationError as error:
        form.apply_errors(error)
        return None
    messages.success(request, _("Course saved."))
    return redirect(course)


@login_required
def course_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.TRAIN):
        raise PermissionDenied
    form = CourseForm(request.POST or None, user=request.user)
    if request.method == "POST" and (response := _save_course(request, form)):
        return response
    return render(request, "training/courses/course_form.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_for(request.user, pk)
    courses.check_manager(request.user, course)
    form = CourseForm(request.POST or None, instance=course, user=request.user)
    if request.method == "POST" and (response := _save_course(request, form, course)):
        return response
    return render(request, "training/courses/course_form.html",
                  {"form": form, "course": course}, status=400 if form.errors else 200)


@login_required
@require_POST
def course_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive a course, or bring it back (``archived=false``)."""
    course = selectors.course_for(request.user, pk)
    archived = request.POST.get("archived", "true") != "false"
    courses.archive_course(request.user, course, archived=archived, request=request)
    messages.success(request, _("Course archived: it no longer shows in the catalogue.")
                     if archived else _("Course back in the catalogue."))
    return redirect(course)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    """The sessions the user may see (those of the courses they see), filtered."""
    visible_courses = selectors.courses_for(request.user)
    filterset = SessionFilter(request.GET, queryset=selectors.sessions_for(request.user),
                              courses=visible_courses)
    valid = filterset.is_valid()
    page = paginate(request, filterset.qs if valid else filterset.queryset.none())
    return render(request, "training/courses/session_list.html", {
        "form": filterset.form, "page": page, "query": query_without_page(request),
        "today": selectors.today()}, status=200 if valid else 400)


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for(request.user, pk, request=request)
    trainers = list(selectors.trainers_of(request.user, session))
    taken = selectors.seats_taken(session)
    return render(request, "training/courses/session_detail.html", {
        "session": session, "course": session.course,
        "can_manage": courses.can_manage(request.user, session.course),
        "trainers": trainers, "other_trainers": session.trainers.count() - len(trainers),
        "seats_taken": taken, "seats_left": max(session.capacity - taken, 0),
        "cancel_form": CancelForm()})


def _session_form(request: HttpRequest, form: SessionForm, course: Course,
                  session: Session | None = None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            if session is None:
                session = courses.create_session(request.user, course, form.details(),
                                                 request=request)
            else:
                courses.update_session(request.user, session, form.details(),
                                       request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Session %s saved.") % session.reference)
            return redirect(session)
    return render(request, "training/courses/session_form.html",
                  {"form": form, "course": course, "session": session},
                  status=400 if form.errors else 200)


@login_required
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_for(request.user, pk)
    courses.check_manager(request.user, course)
    return _session_form(request, SessionForm(request.POST or None), course)


@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for(request.user, pk)
    courses.check_manager(request.user, session.course)
    form = SessionForm(request.POST or None, instance=session)
    return _session_form(request, form, session.course, session)


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for(request.user, pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        courses.cancel_session(request.user, session, reason=reason, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Session %s cancelled.") % session.reference)
    return redirect(session)


@login_required
def session_trainers(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for(request.user, pk)
    courses.check_manager(request.user, session.course)
    form = TrainersForm(request.POST or None, user=request.user, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            courses.set_trainers(request.user, session, form.cleaned_data["trainers"],
                                 request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Trainers saved."))
            return redirect(session)
    return render(request, "training/courses/trainers_form.html",
                  {"form": form, "session": session, "course": session.course},
                  status=400 if form.errors else 200)
