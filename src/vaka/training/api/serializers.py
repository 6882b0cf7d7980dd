"""Training in the REST API: courses (with their markings and online outline), sessions,
participants, enrolments, certificates and the statistics' figures.

A course's fields are ``courses.CourseDetails``' (the one definition the form, the import
and the demo fill), its markings the one markings serializer's
(``policy.api.serializers``). The rules are the services' (``training.courses``,
``participants``, ``enrolments``, ``certificates``), which say what is wrong keyed by the
same field names; the serializers here check only what a JSON body can get wrong in shape.
"""

import copy
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vaka.directory.models import Country, Organisation
from vaka.policy.api.serializers import MarkingFieldsSerializer
from vaka.training.courses import COURSE_FIELDS
from vaka.training.models import (
    Certificate,
    Completion,
    Delivery,
    Enrolment,
    Gender,
    GenderMarker,
    Level,
    Participant,
    Question,
    Session,
    Topic,
)
from vaka.training.statistics import TrainingFigures

# --- courses -----------------------------------------------------------------------------

# The type of each of CourseDetails' fields in a JSON body (the names are CourseDetails');
# what is allowed is the service's to say, by field.
_COURSE_TYPES: dict[str, tuple[type[serializers.Field], dict[str, Any]]] = {
    "code": (serializers.CharField, {
        "max_length": 200, "allow_blank": True,
        "help_text": "A short code: letters, digits, hyphens and underscores."}),
    "title": (serializers.CharField, {"max_length": 1000, "allow_blank": True}),
    "summary": (serializers.CharField, {"allow_blank": True, "trim_whitespace": False}),
    "topics": (serializers.ListField, {
        "child": serializers.ChoiceField(choices=Topic.choices),
        "max_length": len(Topic.values)}),
    "level": (serializers.ChoiceField, {"choices": Level.choices}),
    "languages": (serializers.ListField, {
        "child": serializers.CharField(max_length=8), "max_length": 50,
        "help_text": "ISO 639-1 codes, e.g. en, fr, sm."}),
    "delivery": (serializers.ChoiceField, {"choices": Delivery.choices}),
    "programme": (serializers.CharField, {"max_length": 40, "allow_null": True,
                                          "help_text": "A programme's code."}),
    "donor": (serializers.CharField, {"max_length": 1000, "allow_blank": True}),
    "project_code": (serializers.CharField, {"max_length": 1000, "allow_blank": True}),
    "human_rights_gender": (serializers.BooleanField, {}),
    "gender_marker": (serializers.ChoiceField, {
        "choices": GenderMarker.choices,
        "help_text": "The OECD-DAC gender equality policy marker: 0, 1 or 2."}),
    "duration_hours": (serializers.IntegerField, {
        "allow_null": True, "min_value": 0, "max_value": 100_000}),
    "min_attendance": (serializers.IntegerField, {
        "min_value": 0, "max_value": 1000,
        "help_text": "Share of the session's days a participant must attend (%)."}),
    "pass_mark": (serializers.IntegerField, {
        "allow_null": True, "min_value": 0, "max_value": 1000,
        "help_text": "The post-test pass mark (%); null: no post-test."}),
    "require_quizzes": (serializers.BooleanField, {}),
}
assert set(_COURSE_TYPES) == set(COURSE_FIELDS), "a CourseDetails field has no API type"


def _course_fields(*, read_only: bool) -> dict[str, serializers.Field]:
    fields = {}
    for name in COURSE_FIELDS:
        kind, options = _COURSE_TYPES[name]
        options = {**options, "child": copy.deepcopy(options["child"])} \
            if "child" in options else options
        extra = {"read_only": True} if read_only else {"required": name in ("code", "title")}
        fields[name] = kind(**options, **extra)
    return fields


