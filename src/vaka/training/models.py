"""Capacity building: courses, online lessons and quizzes, sessions, participants,
enrolments, attendance, pre/post tests, completion and certificates.

Moodle's words are used where they fit: a **course** holds ordered **modules** of
activities (**lessons** and **quizzes**); a **session** is one delivery of a course (a
Moodle course instance with its dates); an **enrolment** carries the completion state
(Moodle's ``COMPLETION_INCOMPLETE / COMPLETE / COMPLETE_PASS / COMPLETE_FAIL``).

Who sees what (:mod:`vaka.policy.visibility`, the one policy):

* A ``Course`` is a shareable record with markings; its modules, lessons, quizzes,
  questions and sessions are parts of it (``markings_path = "course__"``), seen exactly
  where the course is.
* A ``Participant`` is a **personal record** (``personal_path``): it reaches the person
  themself, users of the person's organisation, the trainers of the sessions the person is
  enrolled in, and the coordinators of those sessions' programmes — nobody else, platform
  admins included. Enrolments, attendance, attempts, lesson progress and certificates are
  personal parts of it *and* parts of their course: a user sees one only where they see
  both the person and the course.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vaka.policy.models import Shareable
from vaka.policy.visibility import ShareableQuerySet


class Topic(models.TextChoices):
    """What a course teaches: the catalogue's and the statistics' one list."""

    CYBERCRIME_INVESTIGATION = "cybercrime_investigation", _("Cybercrime investigation")
    DIGITAL_EVIDENCE = "digital_evidence", _("Digital evidence")
    POLICING_DATABASES = "policing_databases", _("Shared policing databases and tools")
    INTELLIGENCE_ANALYSIS = "intelligence_analysis", _("Intelligence analysis")
    HANDLING_CODES = "handling_codes", _("Information handling and TLP")
    CYBER_SAFETY = "cyber_safety", _("Cyber safety awareness")
    HUMAN_RIGHTS = "human_rights", _("Human rights in policing")
    GENDER_EQUALITY = "gender_equality", _("Gender equality in policing")
    TRAINER_DEVELOPMENT = "trainer_development", _("Trainer development")
    ONLINE_LEARNING = "online_learning", _("Online learning administration")
    LEADERSHIP = "leadership", _("Leadership and management")


class Level(models.TextChoices):
    INTRODUCTORY = "introductory", _("Introductory")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", pgettext_lazy("delivery", "Online")
    BLENDED = "blended", _("Blended")


class GenderMarker(models.IntegerChoices):
    """The OECD-DAC gender equality policy marker."""

    NOT_TARGETED = 0, _("Not targeted")
    SIGNIFICANT = 1, _("Significant")
    PRINCIPAL = 2, _("Principal")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    ANOTHER = "another", _("Another gender")
    NOT_STATED = "not_stated", _("Not stated")


class Course(Shareable):
    """A course of the catalogue. ``owner`` is the organisation that runs it; users of it
    who can train (``Capability.TRAIN``) manage it and its sessions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices,
                             default=Level.INTRODUCTORY)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices,
                                default=Delivery.IN_PERSON)
    programme = models.ForeignKey("directory.Programme", on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="courses",
                                  verbose_name=_("programme"))
    donor = models.CharField(_("donor"), max_length=200, blank=True)
    project_code = models.CharField(_("donor project code"), max_length=60, blank=True)
    human_rights_gender = models.BooleanField(
        _("human rights and gender content"), default=False,
        help_text=_("The course teaches human rights or gender equality in policing."))
    gender_marker = models.PositiveSmallIntegerField(
        _("gender marker"), choices=GenderMarker.choices, default=GenderMarker.NOT_TARGETED)
    duration_hours = models.PositiveIntegerField(_("duration (hours)"), null=True, blank=True)
    # Completion rules (Moodle's course completion criteria, the ones that fit here).
    min_attendance = models.PositiveSmallIntegerField(
        _("attendance needed (%)"), default=80,
        help_text=_("Share of the session's days a participant must attend to complete."))
    pass_mark = models.PositiveSmallIntegerField(
        _("post-test pass mark (%)"), null=True, blank=True,
        help_text=_("Empty: no post-test; completing is enough."))
    require_quizzes = models.BooleanField(
        _("all quizzes must be passed"), default=False,
        help_text=_("Online and blended courses: every quiz of the course passed."))
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("training:course", args=[self.pk])

    @property
    def content_language(self) -> str:
        """The language its lessons and questions are written in (the first of
        ``languages``), for the pages' ``lang``; "" when the course names none."""
        return self.languages[0] if self.languages else ""


