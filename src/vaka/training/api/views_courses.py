"""Courses and sessions over the REST API: ``/api/training/courses/`` and
``/api/training/sessions/``.

Thin: each request is parsed, handed to a service (``training.courses``) or a selector
(``training.selectors_courses``) and answered. A course or session you may not see is a
404 whatever the reason, on every route, POSTs included; what you may see but not do is a
403; bad input is a 400 naming each field (the project's exception handler turns the
services' ``ValidationError`` and ``PermissionDenied`` into those). The lists take the
catalogue's and the session list's filters (``training.filtersets_courses``).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.policy.inputs import NAMES
from vaka.policy.services import Markings
from vaka.policy.visibility import visible_to
from vaka.training import courses, selectors_courses
from vaka.training.api.serializers import (
    CancelSerializer,
    CourseInputSerializer,
    CourseSerializer,
    ModuleOutlineSerializer,
    SessionCreateSerializer,
    SessionInputSerializer,
    SessionSerializer,
    TrainersSerializer,
)
from vaka.training.courses import COURSE_FIELDS, SESSION_FIELDS, CourseDetails, SessionDetails
from vaka.training.filtersets_courses import CourseFilter, SessionFilter
from vaka.training.models import Course, Enrolment, Module, Participant, Question, Session
from vaka.web.api import ErrorSerializer
from vaka.web.throttling import TrainingThrottle

# A record you may not see is a 404, as a made-up id is: left undocumented, as the other
# apps' APIs do.
ERRORS = {400: OpenApiResponse(ErrorSerializer, description="What was wrong, by field."),
          403: OpenApiResponse(ErrorSerializer, description="You may see it but not do "
                                                            "this.")}
AUDIENCE = ("audience__communities", "audience__organisations", "audience__people")


def read_input(view: Any, request: Request, serializer: type, *, partial: bool = False) -> Any:
    form = serializer(data=request.data, partial=partial,
                      context=view.get_serializer_context())
    form.is_valid(raise_exception=True)
    return form


def record_id(value: Any) -> int:
    return int(value)


class SessionApiFilter(SessionFilter):
    """The session list's filter, its courses those the caller sees."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        user = getattr(request, "user", None)
        super().__init__(*args, request=request, courses=selectors_courses.courses_for(user)
                         if user is not None else Course.objects.none(), **kwargs)


class TrainingViewSet(viewsets.GenericViewSet):
    """What every training viewset shares: numeric ids, writes counted by their rate."""

    lookup_value_regex = r"[0-9]+"
    throttle_classes = [TrainingThrottle]


@extend_schema_view(
    list=extend_schema(responses=CourseSerializer(many=True)),
    retrieve=extend_schema(responses=CourseSerializer),
    create=extend_schema(request=CourseInputSerializer,
                         responses={201: CourseSerializer, **ERRORS}),
    update=extend_schema(request=CourseInputSerializer,
                         responses={200: CourseSerializer, **ERRORS}),
    partial_update=extend_schema(request=CourseInputSerializer,
                                 responses={200: CourseSerializer, **ERRORS}),
)
class CourseViewSet(mixins.ListModelMixin, TrainingViewSet):
    """The course catalogue: a course is seen by the audience of its markings, and its
    online outline and sessions exactly where it is. Trainers of the organisation that
    runs a course manage it. The list takes the catalogue's filters (archived courses only
    when asked for). Courses you may not see answer 404."""

    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    ordering_fields = ["title", "code", "created", "modified"]

    def get_queryset(self) -> QuerySet[Course]:
        return selectors_courses.courses_for(self.request.user).prefetch_related(*AUDIENCE)

    def _answer(self, course: Course, code: int = status.HTTP_200_OK) -> Response:
        found = self.get_queryset().filter(pk=course.pk).first() or course
        return Response(CourseSerializer(found, context=self.get_serializer_context()).data,
                        status=code)

    def _course(self, request: Request, pk: Any) -> Course:
        return selectors_courses.course_for(request.user, record_id(pk), request=request)

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One course: its details, completion rules and markings."""
        return self._answer(self._course(request, pk))

    def create(self, request: Request, **kwargs: Any) -> Response:
        """Add a course run by your organisation (trainers); without markings it is
        TLP:AMBER to your organisation alone."""
        form = read_input(self, request, CourseInputSerializer)
        data = form.validated_data
        details = CourseDetails(**{name: data[name] for name in COURSE_FIELDS if name in data})
        course = courses.create_course(request.user, details, form.markings(),
                                       request=request)
        return self._answer(course, status.HTTP_201_CREATED)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        course = self._course(request, pk)
        form = read_input(self, request, CourseInputSerializer, partial=partial)
        data = form.validated_data
        details = CourseDetails.of(course)
        for name in COURSE_FIELDS:
            if name in data:
                setattr(details, name, data[name])
        given = any(name in request.data for name in (*NAMES, "grading"))
        with transaction.atomic():
            course = courses.update_course(
                request.user, course, details,
                form.markings(Markings.of(course)) if given else Markings.of(course),
                request=request)
            if "archived" in data:
                course = courses.archive_course(request.user, course,
                                                archived=data["archived"], request=request)
        return self._answer(course)

    def update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change the details and markings (the course's managers)."""
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change some details or markings; the rest keep their values."""
        return self._update(request, pk, partial=True)

    @extend_schema(responses=ModuleOutlineSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def outline(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """The online content in order: modules, their lessons and quizzes with their
        questions. The answer key (which choices are correct, a short answer's accepted
        answers) is given to the course's managers only."""
        course = self._course(request, pk)
        modules = Module.objects.filter(course=course).prefetch_related(
            "lessons", "quizzes",
            Prefetch("quizzes__questions", queryset=Question.objects.order_by(
                "position", "pk")))
        context = {**self.get_serializer_context(),
                   "manager": courses.can_manage(request.user, course)}
        return Response(ModuleOutlineSerializer(modules, many=True, context=context).data)