CourseSerializer = type("CourseSerializer", (MarkingFieldsSerializer,), {
    "__doc__": "A course of the catalogue as its readers see it, with its own markings.",
    "id": serializers.IntegerField(read_only=True),
    **_course_fields(read_only=True),
    "programme": serializers.CharField(source="programme_id", read_only=True,
                                       allow_null=True, help_text="A programme's code."),
    "owner": serializers.IntegerField(source="owner_id", read_only=True,
                                      help_text="The organisation that runs it."),
    "owner_name": serializers.CharField(source="owner.name", read_only=True),
    "archived_at": serializers.DateTimeField(read_only=True, allow_null=True),
    "created": serializers.DateTimeField(read_only=True),
    "modified": serializers.DateTimeField(read_only=True),
})

CourseInputSerializer = type("CourseInputSerializer", (MarkingFieldsSerializer,), {
    "__doc__": "A course's details and markings. On PATCH, what is left out keeps its "
               "value. Only `code` and `title` are needed to create one.",
    **_course_fields(read_only=False),
    "archived": serializers.BooleanField(
        required=False, help_text="Archive the course (it takes no new sessions) or "
                                  "bring it back."),
})


class LessonOutlineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()


class ChoiceOutlineSerializer(serializers.Serializer):
    text = serializers.CharField()
    correct = serializers.BooleanField(required=False,
                                       help_text="Only for the course's managers.")


class QuestionOutlineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    text = serializers.CharField()
    points = serializers.IntegerField()
    choices = serializers.SerializerMethodField()
    accepted = serializers.SerializerMethodField(
        help_text="A short answer's accepted answers: only for the course's managers.")

    def _manager(self) -> bool:
        return bool(self.context.get("manager"))

    @extend_schema_field(ChoiceOutlineSerializer(many=True))
    def get_choices(self, question: Question) -> list[dict[str, Any]]:
        # The answer key stays with the course's managers: learners get the choices only.
        return [{"text": str(c.get("text", "")), **(
            {"correct": bool(c.get("correct"))} if self._manager() else {})}
            for c in question.choices if isinstance(c, dict)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField(),
                                               allow_null=True))
    def get_accepted(self, question: Question) -> list[str] | None:
        return [str(a) for a in question.accepted] if self._manager() else None


class QuizOutlineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    time_limit = serializers.IntegerField(allow_null=True, help_text="Minutes.")
    pass_mark = serializers.IntegerField()
    max_attempts = serializers.IntegerField(allow_null=True)
    closes = serializers.DateTimeField(allow_null=True)
    questions = QuestionOutlineSerializer(many=True, source="questions.all")


class ModuleOutlineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    lessons = LessonOutlineSerializer(many=True, source="lessons.all")
    quizzes = QuizOutlineSerializer(many=True, source="quizzes.all")


# --- sessions ----------------------------------------------------------------------------

class TrainerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")


class SessionSerializer(serializers.ModelSerializer):
    """A session; its trainers as far as the reader may see them as people."""

    course_title = serializers.CharField(source="course.title", read_only=True)
    country = serializers.CharField(source="country_id", read_only=True, allow_null=True,
                                    help_text="ISO 3166-1 alpha-2 code.")
    trainers = serializers.SerializerMethodField(
        help_text="The trainers you may see as people.")
    hidden_trainers = serializers.SerializerMethodField(
        help_text="How many trainers you may not see.")
    seats_taken = serializers.IntegerField(read_only=True,
                                           help_text="Enrolled places (a count).")

    class Meta:
        model = Session
        fields = ["id", "reference", "course", "course_title", "starts", "ends", "online",
                  "place", "country", "capacity", "self_enrolment", "trainers",
                  "hidden_trainers", "seats_taken", "cancelled_at", "created"]
        read_only_fields = fields

    @extend_schema_field(TrainerSerializer(many=True))
    def get_trainers(self, session: Session) -> list[dict[str, Any]]:
        return TrainerSerializer(getattr(session, "visible_trainers", []), many=True).data

    def get_hidden_trainers(self, session: Session) -> int:
        return getattr(session, "trainer_count", 0) - len(
            getattr(session, "visible_trainers", []))


