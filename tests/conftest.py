import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import CommunityFactory, OrganisationFactory, UserFactory
from tests.shared_data import FAST_HASHERS, built_once
from vaka.directory.roles import Role
from vaka.directory.services import create_token


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _default_language():
    # A page asked for in Arabic leaves Arabic active in the thread (LocaleMiddleware does
    # not undo it): the next test would read French or Arabic messages.
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests serve the source files directly.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts(settings):
    # Rate limits count in the cache (vaka.web.throttling): one in memory per test, emptied
    # after it, so that no test is refused for calls an earlier test made. The limits
    # themselves stay the production defaults.
    # Sessions, kept in a cache on SQLite, in memory too (never culled during a run).
    memory = "django.core.cache.backends.locmem.LocMemCache"
    settings.CACHES = {"default": {"BACKEND": memory, "LOCATION": "tests"},
                       "sessions": {"BACKEND": memory, "LOCATION": "sessions",
                                    "OPTIONS": {"MAX_ENTRIES": 10**9}}}
    counts = caches["default"]
    yield
    counts.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(django_db_modify_db_settings_xdist_suffix):
    # pytest-django gives each xdist worker a database of its own by naming it after the
    # file with the worker's suffix; it leaves Django's SQLite engine alone (each worker's
    # test database is in its memory) but not vaka.sqlite, the same engine under our name,
    # whose test database it would put at "test_<path>_gw0". Back to memory.
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "vaka.sqlite":
        database.setdefault("TEST", {})["NAME"] = None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Tests that commit (live_server, transaction=True) are emptied with TRUNCATE, which the
    # audit log refuses on PostgreSQL (policy migration 0003); the test database allows it.
    # tests/policy/test_audit_chain.py turns the refusal back on inside its own transaction.
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE policy_auditentry "
                           "DISABLE TRIGGER policy_auditentry_no_truncate")


@pytest.fixture(scope="session")
def new_instance(tmp_path_factory):
    """A data directory that `vaka migrate` made from nothing in a process of its own
    (``tests.new_instance.migrated``). Migrating every app takes a while, so the tests of a
    new instance share one: they read it, or add what none of the others looks at; copy it
    (shutil.copytree) to change it."""
    from tests.new_instance import migrated

    return migrated(tmp_path_factory.mktemp("new-instance"))


@pytest.fixture(scope="class")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo (``vaka demo``), loaded once for a class of tests that read it: a load takes
    seconds. Each test's own changes are rolled back, and the demo after the class."""
    from vaka.directory import demo

    with built_once(django_db_blocker):
        demo.load()
        yield


@pytest.fixture
def region(db):
    """Two police units, a CERT served by the first unit, a community of unit A and the CERT."""

    class Region:
        unit_a = OrganisationFactory(name="Unit A")
        unit_b = OrganisationFactory(name="Unit B")
        cert = OrganisationFactory(name="CERT A", kind="cert")
        analyst_a = UserFactory(username="analyst_a", organisation=unit_a)
        colleague_a = UserFactory(username="colleague_a", organisation=unit_a)
        viewer_a = UserFactory(username="viewer_a", organisation=unit_a, role=Role.VIEWER)
        analyst_b = UserFactory(username="analyst_b", organisation=unit_b)
        cert_user = UserFactory(username="cert_user", organisation=cert)
        community = CommunityFactory(name="Unit A and CERT", members=[unit_a, cert])

    Region.cert.served_by = Region.unit_a
    Region.cert.save()
    return Region


def api_client_for(user) -> APIClient:
    _token, key = create_token(user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api_for():
    return api_client_for


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free loopback port, for this test only."""
    from tests.ports import free_port
    from tests.redis_server import start, stop

    port = free_port()
    server = start(port, tmp_path)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(server)