def session_details(data: dict[str, Any], base: SessionDetails | None = None
                    ) -> SessionDetails:
    """``SessionDetails`` from validated data, over ``base`` for a partial update."""
    details = base or SessionDetails(starts=data.get("starts"), ends=data.get("ends"))
    for name in SESSION_FIELDS:
        if name in data:
            setattr(details, name, data[name])
    return details


@extend_schema_view(
    list=extend_schema(responses=SessionSerializer(many=True)),
    retrieve=extend_schema(responses=SessionSerializer),
    create=extend_schema(request=SessionCreateSerializer,
                         responses={201: SessionSerializer, **ERRORS}),
    update=extend_schema(request=SessionInputSerializer,
                         responses={200: SessionSerializer, **ERRORS}),
    partial_update=extend_schema(request=SessionInputSerializer,
                                 responses={200: SessionSerializer, **ERRORS}),
)
class SessionViewSet(mixins.ListModelMixin, TrainingViewSet):
    """Sessions: deliveries of a course with dates, place, country, capacity and trainers,
    seen exactly where their course is. A session's trainers are named only as far as you
    may see them as people. The list takes the session list's filters. Sessions you may
    not see answer 404."""

    serializer_class = SessionSerializer
    filterset_class = SessionApiFilter
    ordering_fields = ["starts", "reference", "created"]

    def get_queryset(self) -> QuerySet[Session]:
        user = self.request.user
        seen = visible_to(user, Participant.objects.all()).select_related("organisation")
        return selectors_courses.sessions_for(user).annotate(
            seats_taken=Count("enrolments", filter=Q(
                enrolments__status=Enrolment.Status.ENROLLED), distinct=True),
            trainer_count=Count("trainers", distinct=True),
        ).prefetch_related(Prefetch("trainers", queryset=seen, to_attr="visible_trainers"))

    def _session(self, request: Request, pk: Any) -> Session:
        return selectors_courses.session_for(request.user, record_id(pk), request=request)

    def _answer(self, session: Session, code: int = status.HTTP_200_OK) -> Response:
        found = self.get_queryset().filter(pk=session.pk).first() or session
        return Response(SessionSerializer(found, context=self.get_serializer_context()).data,
                        status=code)

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One session, its trainers and how many places are taken."""
        return self._answer(self._session(request, pk))

    def create(self, request: Request, **kwargs: Any) -> Response:
        """Add a session of a course you run, numbered TRN-<year>-<nnnn>, with its
        trainers."""
        form = read_input(self, request, SessionCreateSerializer)
        data = form.validated_data
        course = selectors_courses.courses_for(request.user).filter(
            pk=data["course"]).first()
        if course is None:
            raise ValidationError({"course": [_("No course you can see has the id %d.")
                                              % data["course"]]})
        with transaction.atomic():
            session = courses.create_session(request.user, course, session_details(data),
                                             request=request)
            if data.get("trainers"):
                courses.set_trainers(request.user, session, data["trainers"],
                                     request=request)
        return self._answer(session, status.HTTP_201_CREATED)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        session = self._session(request, pk)
        data = read_input(self, request, SessionInputSerializer, partial=partial).validated_data
        with transaction.atomic():
            session = courses.update_session(
                request.user, session, session_details(data, SessionDetails.of(session)),
                request=request)
            if "trainers" in data:
                courses.set_trainers(request.user, session, data["trainers"],
                                     request=request)
        return self._answer(session)

    def update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change the dates, place, country, capacity, self-enrolment and trainers."""
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change some details; the rest keep their values."""
        return self._update(request, pk, partial=True)

    @extend_schema(request=TrainersSerializer, responses={200: SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def trainers(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Set the trainers: people you may see, inside the course's markings."""
        session = self._session(request, pk)
        data = read_input(self, request, TrainersSerializer).validated_data
        courses.set_trainers(request.user, session, data["trainers"], request=request)
        return self._answer(session)

    @extend_schema(request=CancelSerializer, responses={200: SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Cancel the session: it stays on record with its enrolments and no longer
        changes."""
        session = self._session(request, pk)
        data = read_input(self, request, CancelSerializer).validated_data
        courses.cancel_session(request.user, session, reason=data["reason"], request=request)
        return self._answer(session)
