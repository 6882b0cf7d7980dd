import hashlib

import pytest
from django.core.exceptions import ValidationError

from tests.messaging.conftest import amber, send, text_file
from vaka.messaging import services
from vaka.messaging.models import Message, MessageAttachment
from vaka.policy import audit

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def _stored(world) -> list:
    return [p for p in world.files.rglob("*") if p.is_file()] if world.files.exists() else []


def _refused(world, upload) -> str:
    with pytest.raises(ValidationError) as caught:
        send(world, attachments=[upload])
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    assert _stored(world) == []
    (reason,) = caught.value.message_dict["attachments"]
    return reason


def test_attachment_is_stored_with_its_sha256_and_sniffed_type(world):
    message = send(world, attachments=[text_file(), text_file("scan.pdf", PDF)])
    files = {a.name: a for a in message.attachments.all()}
    assert files["notes.txt"].content_type == "text/plain; charset=utf-8"
    assert files["scan.pdf"].content_type == "application/pdf"
    assert files["scan.pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
    assert len(_stored(world)) == 2


def test_over_the_limit_is_refused_saying_the_limit(world, settings):
    settings.MAX_UPLOAD_MB = 1
    reason = _refused(world, text_file("big.txt", b"a" * (1024 * 1024 + 1)))
    assert "big.txt" in reason and "1 MB" in reason


def test_a_program_is_refused_whatever_it_is_called(world):
    assert "programs" in _refused(world, text_file("tool.exe", EXE))
    assert "programs" in _refused(world, text_file("report.txt", EXE))


@pytest.mark.parametrize(("name", "data"), [
    ("page.html", b"<!doctype html><script>alert(1)</script>"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
])
def test_web_pages_svg_and_scripts_are_refused(world, name, data):
    assert name in _refused(world, text_file(name, data))


def test_content_not_matching_the_name_is_refused(world):
    reason = _refused(world, text_file("scan.pdf", b"just some text"))
    assert "scan.pdf" in reason and ".pdf" in reason and "text/plain" in reason


def test_an_unknown_kind_of_file_is_refused_naming_the_allowed_ones(world):
    assert ".pdf" in _refused(world, text_file("data.bin", b"\x00\x01\x02"))


def test_a_file_stored_before_a_failing_commit_is_removed(world, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(audit, "record", fail)
    with pytest.raises(RuntimeError):
        send(world, attachments=[text_file()])
    assert not Message.objects.exists() and _stored(world) == []


def test_nothing_is_written_when_then_fails(world):
    def then(message):
        raise ValidationError("no")

    with pytest.raises(ValidationError):
        services.send_message(user=world.fiji, recipients=[world.centre], subject="s",
                              body="b", markings=amber(),
                              attachments=[text_file()], then=then)
    assert not Message.objects.exists() and _stored(world) == []


def _zip(*names: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_office_documents_are_known_by_their_parts(world):
    docx = _zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")
    message = send(world, attachments=[text_file("case.docx", docx),
                                       text_file("evidence.zip", _zip("a.txt"))])
    types = {a.name: a.content_type for a in message.attachments.all()}
    assert types["case.docx"].endswith("wordprocessingml.document")
    assert types["evidence.zip"] == "application/zip"


def test_a_zip_named_docx_is_refused(world):
    assert "case.docx" in _refused(world, text_file("case.docx", _zip("a.txt")))