class CoursePart(models.Model):
    """Abstract: a part of a course (module, lesson, quiz, question, session), seen exactly
    where the course is."""

    owner_path = "course__owner_id"
    markings_path = "course__"

    objects = ShareableQuerySet.as_manager()

    class Meta:
        abstract = True


class Module(CoursePart):
    """An ordered section of a course's online content (Moodle's course section)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["course", "position", "pk"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title


class ModulePart(models.Model):
    """Abstract: an activity of a module, seen exactly where its course is."""

    owner_path = "module__course__owner_id"
    markings_path = "module__course__"

    objects = ShareableQuerySet.as_manager()

    class Meta:
        abstract = True


class Lesson(ModulePart):
    """A page to read: Markdown with images, attachments and links to video files."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True)
    videos = models.JSONField(_("video links"), default=list, blank=True)

    class Meta:
        ordering = ["module", "position", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return self.title


class LessonFile(models.Model):
    """An image or attachment of a lesson, stored like any upload (``vaka.uploads``)."""

    owner_path = "lesson__module__course__owner_id"
    markings_path = "lesson__module__course__"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    stored_as = models.CharField(max_length=255)

    objects = ShareableQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "name", "pk"]
        verbose_name = _("lesson file")
        verbose_name_plural = _("lesson files")

    def __str__(self) -> str:
        return self.name


class Quiz(ModulePart):
    """A quiz graded automatically, with attempts, an optional time limit and a pass mark."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="quizzes")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    time_limit = models.PositiveIntegerField(_("time limit (minutes)"), null=True,
                                             blank=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=70)
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), null=True, blank=True, help_text=_("Empty: unlimited."))
    closes = models.DateTimeField(_("closes"), null=True, blank=True)

    class Meta:
        ordering = ["module", "position", "pk"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")
        SHORT = "short", _("Short answer")

    owner_path = "quiz__module__course__owner_id"
    markings_path = "quiz__module__course__"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("question"))
    # [{"text": "...", "correct": true}, ...] for single / multiple choice;
    # [{"text": "True", "correct": ...}, {"text": "False", ...}] for true / false.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # Short answer: the accepted answers, compared case- and space-insensitively.
    accepted = models.JSONField(_("accepted answers"), default=list, blank=True)
    points = models.PositiveSmallIntegerField(_("points"), default=1)

    objects = ShareableQuerySet.as_manager()

    class Meta:
        ordering = ["quiz", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text[:80]


class Participant(models.Model):
    """A person trained or training: a user, or a police officer who never signs in. One
    record per person across sessions; duplicates are merged (``merged_into``).

    A personal record: see the module docstring for who sees it."""

    # The policy's personal-record declaration (vaka.policy.visibility.personal_q):
    # the organisation whose users see the person, and the paths to the other users who do.
    person_org_path = "organisation_id"
    personal_audiences = (
        "user",
        "enrolments__session__trainers__user",
        "enrolments__session__course__programme__coordinators",
    )

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="participant",
                                verbose_name=_("user account"))
    given_name = models.CharField(_("given name"), max_length=150)
    family_name = models.CharField(_("family name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                     related_name="participants",
                                     verbose_name=_("organisation"))
    country = models.ForeignKey("directory.Country", on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("country"))
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices,
                              default=Gender.NOT_STATED)
    rank = models.CharField(_("rank"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=150, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    objects = ShareableQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "pk"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [models.Index(fields=["email"], name="training_participant_email")]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def get_absolute_url(self) -> str:
        return reverse("training:participant", args=[self.pk])

    @property
    def name(self) -> str:
        return str(self)


class Session(CoursePart):
    """One delivery of a course: dates, place or online, country, trainers, capacity."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    starts = models.DateField(_("starts"))
    ends = models.DateField(_("ends"))
    online = models.BooleanField(pgettext_lazy("delivery", "Online"), default=False)
    place = models.CharField(_("place"), max_length=200, blank=True)
    country = models.ForeignKey("directory.Country", on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("country"))
    capacity = models.PositiveIntegerField(_("capacity"), default=25)
    self_enrolment = models.BooleanField(
        _("open to self-enrolment"), default=False,
        help_text=_("Users who can see the course may enrol themselves."))
    trainers = models.ManyToManyField(Participant, related_name="sessions_trained",
                                      blank=True, verbose_name=_("trainers"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-starts", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["starts"], name="training_session_starts")]

    def __str__(self) -> str:
        return f"{self.reference} {self.course}"

    def get_absolute_url(self) -> str:
        return reverse("training:session", args=[self.pk])


class Completion(models.TextChoices):
    """Moodle's completion states."""

    INCOMPLETE = "incomplete", _("Not complete")
    COMPLETE = "complete", _("Complete")
    PASS = "pass", pgettext_lazy("completion", "Passed")
    FAIL = "fail", pgettext_lazy("completion", "Failed")


class PersonalPart(models.Model):
    """Abstract: personal data about a participant in a course: seen only where both the
    person (``personal_path``) and the course (``markings_path``) are."""

    objects = ShareableQuerySet.as_manager()

    class Meta:
        abstract = True


class Enrolment(PersonalPart):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WAITLISTED = "waitlisted", _("On the waiting list")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    owner_path = "session__course__owner_id"
    markings_path = "session__course__"
    personal_path = "participant__"
    # Users who see the person through this very enrolment (two of the person's
    # ``personal_audiences``, read from here): the policy's bulk form asks them first, so
    # most rows a trainer or coordinator reads never need the sets of people.
    personal_via_row = ("session__trainers__user", "session__course__programme__coordinators")

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="enrolments")
    session = models.ForeignKey(Session, on_delete=models.PROTECT,
                                related_name="enrolments")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ENROLLED)
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    pre_score = models.DecimalField(_("pre-test score (%)"), max_digits=5,
                                    decimal_places=2, null=True, blank=True)
    post_score = models.DecimalField(_("post-test score (%)"), max_digits=5,
                                     decimal_places=2, null=True, blank=True)
    completion = models.CharField(_("completion"), max_length=16,
                                  choices=Completion.choices,
                                  default=Completion.INCOMPLETE)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Where the enrolment came from: "" (here), "moodle" (a Moodle CSV import).
    source = models.CharField(_("source"), max_length=16, blank=True)

    class Meta:
        ordering = ["session", "enrolled_at", "pk"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["participant", "session"],
                                               name="training_one_enrolment")]
        indexes = [models.Index(fields=["session", "status"],
                                name="training_enrolment_status")]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.session}"


