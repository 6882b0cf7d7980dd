"""Enrolments and completions from a Moodle CSV export, into one session.

The file is a CSV with a header line, as Moodle writes it (*Bulk user download*, the
course completion report's download, or a user upload file): comma, semicolon or tab
separated, UTF-8 (with or without a byte-order mark). Its columns are named as Moodle
names them; the case, spaces and underscores do not matter, and other columns are left
alone (``COLUMNS`` lists the names each one is known by):

* ``firstname`` and ``lastname`` — required on every line;
* ``email`` — finds the person among those the importer sees; without it, or when no one
  the importer sees has it, a new person record is made;
* ``username`` — kept for the report only (a Moodle user name is not a Vaka account);
* ``course`` (Moodle's course short name, ``course1`` in a user upload file) — when
  present it must be the chosen session's course code;
* ``timecompleted`` / ``Course complete`` — the completion date (a Unix time, as Moodle's
  database holds it, an ISO date, ``DD/MM/YYYY``, or Moodle's ``Tuesday, 3 November 2026,
  4:05 PM``); empty or ``0`` means not completed;
* ``grade`` / ``Course total`` — a percentage; with the course's pass mark it makes the
  completion passed or failed, and it is kept as the post-test score;
* ``country`` (ISO 3166-1 alpha-2) and ``gender`` — for new people only.

:func:`preview` checks every line and stores nothing: each problem names its line and
field. :func:`import_rows` stores the valid lines in one transaction — all of them, or
nothing — through the participants' and enrolments' services, marked ``source="moodle"``,
and appends one ``TRAINING_IMPORT`` audit entry.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from vaka.directory.models import Country, Organisation, User
from vaka.directory.roles import Capability
from vaka.policy import audit
from vaka.policy.visibility import visible_to
from vaka.training import enrolments, participants
from vaka.training.courses import can_manage
from vaka.training.models import Completion, Course, Enrolment, Gender, Participant, Session

SOURCE = "moodle"
MAX_ROWS = 5000
# Each column and the header names Moodle's exports and upload files give it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("username",),
    "email": ("email", "emailaddress", "e-mail", "e-mailaddress"),
    "firstname": ("firstname", "givenname"),
    "lastname": ("lastname", "surname", "familyname"),
    "course": ("course", "course1", "shortname", "courseshortname", "coursecode"),
    "completed": ("timecompleted", "coursecomplete", "completiondate", "datecompleted",
                  "completed"),
    "grade": ("grade", "coursetotal", "finalgrade", "grade%"),
    "country": ("country",),
    "gender": ("gender", "sex"),
}
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y",
                 "%d/%m/%y", "%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y", "%d %B %Y")
_GENDERS = {"f": Gender.FEMALE, "female": Gender.FEMALE, "woman": Gender.FEMALE,
            "m": Gender.MALE, "male": Gender.MALE, "man": Gender.MALE,
            "another": Gender.ANOTHER, "other": Gender.ANOTHER, "x": Gender.ANOTHER}


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


@dataclass
class Row:
    line: int
    username: str = ""
    email: str = ""
    given_name: str = ""
    family_name: str = ""
    course: str = ""
    completed: dt.date | None = None
    grade: Decimal | None = None
    country: Country | None = None
    gender: str = Gender.NOT_STATED
    person: Participant | None = None  # the existing person it is matched to
    enrolled: Enrolment | None = None  # their enrolment in the session, if any

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def completion_in(self, course: Course | None) -> Completion:
        if course is not None and course.pass_mark is not None and self.grade is not None:
            return Completion.PASS if self.grade >= course.pass_mark else Completion.FAIL
        return Completion.COMPLETE


@dataclass
class Preview:
    session: Session
    organisation: Organisation
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0

    @property
    def valid(self) -> list[Row]:
        wrong = {p.line for p in self.problems}
        return [row for row in self.rows if row.line not in wrong]


def _key(header: str) -> str:
    return re.sub(r"[\s_]+", "", header.strip().lower())


def _date(text: str) -> dt.date | str | None:
    """A date, None when empty (not completed), or the text when unreadable."""
    text = text.strip()
    if not text or text in ("0", "-"):
        return None
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text), dt.UTC).date()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return text


def read(content: bytes | str) -> tuple[list[Row], list[Problem], int]:
    """The file's lines as rows, the problems found in them alone (not yet against the
    database), and how many lines it has. Line numbers count the header as line 1."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return [], [Problem(0, "file", _("The file is not UTF-8 text (byte %(at)d); save "
                                             "it from Moodle or a spreadsheet as CSV UTF-8.")
                                % {"at": error.start})], 0
    content = content.lstrip("\ufeff")
    first = content.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    columns = {i: _ALIASES[_key(h)] for i, h in enumerate(header) if _key(h) in _ALIASES}
    missing = [n for n in ("firstname", "lastname") if n not in columns.values()]
    if missing:
        return [], [Problem(1, "header", _(
            "The header line has no %(missing)s column (found: %(found)s).") % {
            "missing": " or ".join(missing), "found": ", ".join(header) or _("nothing")})], 0
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(Problem(line, "file", _(
                    "More than %(n)d lines: split the file.") % {"n": MAX_ROWS}))
                break
            values = {name: cells[i].strip() if i < len(cells) else ""
                      for i, name in columns.items()}
            row, found = _row(line, values, seen)
            rows.append(row)
            problems += found
    except csv.Error as error:
        problems.append(Problem(reader.line_num, "file", str(error)))
    return rows, problems, len(rows)


