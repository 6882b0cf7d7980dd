"""Participants, enrolments, certificates and the statistics over the REST API:
``/api/training/participants/``, ``enrolments/``, ``certificates/`` and ``statistics/``.

Thin: each request is parsed, handed to a service (``training.participants``,
``enrolments``, ``certificates``, ``statistics``) and answered. A person is personal data:
seen only by the person, their organisation, their sessions' trainers and their
programmes' coordinators (the one policy); an enrolment or certificate only where both the
person and the course are. Anything you may not see is a 404, on every route, POSTs
included; what you may see but not do is a 403; bad input is a 400 naming each field.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.directory.roles import Capability
from vaka.policy.visibility import visible_to
from vaka.training import certificates, enrolments, participants, selectors_courses, statistics
from vaka.training.api.serializers import (
    CertificateSerializer,
    CompletionSerializer,
    EnrolInputSerializer,
    EnrolledSerializer,
    EnrolmentSerializer,
    FiguresSerializer,
    ParticipantCreateSerializer,
    ParticipantInputSerializer,
    ParticipantSerializer,
    RevokeSerializer,
    ScoresSerializer,
    WithdrawnSerializer,
)
from vaka.training.api.views_courses import ERRORS, TrainingViewSet, read_input, record_id
from vaka.training.forms_people import ParticipantFilter
from vaka.training.forms_stats import StatisticsFilter
from vaka.training.models import Certificate, Completion, Enrolment, Participant
from vaka.web.filters import StrictFilterSet


def _found(queryset: QuerySet, pk: Any) -> Any:
    """The record of ``queryset`` (already narrowed by visible_to), or 404."""
    record = queryset.filter(pk=record_id(pk)).first()
    if record is None:
        raise Http404
    return record


def _query_parameters(form: type) -> list[OpenApiParameter]:
    """A form filter's fields as the schema's query parameters (the form is the one
    definition)."""
    return [OpenApiParameter(name, OpenApiTypes.STR, description=str(field.label))
            for name, field in form.base_fields.items()]


def _refuse(form: Any) -> None:
    raise ValidationError({name: list(errors) for name, errors in form.errors.items()})


# --- participants ----------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(parameters=_query_parameters(ParticipantFilter),
                       responses=ParticipantSerializer(many=True)),
    retrieve=extend_schema(responses=ParticipantSerializer),
    create=extend_schema(request=ParticipantCreateSerializer,
                         responses={201: ParticipantSerializer, **ERRORS}),
    update=extend_schema(request=ParticipantInputSerializer,
                         responses={200: ParticipantSerializer, **ERRORS}),
    partial_update=extend_schema(request=ParticipantInputSerializer,
                                 responses={200: ParticipantSerializer, **ERRORS}),
)
class ParticipantViewSet(mixins.ListModelMixin, TrainingViewSet):
    """People trained or training, users or officers who never sign in: seen only by the
    person, their organisation, the trainers of their sessions and the coordinators of
    those sessions' programmes. The list (merged records left out) takes the participants
    page's filters. People you may not see answer 404."""

    serializer_class = ParticipantSerializer
    filterset_class = None
    ordering_fields = ["family_name", "given_name", "created"]

    def get_queryset(self) -> QuerySet[Participant]:
        people = visible_to(self.request.user, Participant.objects.all()).select_related(
            "organisation", "user")
        if self.action != "list":
            return people
        form = ParticipantFilter(self.request.query_params)
        if not form.is_valid():
            _refuse(form)
        return form.apply(participants.active(people))

    def _answer(self, person: Participant, code: int = status.HTTP_200_OK) -> Response:
        found = self.get_queryset().filter(pk=person.pk).first() or person
        return Response(ParticipantSerializer(found).data, status=code)

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One person's record (a merged one names the record it was merged into)."""
        return self._answer(_found(self.get_queryset(), pk))

    def create(self, request: Request, **kwargs: Any) -> Response:
        """Add a person: organisation admins for their own organisation, trainers for
        anyone — a person of another organisation enrolled in one of your sessions in the
        same step (`session`)."""
        data = dict(read_input(self, request, ParticipantCreateSerializer).validated_data)
        session = None
        if "session" in data:
            session = selectors_courses.sessions_for(request.user).filter(
                pk=data.pop("session")).first()
            if session is None:
                raise ValidationError({"session": [_("No session you can see has this id.")]})
        person = participants.create_participant(request.user, session=session, **data)
        return self._answer(person, status.HTTP_201_CREATED)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        person = _found(self.get_queryset(), pk)
        data = read_input(self, request, ParticipantInputSerializer, partial=partial).validated_data
        person = participants.update_participant(request.user, person, **data)
        return self._answer(person)

    def update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change a person's record (an admin of their organisation, or a trainer)."""
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change some of a person's fields; the rest keep their values."""
        return self._update(request, pk, partial=True)


