"""A national unit, the Pacific coordination centre (a hub) and other countries' units."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.models import Organisation
from vaka.directory.roles import Role
from vaka.messaging import services
from vaka.policy.services import Markings


@pytest.fixture
def world(db, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path / "files"}}}
    fj, ws, to = CountryFactory(code="FJ"), CountryFactory(code="WS"), \
        CountryFactory(code="TO")

    class World:
        files = tmp_path / "files"
        fiji_unit = OrganisationFactory(name="Fiji Unit", country=fj)
        centre = OrganisationFactory(name="Pacific Centre", country=ws,
                                     kind=Organisation.Kind.COORDINATION_CENTRE)
        tonga_unit = OrganisationFactory(name="Tonga Unit", country=to)
        outsider = OrganisationFactory(name="Outsider Unit", country=to)
        fiji = UserFactory(username="fiji", organisation=fiji_unit)
        fiji_viewer = UserFactory(username="fiji_viewer", organisation=fiji_unit,
                                  role=Role.VIEWER)
        hub = UserFactory(username="hub", organisation=centre)
        hub_viewer = UserFactory(username="hub_viewer", organisation=centre, role=Role.VIEWER)
        tonga = UserFactory(username="tonga", organisation=tonga_unit)
        admin = UserFactory(username="admin", organisation=outsider,
                            role=Role.PLATFORM_ADMIN)

    return World


def amber(**extra) -> Markings:
    return Markings(**{"distribution": "members", "tlp": "amber", **extra})


def text_file(name: str = "notes.txt", data: bytes = b"the suspect's wallet\n"):
    return SimpleUploadedFile(name, data, content_type="text/plain")


def send(world, *, to=None, markings=None, attachments=(), **fields):
    return services.send_message(
        user=fields.pop("user", world.fiji), recipients=to or [world.centre],
        subject=fields.pop("subject", "Wallet seen in a romance scam"),
        body=fields.pop("body", "The wallet **bc1q…** received funds."),
        priority=fields.pop("priority", "routine"), markings=markings or amber(),
        attachments=attachments, **fields)