def _row(line: int, values: dict[str, str], seen: dict[str, int]
         ) -> tuple[Row, list[Problem]]:
    problems = []
    row = Row(line, username=values.get("username", ""), course=values.get("course", ""),
              given_name=" ".join(values.get("firstname", "").split()),
              family_name=" ".join(values.get("lastname", "").split()))
    for name, value in (("firstname", row.given_name), ("lastname", row.family_name)):
        if not value:
            problems.append(Problem(line, name, _("The name is missing.")))
    if email := values.get("email", ""):
        try:
            validate_email(email)
        except ValidationError:
            problems.append(Problem(line, "email", _("“%(value)s” is not an e-mail address.")
                                    % {"value": email}))
        else:
            row.email = participants.normalise_email(email)
            if row.email in seen:
                problems.append(Problem(line, "email", _(
                    "%(email)s is on line %(other)d already.") % {
                    "email": row.email, "other": seen[row.email]}))
            seen.setdefault(row.email, line)
    when = _date(values.get("completed", ""))
    if isinstance(when, str):
        problems.append(Problem(line, "completed", _(
            "“%(value)s” is not a date (e.g. 2026-11-06, 06/11/2026 or a Unix time).")
            % {"value": when}))
    else:
        row.completed = when
    if (grade := values.get("grade", "").rstrip("%").strip()) and grade != "-":
        try:
            row.grade = Decimal(grade.replace(",", "."))
        except InvalidOperation:
            row.grade = None
        if row.grade is None or not row.grade.is_finite() or not 0 <= row.grade <= 100:
            row.grade = None
            problems.append(Problem(line, "grade", _(
                "“%(value)s” is not a percentage from 0 to 100.") % {"value": grade}))
    if country := values.get("country", "").upper():
        row.country = Country.objects.filter(code=country).first()
        if row.country is None:
            problems.append(Problem(line, "country", _(
                "“%(value)s” is not a country code (ISO 3166-1, e.g. FJ).") % {"value": country}))
    if gender := values.get("gender", "").strip().lower():
        if gender not in _GENDERS:
            problems.append(Problem(line, "gender", _(
                "Unknown gender “%(value)s” (female, male, another, or empty).")
                % {"value": gender}))
        row.gender = _GENDERS.get(gender, Gender.NOT_STATED)
    return row, problems


# --- against what is stored -----------------------------------------------------------------

def may_import(user: User, session: Session, organisation: Organisation) -> bool:
    """A manager of the session's course, or an admin of the people's organisation."""
    if not getattr(user, "is_authenticated", False) or not user.organisation_id:
        return False
    return can_manage(user, session.course) or (
        user.can(Capability.MANAGE_ORG_USERS) and organisation.pk == user.organisation_id)


