"""The demo region's training, made through the same services trainers and admins use:
four courses of the Blue Pacific programme run by the PTCCC (cybercrime investigation,
human rights and gender equality, handling codes and TLP online with a lesson and a quiz,
and a training of trainers), sessions held in Fiji, Samoa and online and two to come in
Tonga and Fiji, with ``ptccc.trainer`` and a Fijian officer the programme trained as
trainers; demo users and external officers of mixed genders take part, with attendance,
pre/post-test scores, completions and certificates. ``ptccc.coordinator`` coordinates the
programme. Idempotent: left alone when the first course exists."""

from datetime import date, timedelta

from django.utils import timezone

from vaka.directory import services as directory
from vaka.directory.demo import ADMIN_USERNAME, police_unit_name
from vaka.directory.models import Country, Organisation, Programme, User
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings
from vaka.training import courses, enrolments, lessons, quiz_authoring
from vaka.training.courses import CourseDetails, SessionDetails
from vaka.training.models import Course, Participant, Session
from vaka.training.participants import (
    create_participant,
    participant_for,
    update_participant,
)

PROGRAMME = "blue-pacific"
DONOR = "Blue Pacific donors"
COURSES = [
    CourseDetails(
        code="bp-cyber-foundations", title="Cybercrime investigation foundations",
        summary="Five days on first response to cybercrime: seizing and preserving digital "
        "evidence, open sources, and asking partners for data.",
        topics=["cybercrime_investigation", "digital_evidence"], languages=["en"],
        programme=PROGRAMME, donor=DONOR, project_code="BP-T1", pass_mark=60,
        duration_hours=35),
    CourseDetails(
        code="bp-human-rights-gender", title="Human rights and gender equality in policing",
        summary="Three days on rights-based policing, gender-based violence online and "
        "survivor-centred investigations.", topics=["human_rights", "gender_equality"],
        languages=["en"], programme=PROGRAMME, donor=DONOR, project_code="BP-T2",
        human_rights_gender=True, gender_marker=2, duration_hours=21),
    CourseDetails(
        code="bp-handling-codes", title="Handling codes and TLP",
        summary="Online: the Traffic Light Protocol, handling codes and what a recipient "
        "may do with shared information.", topics=["handling_codes"], languages=["en"],
        delivery="online", programme=PROGRAMME, donor=DONOR, project_code="BP-T3",
        min_attendance=100, duration_hours=2),
    CourseDetails(
        code="bp-training-of-trainers", title="Training of trainers",
        summary="Five days for officers who will teach: adult learning, session plans, "
        "running pre- and post-tests.", topics=["trainer_development"], languages=["en"],
        programme=PROGRAMME, donor=DONOR, project_code="BP-T4", duration_hours=35),
]
# The external officers: given name, family name, country, gender, rank.
OFFICERS = [
    ("Mere", "Vula", "FJ", "female", "Sergeant"),
    ("Tavita", "Leota", "WS", "male", "Constable"),
    ("Salote", "Taufa", "TO", "female", "Inspector"),
    ("Pita", "Rokotuiwai", "FJ", "male", "Corporal"),
    ("Faith", "Tamapua", "WS", "female", "Constable"),
    ("Kalolaine", "Vea", "TO", "not_stated", "Sergeant"),
]


def _unit(code: str) -> Organisation:
    return Organisation.objects.get(name=police_unit_name(code), origin__isnull=True)


def _hold(trainer: User, session: Session, scores: dict[int, tuple[int, int]],
          absent: frozenset[int] = frozenset()) -> None:
    """Attendance every day (``absent``: enrolment ids missing the first day), scores by
    enrolment id, and the completion by the course's rules (certificates follow)."""
    days = enrolments.session_days(session)
    ids = list(session.enrolments.filter(status="enrolled").values_list("pk", flat=True))
    for n, day in enumerate(days):
        enrolments.record_attendance(trainer, session, day,
                                     [i for i in ids if n > 0 or i not in absent])
    for enrolment in session.enrolments.filter(pk__in=ids):
        if enrolment.pk in scores:
            pre, post = scores[enrolment.pk]
            enrolments.record_scores(trainer, enrolment, pre=pre, post=post)
        enrolments.set_completion(trainer, enrolment)


