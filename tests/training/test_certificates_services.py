"""Certificates: issued once for a completed enrolment, what they say fixed, revoked by the
course's trainers with a reason, verified by a code typed any way, printed as a PDF."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from vaka.inbox.models import Notice
from vaka.policy.models import AuditEntry
from vaka.training import certificates
from vaka.training.models import Completion


def complete(enrolment, completion=Completion.PASS):
    enrolment.completion = completion
    enrolment.save()
    return enrolment


def test_issue_is_idempotent_and_audited_once(world):
    complete(world.enrolment)
    first = certificates.issue(world.enrolment, user=world.trainer)
    again = certificates.issue(world.enrolment, user=world.trainer)
    assert first.pk == again.pk
    assert AuditEntry.objects.filter(action="certificate_issue").count() == 1


def test_issue_freezes_what_the_certificate_says(world):
    complete(world.enrolment)
    cert = certificates.issue(world.enrolment, user=world.trainer)
    world.officer.family_name = "Renamed"
    world.officer.save()
    world.course.title = "Another title"
    world.course.save()
    cert.refresh_from_db()
    assert (cert.name, cert.course_title) == ("Mere Vula",
                                              "Cybercrime investigation foundations")


@pytest.mark.parametrize("state", [Completion.INCOMPLETE, Completion.FAIL])
def test_no_certificate_without_completion(world, state):
    complete(world.enrolment, state)
    with pytest.raises(ValidationError) as error:
        certificates.issue(world.enrolment, user=world.trainer)
    assert "completion" in error.value.message_dict


def test_someone_who_cannot_see_the_enrolment_cannot_issue(world):
    complete(world.enrolment)
    with pytest.raises(PermissionDenied):
        certificates.issue(world.enrolment, user=world.ph_admin)


def test_the_participants_organisation_is_told_with_the_courses_markings(world):
    complete(world.enrolment)
    cert = certificates.issue(world.enrolment, user=world.trainer)
    notice = Notice.objects.get(kind=Notice.Kind.CERTIFICATE)
    assert notice.owner_id == world.fiji_unit.pk
    assert (notice.tlp, notice.target_args) == (world.course.tlp, [cert.pk])
    assert set(notice.params) == {"name", "course"}  # nothing else about the person
    assert certificates.notice_text(notice, False) == (
        "A certificate was issued to Mere Vula for Cybercrime investigation foundations.")


def test_revoke_needs_a_reason_and_a_trainer_of_the_course(world):
    complete(world.enrolment)
    cert = certificates.issue(world.enrolment, user=world.trainer)
    with pytest.raises(ValidationError) as error:
        certificates.revoke(cert, user=world.trainer, reason="  ")
    assert "reason" in error.value.message_dict
    for outsider in (world.fiji_admin, world.ph_admin, world.coordinator):
        with pytest.raises(PermissionDenied):
            certificates.revoke(cert, user=outsider, reason="Copied the post-test")
    cert = certificates.revoke(cert, user=world.trainer, reason="Copied the post-test")
    assert cert.revoked_at is not None
    entry = AuditEntry.objects.get(action="certificate_revoke")
    assert entry.detail == {"reason": "Copied the post-test"}
    with pytest.raises(ValidationError):
        certificates.revoke(cert, user=world.trainer, reason="Again")


def test_verify_accepts_the_code_typed_any_way(world):
    complete(world.enrolment)
    cert = certificates.issue(world.enrolment, user=world.trainer)
    raw = cert.code.replace("-", "")
    for typed in (cert.code, cert.code.lower(), f" {raw[:8]} {raw[8:]} ", raw.lower()):
        assert certificates.verify(typed) == cert
    for wrong in ("", "ABCD", raw[:-1] + "0", "ÀBCD-EFGH-JKMN-PQRS"):
        assert certificates.verify(wrong) is None


def test_the_pdf_holds_name_course_code_and_a_qr_code(world, settings):
    settings.BASE_URL = "https://vaka.example.org"
    complete(world.enrolment)
    cert = certificates.issue(world.enrolment, user=world.trainer)
    reader = PdfReader(io.BytesIO(certificates.certificate_pdf(cert, language="en")))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = " ".join(page.extract_text().split())
    for expected in ("Mere Vula", "Cybercrime investigation foundations", cert.code,
                     "Blue Pacific", "PTCCC", f"https://vaka.example.org/verify/{cert.code}/"):
        assert expected in text
    assert len(page.images) == 1  # the QR code


def test_the_qr_code_holds_the_absolute_verification_address(world, settings):
    settings.BASE_URL = "https://vaka.example.org"
    complete(world.enrolment)
    cert = certificates.issue(world.enrolment, user=world.trainer)
    assert certificates.verification_url(cert) == (
        f"https://vaka.example.org/verify/{cert.code}/")
    assert certificates.qr_data_uri("x").startswith("data:image/png;base64,")