def _trained_index(name: str, *order: str) -> models.Index:
    """An index of the statistics' rows in ``order``, holding too the columns the policy
    (``visibility.personal_q``) and the filters ask about."""
    asked = ("session", "participant", "organisation", "programme", "course", "starts")
    return models.Index(fields=list(dict.fromkeys([*order, *asked])), name=name)


class TrainedEnrolment(PersonalPart):
    """What the statistics count of an enrolment that counts as trained (enrolled, in a
    session not cancelled), copied from the enrolment, its session and course and its
    person: one row, so the figures over 100,000 people read one table, not four.

    Kept in step by :mod:`vaka.training.trained` on every save of those four (and
    rebuilt whole by ``vaka training_statistics --rebuild``); whether the session has
    started yet is asked when the figures are read. A personal part like the enrolment it
    copies, seen exactly where the enrolment is.

    Its indexes are each a copy of the table in the order one statement of the figures
    groups by (the person's organisation, gender and country; the year, programme and
    firsts; the course and completion; the session), holding every column the policy and
    that statement ask about: the database reads an index from end to end, in order,
    instead of the table and a sort. None leads with a column the policy asks about
    alone but the organisation and the session, so SQLite never looks each person up in
    one (an ``OR`` of lookups) rather than reading it once. Rows go with their enrolment,
    which is never deleted with its session, course or person still holding it
    (``PROTECT``)."""

    owner_path = "course__owner_id"
    markings_path = "course__"
    personal_path = "participant__"
    # As the enrolment's, the programme read from the row's copy.
    personal_via_row = ("session__trainers__user", "programme__coordinators")
    # The person's organisation, copied here: the policy reads it from the row.
    personal_org_path = "organisation_id"

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, primary_key=True,
                                     related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, db_index=False,
                                    related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, db_index=False,
                                related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, db_index=False,
                               related_name="+")
    programme = models.ForeignKey("directory.Programme", on_delete=models.CASCADE, null=True,
                                  db_index=False, related_name="+")
    starts = models.DateField()
    ends = models.DateField()
    year = models.PositiveSmallIntegerField()
    completion = models.CharField(max_length=16, choices=Completion.choices)
    pre_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    post_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    gender = models.CharField(max_length=16, choices=Gender.choices)
    country = models.ForeignKey("directory.Country", on_delete=models.CASCADE,
                                db_index=False, related_name="+")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE,
                                     db_index=False, related_name="+")
    # Which of its person's rows this one is the first of (bits: ``trained.FIRST``, …).
    firsts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("trained enrolment")
        verbose_name_plural = _("trained enrolments")
        indexes = [_trained_index("trained_by_person", "organisation", "gender", "country",
                                  "firsts"),
                   _trained_index("trained_by_year", "year", "programme", "firsts"),
                   _trained_index("trained_by_course", "course", "completion", "pre_score",
                                  "post_score", "ends"),
                   _trained_index("trained_by_session", "session")]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.session_id}"


