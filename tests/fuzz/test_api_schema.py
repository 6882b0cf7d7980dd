"""Every operation of Vaka's own OpenAPI schema, called with valid and invalid data.

Schemathesis reads the schema drf-spectacular generates (the one ``/api/schema/`` serves)
and calls each operation in-process through the WSGI application, as a platform admin of
the desk with an API token, so that every view is reached past authentication. Whatever
it sends, no answer may be a server error: bad input is a 4xx that says what was wrong.
And every answer the schema documents must match it (body, content type, headers), so
the schema cannot drift from what the API sends.

The admin's world has a record of each kind the API serves, and the valid cases of an
operation on one record are aimed at it (a made-up id is a 404, which the schema leaves
undocumented): a STIX object with a hit on it and a correlation held elsewhere, its
submission, a note, a notice, a saved search, a spare token, a user without an
organisation, an organisation, a community, a country and a threat alert disseminated to
the other unit, and a message and a request for information to it.

Sized for the suite, which runs it on SQLite and on PostgreSQL: a few examples per
operation from a fixed seed (``VAKA_FUZZ_EXAMPLES`` sets more, for a deeper run by hand),
and no coverage phase (its boundary cases cost four times the time; a run with it and 25
random examples per operation found nothing more).
"""

import os
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from tests.factories import (
    CommunityFactory,
    CountryFactory,
    OrganisationFactory,
    UserFactory,
    make_note,
)
from tests.intel.store_data import bundle, indicator
from vaka.directory.models import Organisation
from vaka.directory.roles import Role
from vaka.directory.services import create_token
from vaka.inbox.models import Notice
from vaka.intel import services
from vaka.intel.models import HitNotification, StixObject
from vaka.messaging import rfis
from vaka.messaging import services as messaging
from vaka.policy.services import Markings
from vaka.products import dissemination
from vaka.products import services as products
from vaka.web.saved_searches import save_search

# The schema as /api/schema/ serves it (that route needs credentials; generating it here
# needs no database, so the operations are known when the tests are collected).
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=int(os.environ.get("VAKA_FUZZ_EXAMPLES", "8")),
    deterministic=True,
)
schema.config.phases.coverage.enabled = False

# Status codes the schema leaves out (most 4xx) are not checked against it: drf-spectacular
# documents the answers of success, and the errors an operation declares.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          response_headers_conformance]
VALUE = "fuzz-c2.xyz"

# Which record of the world each operation on one record is aimed at.
RECORDS: dict[str, Callable[[Any], Any]] = {
    "/api/objects/{id}/": lambda w: w.object.pk,
    "/api/objects/{id}/correlations/": lambda w: w.object.pk,
    "/api/submissions/{id}/": lambda w: w.object.submission_id,
    "/api/notes/{id}/": lambda w: w.note.pk,
    "/api/notifications/{id}/": lambda w: w.notification.pk,
    "/api/inbox/{id}/": lambda w: w.notice.pk,
    "/api/inbox/{id}/read/": lambda w: w.notice.pk,
    "/api/saved-searches/{id}/": lambda w: w.search.pk,
    "/api/tokens/{id}/": lambda w: w.spare_token.pk,
    "/api/users/{id}/": lambda w: w.without_organisation.pk,
    "/api/organisations/{id}/": lambda w: w.unit.pk,
    "/api/communities/{id}/": lambda w: w.community.pk,
    "/api/countries/{id}/": lambda w: w.country.pk,
    **{f"/api/products/{{id}}/{path}": lambda w: w.product.pk for path in (
        "", "submit/", "return/", "approve/", "new-revision/", "disseminate/",
        "acknowledge/", "close/", "recipients/", "stix/")},
    **{f"/api/messages/{{id}}/{path}": lambda w: w.message.pk for path in (
        "", "reply/", "forward/", "receipts/", "eml/")},
    **{f"/api/rfis/{{id}}/{path}": lambda w: w.rfi.message_id for path in (
        "", "answer/", "close/")},
}


def _product(desk: Organisation, admin: Any, unit: Organisation, linked: StixObject) -> Any:
    """A threat alert of the desk, disseminated to the unit, linking the desk's object."""
    writer = UserFactory(username="fuzz-writer", organisation=desk)
    product = products.create_product(
        user=writer, kind="alert", markings=Markings(distribution="members"),
        content=products.Content(title="Fuzz alert", linked=[linked.pk],
                                 sections={"threat": "t", "recommended_actions": "r"},
                                 ack_deadline=timezone.now() + timedelta(days=2)))
    products.submit_for_review(product, user=writer)
    products.approve(product, user=admin)
    dissemination.disseminate(product, user=admin,
                              choice=dissemination.Choice(organisations=(unit.pk,)))
    return product


def _message(admin: Any, unit: Organisation) -> tuple[Any, Any]:
    """A message of the desk to the unit, and a request for information likewise."""
    marks = {"distribution": "members", "tlp": "amber"}
    message = messaging.send_message(user=admin, recipients=[unit], subject="Fuzz message",
                                     body="Text.", markings=Markings(**marks))
    rfi = rfis.send_rfi(user=admin, recipients=[unit], subject="Fuzz question", body="Who?",
                        details=rfis.RfiDetails(deadline=timezone.now() + timedelta(days=2)),
                        markings=Markings(**marks))
    return message, rfi


def _world() -> SimpleNamespace:
    desk = OrganisationFactory(name="Fuzz desk", kind=Organisation.Kind.DESK)
    unit = OrganisationFactory(name="Fuzz unit")
    admin = UserFactory(username="fuzz-admin", organisation=desk, role=Role.PLATFORM_ADMIN)
    holder = UserFactory(username="fuzz-holder", organisation=unit)
    # Each organisation holds the value for itself only: the unit's look-up is a hit on the
    # desk's object, and the desk's object correlates with one held elsewhere.
    for owner, user in ((desk, admin), (unit, holder)):
        services.ingest_bytes(bundle(indicator(VALUE, seed=owner.name)), organisation=owner,
                              user=user, markings=Markings(distribution="organisation"),
                              source="api", fmt="stix")
    services.lookup([VALUE], user=holder)
    own = StixObject.objects.get(owner=desk)
    message, rfi = _message(admin, unit)
    return SimpleNamespace(
        message=message, rfi=rfi,
        product=_product(desk, admin, unit, own),
        admin=admin, unit=unit, object=own, note=make_note(admin, title="Something to find"),
        notification=HitNotification.objects.filter(object=own).first(),
        notice=Notice.objects.filter(owner=desk).first(),
        search=save_search(admin, list_name="intel:objects", name="fuzz", query="tlp=green"),
        spare_token=create_token(admin, name="spare")[0],
        without_organisation=UserFactory(username="fuzz-nobody", organisation=None,
                                         role=Role.PLATFORM_ADMIN),
        community=CommunityFactory(name="Fuzz community", members=[desk, unit]),
        country=CountryFactory(code="FJ"))


@pytest.fixture
def world(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    world = _world()
    assert world.notification is not None and world.notice is not None
    world.key = create_token(world.admin, name="fuzz")[1]
    # The calls go through the real WSGI handler, which closes the database connection
    # after each request: inside the test's transaction that loses it (PostgreSQL). Django's
    # test client keeps it open the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield world
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_answers_what_its_schema_says(case, world):
    record = RECORDS.get(case.path)
    if record and not (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        case.path_parameters["id"] = str(record(world))
    # Uncompressed: the in-process client does not undo GZipMiddleware's encoding.
    case.call_and_validate(headers={"Authorization": f"Token {world.key}",
                                    "Accept-Encoding": "identity"}, checks=CHECKS)