class SessionInputSerializer(serializers.Serializer):
    """A session's details (``courses.SessionDetails``). On PATCH, what is left out keeps
    its value."""

    starts = serializers.DateField()
    ends = serializers.DateField()
    online = serializers.BooleanField(required=False)
    place = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    country = serializers.CharField(max_length=8, allow_null=True, required=False,
                                    help_text="ISO 3166-1 alpha-2 code.")
    capacity = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    self_enrolment = serializers.BooleanField(required=False)
    trainers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31), required=False,
        max_length=200, help_text="Participant ids of the trainers (people you may see).")


class SessionCreateSerializer(SessionInputSerializer):
    course = serializers.IntegerField(min_value=1, max_value=2**31,
                                      help_text="A course you run.")


class TrainersSerializer(serializers.Serializer):
    trainers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31), max_length=200,
        help_text="Participant ids of every trainer (people you may see).")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                   default="")


# --- participants ------------------------------------------------------------------------

class ParticipantSerializer(serializers.ModelSerializer):
    """A person's record: shown only to those the policy lets see it."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    country = serializers.CharField(source="country_id", read_only=True,
                                    help_text="ISO 3166-1 alpha-2 code.")
    gender = serializers.ChoiceField(choices=Gender.choices, read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                        allow_null=True)

    class Meta:
        model = Participant
        fields = ["id", "given_name", "family_name", "email", "organisation",
                  "organisation_name", "country", "gender", "rank", "role", "user",
                  "merged_into", "created"]
        read_only_fields = fields


class ParticipantInputSerializer(serializers.Serializer):
    """A person's fields. On PATCH, what is left out keeps its value."""

    given_name = serializers.CharField(max_length=1000, allow_blank=True)
    family_name = serializers.CharField(max_length=1000, allow_blank=True)
    email = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all(),
                                           help_text="ISO 3166-1 alpha-2 code.")
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    rank = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    role = serializers.CharField(max_length=1000, allow_blank=True, required=False)


class ParticipantCreateSerializer(ParticipantInputSerializer):
    session = serializers.IntegerField(
        min_value=1, max_value=2**31, required=False,
        help_text="A session of a course you run: a person of another organisation is "
                  "enrolled in it as they are added.")


# --- enrolments --------------------------------------------------------------------------

class EnrolmentSerializer(serializers.ModelSerializer):
    participant_name = serializers.CharField(source="participant.name", read_only=True)
    session_reference = serializers.CharField(source="session.reference", read_only=True)
    course = serializers.IntegerField(source="session.course_id", read_only=True)
    status = serializers.ChoiceField(choices=Enrolment.Status.choices, read_only=True)
    completion = serializers.ChoiceField(choices=Completion.choices, read_only=True)
    certificate = serializers.SerializerMethodField(
        help_text="The certificate's id, once issued.")

    class Meta:
        model = Enrolment
        fields = ["id", "participant", "participant_name", "session", "session_reference",
                  "course", "status", "enrolled_at", "pre_score", "post_score",
                  "completion", "completed_at", "source", "certificate"]
        read_only_fields = fields

    def get_certificate(self, enrolment: Enrolment) -> int | None:
        try:
            return enrolment.certificate.pk
        except Certificate.DoesNotExist:
            return None


class EnrolledSerializer(EnrolmentSerializer):
    """A new enrolment and what it came to: enrolled, or on the waiting list at a place."""

    message = serializers.CharField(read_only=True)

    class Meta(EnrolmentSerializer.Meta):
        fields = [*EnrolmentSerializer.Meta.fields, "message"]
        read_only_fields = fields


class EnrolInputSerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1, max_value=2**31)
    participant = serializers.IntegerField(
        min_value=1, max_value=2**31, required=False,
        help_text="The person to enrol; left out: yourself (self-enrolment, where open).")


class WithdrawnSerializer(serializers.Serializer):
    withdrawn = EnrolmentSerializer()
    promoted = serializers.IntegerField(
        allow_null=True, help_text="The enrolment moved in from the waiting list, if any.")


class ScoresSerializer(serializers.Serializer):
    pre_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                         required=False, help_text="Per cent, 0 to 100.")
    post_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                          required=False, help_text="Per cent, 0 to 100.")


