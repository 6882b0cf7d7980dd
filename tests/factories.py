"""Factories for test data. Shareable records go through the policy services."""

import factory

from vaka.directory.models import Community, Country, Organisation, TOTPDevice, User
from vaka.directory.roles import Role
from vaka.intel.models import Note
from vaka.intel.services import create_note
from vaka.policy.services import Markings

PASSWORD = "correct-horse-battery"


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "FJ"
    alpha3 = factory.LazyAttribute(lambda c: {"FJ": "FJI", "WS": "WSM", "PH": "PHL"}.get(
        c.code, c.code + "X"))
    name = factory.LazyAttribute(lambda c: f"Country {c.code}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.POLICE_UNIT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.ANALYST
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Community {n}")

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


def make_note(user: User, title: str = "A note", **markings) -> Note:
    return create_note(user=user, title=title, body="body text", markings=Markings(**markings))


def confirmed_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