# --- enrolments -----------------------------------------------------------------------------

class EnrolmentFilter(StrictFilterSet):
    session = filters.NumberFilter(field_name="session_id", label=_("Session"))
    participant = filters.NumberFilter(field_name="participant_id", label=_("Participant"))
    course = filters.NumberFilter(field_name="session__course_id", label=_("Course"))
    status = filters.ChoiceFilter(choices=Enrolment.Status.choices, label=_("Status"))
    completion = filters.ChoiceFilter(choices=Completion.choices, label=_("Completion"))

    class Meta:
        model = Enrolment
        fields = ["session", "participant", "course", "status", "completion"]


@extend_schema_view(
    list=extend_schema(responses=EnrolmentSerializer(many=True)),
    retrieve=extend_schema(responses=EnrolmentSerializer),
    create=extend_schema(request=EnrolInputSerializer,
                         responses={201: EnrolledSerializer, **ERRORS}),
)
class EnrolmentViewSet(mixins.ListModelMixin, TrainingViewSet):
    """Enrolments in sessions, with their status, pre/post-test scores and completion:
    seen only where you see both the person and the course. Enrolments you may not see
    answer 404."""

    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    ordering_fields = ["enrolled_at", "completed_at"]

    def get_queryset(self) -> QuerySet[Enrolment]:
        return visible_to(self.request.user, Enrolment.objects.all()).select_related(
            "participant", "session", "certificate")

    def _enrolment(self, pk: Any) -> Enrolment:
        return _found(self.get_queryset().select_related("session__course"), pk)

    def _answer(self, enrolment: Enrolment) -> Response:
        found = self.get_queryset().filter(pk=enrolment.pk).first() or enrolment
        return Response(EnrolmentSerializer(found).data)

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One enrolment."""
        return self._answer(self._enrolment(pk))

    def create(self, request: Request, **kwargs: Any) -> Response:
        """Enrol a person in a session (a trainer of the organisation that runs the course,
        or an admin of the person's organisation), or yourself where the session is open to
        self-enrolment (no `participant`). Beyond the session's capacity the enrolment
        goes to the waiting list: still a 201, with status `waitlisted` and a `message`
        saying at which place."""
        data = read_input(self, request, EnrolInputSerializer).validated_data
        session = selectors_courses.sessions_for(request.user).select_related(
            "course").filter(pk=data["session"]).first()
        if session is None:
            raise ValidationError({"session": [_("No session you can see has this id.")]})
        if "participant" in data:
            person = participants.visible_participants(request.user).filter(
                pk=data["participant"]).first()
            if person is None:
                raise ValidationError({"participant": [
                    _("No participant you can see has this id.")]})
            enrolment = enrolments.enrol(request.user, session, person)
        else:
            enrolment = enrolments.self_enrol(request.user, session)
        found = self.get_queryset().filter(pk=enrolment.pk).first() or enrolment
        found.message = enrolment.message
        return Response(EnrolledSerializer(found).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: WithdrawnSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Withdraw the enrolment (the person, an admin of their organisation or a trainer
        of the course); the first on the waiting list takes a freed place."""
        enrolment = self._enrolment(pk)
        promoted = enrolments.withdraw(request.user, enrolment)
        enrolment.refresh_from_db()
        return Response(WithdrawnSerializer({
            "withdrawn": enrolment, "promoted": promoted.pk if promoted else None}).data)

    @extend_schema(request=ScoresSerializer, responses={200: EnrolmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def scores(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Record the pre-test and post-test scores (per cent; null clears one): the
        session's trainers or the course's managers."""
        enrolment = self._enrolment(pk)
        data = read_input(self, request, ScoresSerializer).validated_data
        enrolments.record_scores(
            request.user, enrolment, pre=data.get("pre_score", enrolment.pre_score),
            post=data.get("post_score", enrolment.post_score))
        return self._answer(enrolment)

    @extend_schema(request=CompletionSerializer,
                   responses={200: EnrolmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def completion(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Set the completion by the course's rules, or (a manager of the course) override
        it. A completion issues the certificate."""
        enrolment = self._enrolment(pk)
        data = read_input(self, request, CompletionSerializer).validated_data
        enrolments.set_completion(request.user, enrolment, data["completion"])
        return self._answer(enrolment)


# --- certificates ---------------------------------------------------------------------------

class CertificateFilter(StrictFilterSet):
    participant = filters.NumberFilter(field_name="enrolment__participant_id",
                                       label=_("Participant"))
    session = filters.NumberFilter(field_name="enrolment__session_id", label=_("Session"))
    revoked = filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull",
                                    exclude=True, label=_("Revoked"))

    class Meta:
        model = Certificate
        fields = ["participant", "session", "revoked"]


@extend_schema_view(
    list=extend_schema(responses=CertificateSerializer(many=True)),
    retrieve=extend_schema(responses=CertificateSerializer),
)
class CertificateViewSet(mixins.ListModelMixin, TrainingViewSet):
    """Certificates of completion, seen where both the person and the course are; revoked
    by the course's managers with a reason (kept for them; the public page says only
    when). Certificates you may not see answer 404."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    ordering_fields = ["issued_at", "completed_on"]

    def get_queryset(self) -> QuerySet[Certificate]:
        return visible_to(self.request.user, Certificate.objects.all()).select_related(
            "enrolment__session__course")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(),
                "trains": self.request.user.can(Capability.TRAIN)}

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One certificate."""
        cert = _found(self.get_queryset(), pk)
        return Response(self.get_serializer(cert).data)

    @extend_schema(request=RevokeSerializer, responses={200: CertificateSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Revoke the certificate, saying why (the course's managers)."""
        cert = _found(self.get_queryset(), pk)
        data = read_input(self, request, RevokeSerializer).validated_data
        cert = certificates.revoke(cert, user=request.user, reason=data["reason"],
                                   request=request)
        return Response(self.get_serializer(_found(self.get_queryset(), cert.pk)).data)


# --- statistics -----------------------------------------------------------------------------

class OneObjectSchema(AutoSchema):
    """The statistics' ``list`` answers one object of figures, not a list of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class StatisticsViewSet(viewsets.ViewSet):
    """The statistics page's figures as JSON."""

    schema = OneObjectSchema()

    @extend_schema(parameters=_query_parameters(StatisticsFilter),
                   responses={200: FiguresSerializer, **ERRORS})
    def list(self, request: Request, **kwargs: Any) -> Response:
        """People trained by gender, country, organisation, topic, programme and year,
        completions, pre/post-test improvement, women among participants and trainers,
        and trainers who went on to deliver — with the statistics page's filters, counted
        only over the enrolments you may see (see the README for what each counts)."""
        form = StatisticsFilter(request.query_params)
        if not form.is_valid():
            _refuse(form)
        figures = statistics.training_figures(request.user, form.filters())
        return Response(FiguresSerializer(figures).data)