class CompletionSerializer(serializers.Serializer):
    completion = serializers.ChoiceField(
        choices=Completion.choices, allow_null=True, required=False, default=None,
        help_text="Left out: what the course's rules give; else a manager's override.")


# --- certificates ------------------------------------------------------------------------

class CertificateSerializer(serializers.ModelSerializer):
    participant = serializers.IntegerField(source="enrolment.participant_id", read_only=True)
    session = serializers.IntegerField(source="enrolment.session_id", read_only=True)
    revoked_reason = serializers.SerializerMethodField(
        help_text="Why it was revoked: only for the course's managers.")

    class Meta:
        model = Certificate
        fields = ["id", "code", "name", "course_title", "completed_on", "issued_at",
                  "enrolment", "participant", "session", "revoked_at", "revoked_reason"]
        read_only_fields = fields

    def get_revoked_reason(self, cert: Certificate) -> str:
        user = self.context["request"].user
        course = cert.enrolment.session.course
        # can_manage without its reads: the reader sees the certificate, hence the course.
        manager = user.organisation_id == course.owner_id and self.context.get("trains")
        return cert.revoked_reason if manager else ""


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, allow_blank=True)


# --- statistics --------------------------------------------------------------------------

class CountSerializer(serializers.Serializer):
    name = serializers.CharField()
    people = serializers.IntegerField()


class CourseGainSerializer(serializers.Serializer):
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField()
    pairs = serializers.IntegerField()
    pre = serializers.DecimalField(max_digits=6, decimal_places=2)
    post = serializers.DecimalField(max_digits=6, decimal_places=2)
    gain = serializers.DecimalField(max_digits=6, decimal_places=2)


def _counts(pairs: list[tuple[Any, int]]) -> list[dict[str, Any]]:
    return [{"name": str(name), "people": n} for name, n in pairs]


class FiguresSerializer(serializers.Serializer):
    """The statistics page's figures, counted over the enrolments you may see."""

    people = serializers.IntegerField(help_text="People trained (distinct).")
    enrolments = serializers.IntegerField()
    completed = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    sessions = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    pass_rate = serializers.FloatField(allow_null=True)
    women_share = serializers.FloatField(allow_null=True)
    by_gender = serializers.DictField(child=serializers.IntegerField())
    by_country = serializers.SerializerMethodField()
    by_organisation = serializers.SerializerMethodField()
    by_topic = serializers.SerializerMethodField(help_text="Topic codes.")
    by_programme = serializers.SerializerMethodField()
    by_year = serializers.SerializerMethodField()
    pairs = serializers.IntegerField(help_text="Enrolments with both test scores.")
    pre_mean = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    post_mean = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    improvement = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    by_course = CourseGainSerializer(many=True)
    trainers = serializers.IntegerField()
    trainers_by_gender = serializers.DictField(child=serializers.IntegerField())
    women_trainers_share = serializers.FloatField(allow_null=True)
    trainers_trained = serializers.IntegerField()
    trainers_delivering = serializers.IntegerField()

    @extend_schema_field(CountSerializer(many=True))
    def get_by_country(self, figures: TrainingFigures) -> list[dict[str, Any]]:
        return _counts(figures.by_country)

    @extend_schema_field(CountSerializer(many=True))
    def get_by_organisation(self, figures: TrainingFigures) -> list[dict[str, Any]]:
        return _counts(figures.by_organisation)

    @extend_schema_field(CountSerializer(many=True))
    def get_by_topic(self, figures: TrainingFigures) -> list[dict[str, Any]]:
        return _counts(figures.by_topic)

    @extend_schema_field(CountSerializer(many=True))
    def get_by_programme(self, figures: TrainingFigures) -> list[dict[str, Any]]:
        return _counts(figures.by_programme)

    @extend_schema_field(CountSerializer(many=True))
    def get_by_year(self, figures: TrainingFigures) -> list[dict[str, Any]]:
        return _counts(figures.by_year)

