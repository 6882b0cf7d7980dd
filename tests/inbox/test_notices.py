from django.utils import timezone

from tests.factories import OrganisationFactory, UserFactory
from tests.inbox.helpers import VALUE, hold, look_up
from vaka.inbox import selectors, services
from vaka.inbox.models import Notice
from vaka.intel.models import HitNotification


def test_one_value_looked_up_five_times_by_one_agency_is_one_notice_counting_five(region):
    hold(region.analyst_a, VALUE)
    for _ in range(5):
        look_up(region.analyst_b, VALUE)
    [notice] = selectors.notices_for(region.analyst_a)
    assert (notice.kind, notice.count) == (Notice.Kind.HIT, 5)
    assert notice.params["value"] == VALUE
    assert notice.params["organisation"] == region.unit_b.pk
    assert HitNotification.objects.count() == 5  # each hit is still on record


def test_the_same_value_looked_up_by_two_agencies_is_two_notices(region):
    hold(region.analyst_a, VALUE)
    other = UserFactory(organisation=OrganisationFactory(name="Unit C"))
    look_up(region.analyst_b, VALUE)
    look_up(other, VALUE)
    assert sorted(n.params["organisation"] for n in selectors.notices_for(
        region.analyst_a)) == sorted([region.unit_b.pk, other.organisation_id])


def test_an_ingested_match_makes_a_hit_notice_for_the_owner(region):
    hold(region.analyst_a, VALUE)
    hold(region.analyst_b, VALUE)
    [notice] = selectors.notices_for(region.colleague_a)
    assert notice.params["channel"] == "ingest"
    assert notice.target_name == "intel:object"