class Attendance(PersonalPart):
    """Whether an enrolled participant attended one day of the session."""

    owner_path = "enrolment__session__course__owner_id"
    markings_path = "enrolment__session__course__"
    personal_path = "enrolment__participant__"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE,
                                  related_name="attendance")
    day = models.DateField(_("day"))
    present = models.BooleanField(_("present"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["enrolment", "day"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["enrolment", "day"],
                                               name="training_one_attendance_a_day")]

    def __str__(self) -> str:
        return f"{self.enrolment} {self.day}"


class LessonProgress(PersonalPart):
    """A learner has read a lesson (Moodle's "view required" completion)."""

    owner_path = "lesson__module__course__owner_id"
    markings_path = "lesson__module__course__"
    personal_path = "participant__"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="lessons_read")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(_("read"), default=timezone.now)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [models.UniqueConstraint(fields=["participant", "lesson"],
                                               name="training_lesson_read_once")]

    def __str__(self) -> str:
        return f"{self.participant} read {self.lesson}"


class Attempt(PersonalPart):
    """One attempt at a quiz. ``deadline`` is fixed when it starts (the time limit, or the
    quiz's closing time); ``device`` is the hash of the token of the browser that started
    it: answers from another device, or after the deadline, are refused."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        ABANDONED = "abandoned", _("Abandoned")

    owner_path = "quiz__module__course__owner_id"
    markings_path = "quiz__module__course__"
    personal_path = "participant__"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.IN_PROGRESS)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    device = models.CharField(max_length=64)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True,
                                blank=True)
    passed = models.BooleanField(_("passed"), null=True)

    class Meta:
        ordering = ["quiz", "participant", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [models.UniqueConstraint(fields=["participant", "quiz", "number"],
                                               name="training_attempt_number")]

    def __str__(self) -> str:
        return f"{self.participant} {self.quiz} #{self.number}"


def new_certificate_code() -> str:
    """A verification code: 16 characters of Crockford-like base32, grouped by four."""
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


class Certificate(PersonalPart):
    """A certificate of completion. Its public page (``/verify/<code>``) confirms the
    name, course and date and nothing else; a revoked one says it was revoked."""

    owner_path = "enrolment__session__course__owner_id"
    markings_path = "enrolment__session__course__"
    personal_path = "enrolment__participant__"

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT,
                                     related_name="certificate")
    code = models.CharField(_("verification code"), max_length=19, unique=True,
                            default=new_certificate_code)
    # What the certificate says, fixed when issued (a later rename doesn't change it).
    name = models.CharField(_("name"), max_length=300)
    course_title = models.CharField(_("course"), max_length=200)
    completed_on = models.DateField(_("completed on"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason revoked"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("verify", args=[self.code])


class Requirement(models.Model):
    """An organisation requires a course's completion before its users receive a
    capability (e.g. "contribute" only after "Handling codes and TLP"). Enforced by the
    role system (``vaka.directory.roles.register_gate``); set and lifted through
    ``training.requirements``, audited."""

    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE,
                                     related_name="training_requirements",
                                     verbose_name=_("organisation"))
    capability = models.CharField(_("capability"), max_length=32)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("course"))
    created = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["organisation", "capability"]
        verbose_name = _("training requirement")
        verbose_name_plural = _("training requirements")
        constraints = [models.UniqueConstraint(fields=["organisation", "capability", "course"],
                                               name="training_one_requirement")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.capability} needs {self.course}"


class XapiOutbox(models.Model):
    """An xAPI statement waiting to be sent to the learning record store
    (``VAKA_XAPI_LRS_URL``): queued after the write it reports (``training.xapi``), sent
    in batches by the scheduler's round, retried with back-off until the LRS takes it.
    ``statement_id`` is the statement's own deterministic id: queued twice, sent once."""

    statement_id = models.UUIDField(unique=True)
    statement = models.JSONField()
    queued_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "pk"]
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"],
                                name="training_xapi_due")]

    def __str__(self) -> str:
        return str(self.statement_id)
