"""A programme's coordinators, set by platform admins (audited), never by themselves."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import OrganisationFactory, UserFactory
from tests.training.test_certificates_pages import signed_in
from vaka.directory import services
from vaka.directory.models import Programme
from vaka.directory.roles import Role
from vaka.policy.models import AuditEntry


@pytest.fixture
def programme(db):
    return Programme.objects.create(code="blue-pacific", name="Blue Pacific")


def test_a_platform_admin_sets_coordinators_audited(programme):
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    person = UserFactory(organisation=OrganisationFactory())
    client = signed_in(admin)
    assert "Blue Pacific" in client.get("/programmes/").content.decode()
    response = client.post(f"/programmes/{programme.code}/edit/",
                           {"coordinators": [person.pk]})
    assert response.status_code == 302
    assert list(programme.coordinators.all()) == [person]
    entry = AuditEntry.objects.get(action="update", target_type="directory.programme")
    assert entry.detail == {"before": {"coordinators": []},
                            "after": {"coordinators": [person.pk]}}


def test_an_admin_may_not_name_themself(programme):
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    with pytest.raises(ValidationError):
        services.set_coordinators(programme, [admin], actor=admin)
    assert not programme.coordinators.exists()
    assert AuditEntry.objects.filter(action="refused").exists()


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.ANALYST])
def test_others_are_refused(programme, role):
    client = signed_in(UserFactory(role=role))
    assert client.get("/programmes/").status_code == 403
    assert client.get(f"/programmes/{programme.code}/edit/").status_code == 403
