"""The demo's training: made through the services, counted by the statistics."""

from vaka.directory import demo
from vaka.directory.models import Programme, User
from vaka.training.models import Certificate, Course, Enrolment, Session
from vaka.training.statistics import Filters, training_figures


def test_the_demo_trains_people_in_three_countries_and_a_trainer_goes_on_to_teach(db):
    demo.load()
    assert Course.objects.filter(programme="blue-pacific").count() == 4
    coordinator = User.objects.get(username="ptccc.coordinator")
    assert Programme.objects.get(code="blue-pacific").coordinators.filter(
        pk=coordinator.pk).exists()
    f = training_figures(coordinator, Filters(programme="blue-pacific"))
    assert f.sessions == 4 and f.people == 8
    assert f.by_gender["female"] == 4 and f.by_gender["male"] == 3
    assert {name for name, _n in f.by_country} >= {"Fiji", "Samoa", "Tonga"}
    assert f.improvement is not None and f.improvement > 0
    assert (f.trainers_trained, f.trainers_delivering) == (2, 1)
    assert Certificate.objects.exists()
    assert Session.objects.filter(starts__gt=f"{__import__('datetime').date.today()}",
                                  trainers__user__username="ptccc.trainer").count() == 2
    assert Enrolment.objects.filter(session__course__code="bp-handling-codes").count() == 2
    assert demo.load()["training sessions"] == 0