def load() -> int:
    """Make the demo training; the number of sessions made (0 on a second run)."""
    if Course.objects.filter(code=COURSES[0].code).exists():
        return 0
    trainer = User.objects.get(username="ptccc.trainer")
    fiji_admin = User.objects.get(username="fj.admin")
    programme = Programme.objects.get(code=PROGRAMME)
    directory.set_coordinators(programme, [
        *programme.coordinators.all(), User.objects.get(username="ptccc.coordinator")],
        actor=User.objects.get(username=ADMIN_USERNAME))
    markings = Markings(distribution=Distribution.MEMBERS, tlp=TLP.GREEN)
    made = {d.code: courses.create_course(trainer, d, markings) for d in COURSES}
    tlp = made["bp-handling-codes"]
    module = lessons.create_module(trainer, tlp, lessons.ModuleDetails(
        title="Marking and sharing", summary="What TLP and the handling codes mean."))
    lessons.create_lesson(trainer, module, lessons.LessonDetails(
        title="The Traffic Light Protocol", body=(
            "TLP 2.0 has five labels:\n\n* **TLP:CLEAR** — anyone may see it.\n"
            "* **TLP:GREEN** — the community.\n* **TLP:AMBER** — the recipients' "
            "organisations, on a need-to-know basis.\n* **TLP:AMBER+STRICT** — the "
            "recipients' organisation only.\n* **TLP:RED** — the named people only.\n")))
    quiz = quiz_authoring.create_quiz(trainer, module, quiz_authoring.QuizDetails(
        title="TLP check", intro="Three questions.", time_limit=10, pass_mark=70))
    Choice, Question = quiz_authoring.Choice, quiz_authoring.QuestionDetails
    for details in (
        Question(kind="single", text="Who may see TLP:AMBER+STRICT information?", choices=[
            Choice("Anyone in the community"), Choice("The recipient's organisation only",
                                                      correct=True),
            Choice("Only the named people")]),
        Question(kind="true_false", text="TLP:CLEAR information may be published.",
                 answer=True),
        Question(kind="short", text="Which label limits information to the named people?",
                 accepted=["TLP:RED", "RED"]),
    ):
        quiz_authoring.add_question(trainer, quiz, details)

    today = timezone.localdate()
    sione = participant_for(trainer)

    def session(code: str, starts: date, days: int, place: str, country: str | None,
                online: bool = False) -> Session:
        made_session = courses.create_session(trainer, made[code], SessionDetails(
            starts=starts, ends=starts + timedelta(days=days - 1), place=place,
            country=country, online=online, capacity=20))
        courses.set_trainers(trainer, made_session, [sione])
        return made_session

    tot = session("bp-training-of-trainers", today - timedelta(days=300), 5, "Apia", "WS")
    cyber = session("bp-cyber-foundations", today - timedelta(days=120), 5, "Suva", "FJ")
    rights = session("bp-human-rights-gender", today - timedelta(days=60), 3, "Apia", "WS")
    online = session("bp-handling-codes", today - timedelta(days=30), 1, "", None, True)
    coming = [session("bp-cyber-foundations", today + timedelta(days=30), 5, "Nuku'alofa",
                      "TO"),
              session("bp-human-rights-gender", today + timedelta(days=75), 3, "Suva", "FJ")]

    people: dict[str, Participant] = {}
    for given, family, country, gender, rank in OFFICERS:
        people[given] = create_participant(
            trainer, session=tot if given in ("Mere", "Tavita") else cyber,
            given_name=given, family_name=family, organisation=_unit(country),
            country=Country.objects.get(code=country), gender=gender, rank=rank)
    for name in ("Mere", "Tavita"):  # trained as trainers, then in the other courses
        enrolments.enrol(trainer, cyber, people[name])
    for name in ("Salote", "Faith", "Kalolaine", "Tavita"):
        enrolments.enrol(trainer, rights, people[name])
    for username, gender in (("fj.analyst", "male"), ("fj.viewer", "female")):
        person = update_participant(fiji_admin, participant_for(
            User.objects.get(username=username)), gender=gender)
        for target in (cyber, online, coming[0]):
            enrolments.enrol(fiji_admin, target, person)
    enrolments.enrol(trainer, coming[1], people["Pita"])

    def scores(target: Session, pairs: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
        ids = target.enrolments.order_by("pk").values_list("pk", flat=True)
        return dict(zip(ids, pairs, strict=False))

    _hold(trainer, tot, scores(tot, [(55, 82), (48, 74)]))
    courses.set_trainers(trainer, rights, [sione, people["Mere"]])  # she now teaches
    _hold(trainer, cyber, scores(cyber, [(42, 71), (35, 66), (50, 58), (61, 85), (38, 49),
                                         (45, 77), (52, 80)]),
          absent=frozenset(cyber.enrolments.order_by("-pk").values_list("pk", flat=True)[:1]))
    _hold(trainer, rights, scores(rights, [(40, 75), (58, 81), (47, 70), (52, 79)]))
    _hold(trainer, online, {})
    return Session.objects.filter(course__in=made.values()).count()