def preview(user: User, session: Session, organisation: Organisation,
            content: bytes | str) -> Preview:
    """Every line checked, nothing stored: the rows that would be imported, each matched
    to a person the importer sees (by e-mail) or to be made, and every problem by line."""
    if not may_import(user, session, organisation):
        raise PermissionDenied(_("Only a trainer of the organisation that runs the course, or "
                                 "an admin of the people's organisation, imports into it."))
    rows, problems, lines = read(content)
    result = Preview(session, organisation, rows, problems, lines)
    code = session.course.code
    known = set(visible_to(user, Course.objects.all()).values_list("code", flat=True))
    emails = [row.email for row in rows if row.email]
    people: dict[str, Participant] = {}
    for person in participants.visible_participants(user).filter(email__in=emails):
        people.setdefault(participants.normalise_email(person.email), person)
    for person in participants.visible_participants(user).filter(
            user__email__in=emails).select_related("user"):
        people.setdefault(participants.normalise_email(person.user.email), person)
    enrolled = {e.participant_id: e for e in Enrolment.objects.filter(
        session=session, participant__in=[p.pk for p in people.values()])}
    for row in rows:
        if row.course and row.course != code:
            problems.append(Problem(row.line, "course", _(
                "Unknown course “%(value)s”.") % {"value": row.course} if row.course not in
                known else _("Course “%(value)s” is not the course of session %(session)s "
                             "(%(code)s).") % {"value": row.course, "session": session.reference,
                                               "code": code}))
        row.person = people.get(row.email) if row.email else None
        row.enrolled = enrolled.get(row.person.pk) if row.person else None
    problems.sort(key=lambda p: p.line)
    return result


def import_rows(user: User, session: Session, organisation: Organisation,
                content: bytes | str, *, request: Any = None) -> Preview:
    """Store the valid lines of the file (checked again here) in one transaction; a
    service refusing one line refuses the whole import, naming the line."""
    result = preview(user, session, organisation, content)
    rows = result.valid
    if not rows:
        raise ValidationError(_("The file has no valid line to import."))
    course = session.course
    created = enrolled = completed = 0
    with transaction.atomic():
        for row in rows:
            try:
                created_now, enrolled_now, completed_now = _store(user, session, organisation,
                                                                  course, row)
            except (ValidationError, PermissionDenied) as error:
                messages = (error.messages if isinstance(error, ValidationError)
                            else [str(error)])
                raise ValidationError(_("Line %(line)d: %(reason)s Nothing was imported.")
                                      % {"line": row.line, "reason": " ".join(messages)}
                                      ) from error
            created += created_now
            enrolled += enrolled_now
            completed += completed_now
        audit.record(audit.Action.TRAINING_IMPORT, actor=user, target=session, request=request,
                     detail={"format": "moodle-csv", "lines": result.lines,
                             "imported": len(rows), "left_out": result.lines - len(rows),
                             "people_created": created, "enrolled": enrolled,
                             "completions": completed})
    return result


def _store(user: User, session: Session, organisation: Organisation, course: Course,
           row: Row) -> tuple[int, int, int]:
    created = enrolled = 0
    person = row.person
    enrolment = row.enrolled
    if person is None:
        own = organisation.pk == user.organisation_id
        person = participants.create_participant(
            user, session=None if own else session, given_name=row.given_name,
            family_name=row.family_name, email=row.email, organisation=organisation,
            country=row.country or organisation.country, gender=row.gender, source=SOURCE)
        created = 1
        enrolment = Enrolment.objects.filter(session=session, participant=person).first()
        if enrolment is not None:  # enrolled as they were made (another organisation's)
            enrolled = 1
    if enrolment is None or enrolment.status == Enrolment.Status.WITHDRAWN:
        enrolment = enrolments.enrol(user, session, person, source=SOURCE)
        enrolled = 1
    if row.completed is None:
        return created, enrolled, 0
    if row.grade is not None:
        enrolment = enrolments.record_scores(user, enrolment, pre=enrolment.pre_score,
                                             post=row.grade)
    # The date Moodle recorded, kept by set_completion (it sets only a missing one).
    enrolment.completed_at = dt.datetime.combine(row.completed, dt.time(12), tzinfo=dt.UTC)
    enrolments.set_completion(user, enrolment, row.completion_in(course))
    return created, enrolled, 1