def test_a_new_notice_is_unread(region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    assert selectors.unread_count(region.analyst_a) == 1
    assert selectors.notices_for(region.analyst_a).get().unread


def test_opening_a_notice_marks_it_read_for_that_user_only(region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    notice = selectors.notices_for(region.analyst_a).get()
    services.open_notice(region.analyst_a, notice.pk)
    assert selectors.unread_count(region.analyst_a) == 0
    assert selectors.unread_count(region.colleague_a) == 1


def test_a_repeat_after_reading_makes_the_notice_unread_again_with_the_count_up(region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    services.mark_all_read(region.analyst_a)
    look_up(region.analyst_b, VALUE)
    notice = selectors.notices_for(region.analyst_a).get()
    assert notice.unread and notice.count == 2


def test_mark_all_read_leaves_nothing_unread(region):
    hold(region.analyst_a, VALUE, "phish-kit-9.org")
    look_up(region.analyst_b, VALUE, "phish-kit-9.org")
    assert services.mark_all_read(region.analyst_a) == 2
    assert selectors.unread_count(region.analyst_a) == 0


def test_a_third_agency_that_sees_the_record_gets_no_notice_and_no_count(region):
    hold(region.analyst_a, VALUE, tlp="green", distribution="communities",
         communities=[region.community])  # Unit A and the CERT
    look_up(region.analyst_b, VALUE)
    assert selectors.notices_for(region.analyst_a).count() == 1
    assert not selectors.notices_for(region.cert_user).exists()
    assert selectors.unread_count(region.cert_user) == 0


def test_the_old_hit_list_no_longer_shows_partners_records(region):
    from vaka.intel.selectors import notifications_for

    hold(region.analyst_a, VALUE, tlp="green", distribution="communities",
         communities=[region.community])
    look_up(region.analyst_b, VALUE)
    assert notifications_for(region.analyst_a).count() == 1
    assert notifications_for(region.cert_user).count() == 0


def test_a_hit_on_a_red_record_reaches_only_its_named_people(region):
    hold(region.analyst_a, VALUE, tlp="red", recipients=[region.viewer_a])
    look_up(region.analyst_b, VALUE)
    assert selectors.unread_count(region.viewer_a) == 1
    assert not selectors.notices_for(region.colleague_a).exists()
    assert selectors.unread_count(region.colleague_a) == 0


def test_the_asking_agency_gets_no_notice(region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    assert not selectors.notices_for(region.analyst_b).exists()


def test_a_rejected_submission_makes_a_notice_for_its_submitter(region):
    from vaka.intel import services as intel
    from vaka.policy.services import Markings

    submission = intel.ingest_bytes(b"{not json", organisation=region.unit_a,
                                    user=region.analyst_a, markings=Markings(), source="api",
                                    fmt="stix")
    [notice] = selectors.notices_for(region.analyst_a)
    assert notice.kind == Notice.Kind.SUBMISSION_PROBLEM
    assert notice.target_args == [submission.pk]
    assert not selectors.notices_for(region.analyst_b).exists()


def test_a_partly_stored_submission_makes_a_notice_saying_how_many_were_refused(
        region, client):
    from tests.intel.store_data import bundle, indicator
    from vaka.intel import services as intel
    from vaka.policy.services import Markings

    bad = {**indicator("x.example.com"), "id": "indicator--not-a-uuid"}
    intel.ingest_bytes(bundle(indicator("fine.example.com"), bad), organisation=region.unit_a,
                       user=region.analyst_a, markings=Markings(), source="api", partial=True)
    [notice] = selectors.notices_for(region.colleague_a)
    assert notice.params == {"status": "partial", "rejected": 1}
    client.force_login(region.colleague_a)
    assert "1 item was refused" in client.get("/inbox/").content.decode()


def test_a_clean_submission_makes_no_notice(region):
    hold(region.analyst_a, VALUE)
    assert not Notice.objects.exists()


def test_mark_dashboard_seen_returns_the_previous_visit(region):
    assert services.mark_dashboard_seen(region.analyst_a) is None
    before = timezone.now()
    previous = services.mark_dashboard_seen(region.analyst_a)
    assert previous is not None and previous <= before


def test_ingesting_many_hits_upserts_notices_in_one_statement(
        region, django_assert_max_num_queries):
    from vaka.intel.models import StixObject
    from vaka.intel.parsing.observables import value_hash

    values = [f"45.33.12.{i}" for i in range(1, 60)]
    hold(region.analyst_a, *values)
    objects = dict(StixObject.objects.filter(owner=region.unit_a, type="indicator")
                   .values_list("pk", "name"))
    hits = [(pk, "ipv4", v, value_hash("ipv4", v), region.unit_b.pk, "ingest")
            for pk, v in zip(objects, values, strict=False)]
    with django_assert_max_num_queries(4):  # markings, the upsert, and the savepoint
        assert services.notify_hits(hits) == len(hits)


def test_a_user_without_an_organisation_has_no_notices_and_no_count(region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    loner = UserFactory(organisation=None)
    assert selectors.unread_count(loner) == 0
    assert not selectors.notices_for(loner).filter(unread=True).exists()


def test_a_remark_to_red_takes_the_hit_notice_from_colleagues_outside_the_audience(region):
    from vaka.intel import corrections
    from vaka.intel.models import StixObject
    from vaka.policy.services import Markings

    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    assert selectors.unread_count(region.colleague_a) == 1
    obj = StixObject.objects.get(owner=region.unit_a)
    named = UserFactory(organisation=region.unit_a)
    corrections.remark(obj, user=region.analyst_a, markings=Markings(
        tlp="red", distribution="organisation", recipients=[named]))
    assert selectors.unread_count(region.colleague_a) == 0
    assert not selectors.notices_for(region.colleague_a).exists()
    assert selectors.unread_count(named) == 1


def test_deleting_a_record_deletes_its_hit_notices(region):
    from vaka.intel import corrections
    from vaka.intel.models import StixObject

    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    corrections.delete(StixObject.objects.get(owner=region.unit_a), user=region.analyst_a)
    assert not Notice.objects.filter(kind=Notice.Kind.HIT).exists()
