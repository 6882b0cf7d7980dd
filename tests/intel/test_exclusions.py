"""Admins' warninglist exclusions reach stored values and every process."""

import pytest

from tests.factories import UserFactory
from tests.intel.test_exports import blocklist, indicator, ingest, ip
from vaka.directory.roles import Role
from vaka.intel import services, warninglists
from vaka.intel.models import Observable, WarninglistEntry


@pytest.fixture(autouse=True)
def _fresh_exclusions():
    # Tests roll back without running on-commit hooks: start and end with no cached copy.
    warninglists.forget_own_entries()
    yield
    warninglists.forget_own_entries()


@pytest.fixture
def admin(region):
    return UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_b)


def blockable(region, *objects):
    ingest(region.analyst_a, *objects, tlp="green", pap="green", distribution="members")


def flags(value: str) -> set[str]:
    return set(Observable.objects.filter(value=value).values_list("warninglists", flat=True))


def test_network_exclusion_takes_stored_addresses_in_it_off_the_blocklist(region, admin,
                                                                         api_for):
    blockable(region, ip("91.92.240.13"), ip("91.92.241.5"))
    client = api_for(region.analyst_a)
    assert blocklist(client, "ip") == ["91.92.240.13", "91.92.241.5"]
    services.add_exclusion(user=admin, kind="ipv4", value="91.92.240.0/24", note="Our range")
    assert blocklist(client, "ip") == ["91.92.241.5"]
    assert flags("91.92.240.13") == {"Our range"}


def test_domain_exclusion_covers_stored_subdomains_and_urls_on_it(region, admin, api_for):
    blockable(region, indicator("login-update.xyz"), indicator("cdn.login-update.xyz"),
              indicator("http://cdn.login-update.xyz/kit.zip", "url:value"),
              indicator("notlogin-update.xyz"))
    services.add_exclusion(user=admin, kind="domain", value="login-update[.]xyz")
    client = api_for(region.analyst_a)
    assert blocklist(client, "domain") == ["notlogin-update.xyz"]
    assert blocklist(client, "url") == []


def test_exact_value_exclusion_takes_a_stored_hash_off_the_blocklist(region, admin, api_for):
    blockable(region, indicator("ab" * 32, "file:hashes.'SHA-256'"),
              indicator("cd" * 32, "file:hashes.'SHA-256'"))
    services.add_exclusion(user=admin, kind="sha256", value="AB" * 32)
    assert blocklist(api_for(region.analyst_a), "hash") == ["cd" * 32]


def test_removing_an_exclusion_puts_stored_values_back(region, admin, api_for):
    blockable(region, ip("91.92.240.13"))
    entry = services.add_exclusion(user=admin, kind="ipv4", value="91.92.240.13")
    client = api_for(region.analyst_a)
    assert blocklist(client, "ip") == []
    services.remove_exclusion(entry, user=admin)
    assert blocklist(client, "ip") == ["91.92.240.13"]
    assert flags("91.92.240.13") == {""}


def test_removing_an_exclusion_keeps_values_a_shipped_list_holds(region, admin):
    blockable(region, ip("8.8.8.8"))
    shipped = flags("8.8.8.8")
    assert shipped != {""}
    entry = services.add_exclusion(user=admin, kind="ipv4", value="8.8.8.0/24", note="Ours")
    assert all("Ours" in names for names in flags("8.8.8.8"))
    services.remove_exclusion(entry, user=admin)
    assert flags("8.8.8.8") == shipped


def test_excluded_stored_value_no_longer_correlates(region, admin):
    from vaka.intel.selectors import objects_for, with_correlations

    blockable(region, ip("91.92.240.13"), ip("91.92.240.13", seed="again"))
    assert with_correlations(objects_for(region.analyst_a)).count() == 2
    services.add_exclusion(user=admin, kind="ipv4", value="91.92.240.13")
    assert with_correlations(objects_for(region.analyst_a)).count() == 0


def test_another_process_sees_a_new_exclusion_after_the_recheck_interval(db, monkeypatch):
    assert warninglists.warninglist_names("domain", "police.example") == ""
    # Another process adds an entry: this one is not told, it finds out by the fingerprint.
    WarninglistEntry.objects.create(kind="domain", value="police.example", note="Theirs")
    now = warninglists.time.monotonic()
    monkeypatch.setattr(warninglists.time, "monotonic",
                        lambda: now + warninglists.RECHECK_SECONDS + 1)
    assert warninglists.warninglist_names("domain", "www.police.example") == "Theirs"


def test_another_process_sees_a_removed_exclusion_after_the_recheck_interval(db,
                                                                            monkeypatch):
    entry = WarninglistEntry.objects.create(kind="domain", value="police.example")
    assert warninglists.warninglist_names("domain", "police.example") == "Local exclusion"
    entry.delete()
    now = warninglists.time.monotonic()
    monkeypatch.setattr(warninglists.time, "monotonic",
                        lambda: now + warninglists.RECHECK_SECONDS + 1)
    assert warninglists.warninglist_names("domain", "police.example") == ""


def test_exclusions_are_checked_against_the_database_at_most_once_per_interval(
        db, django_assert_num_queries):
    warninglists.own_entries()
    with django_assert_num_queries(0):
        for _ in range(100):
            warninglists.warninglist_names("ipv4", "91.92.240.13")


def test_a_forked_process_uses_the_copy_it_inherited_without_the_database(
        db, monkeypatch, django_assert_num_queries):
    warninglists.own_entries()
    monkeypatch.setattr(warninglists, "_own_pid", -1)  # as a fork child sees it
    monkeypatch.setattr(warninglists, "_checked_at", 0.0)
    with django_assert_num_queries(0):
        warninglists.warninglist_names("ipv4", "91.92.240.13")
