"""Text extraction is bounded work: pages, drawing instructions and characters are capped,
and a submission says what was left out. The PDFs are crafted here with pypdf."""

import hashlib
import io
import time

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from vaka.intel import services
from vaka.intel.parsing import extract
from vaka.intel.parsing.extract import read_text, text_of
from vaka.policy.services import Markings


def _font_resources(writer: PdfWriter, forms: dict | None = None) -> DictionaryObject:
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    resources = {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    if forms:
        resources[NameObject("/XObject")] = DictionaryObject(forms)
    return DictionaryObject(resources)


def _stream(writer: PdfWriter, content: bytes, **entries) -> object:
    stream = DecodedStreamObject()
    stream.set_data(content)
    stream.update({NameObject(k): v for k, v in entries.items()})
    return writer._add_object(stream.flate_encode())  # compressed: the file stays small


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def shows(text: str) -> bytes:
    return f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET\n".encode()


def pdf_of_pages(*contents: bytes) -> bytes:
    """One page per content."""
    writer = PdfWriter()
    resources = _font_resources(writer)
    for content in contents:
        page = writer.add_blank_page(200, 200)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = _stream(writer, content)
    return _written(writer)


def pdf_sharing_one_stream(pages: int, content: bytes) -> bytes:
    """``pages`` pages that all draw the same content stream."""
    writer = PdfWriter()
    resources, shared = _font_resources(writer), _stream(writer, content)
    for _ in range(pages):
        page = writer.add_blank_page(200, 200)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = shared
    return _written(writer)


def pdf_drawing_a_form(times: int, form_content: bytes) -> bytes:
    """One page that draws the same form XObject ``times`` times."""
    writer = PdfWriter()
    inner = _font_resources(writer)
    form = _stream(writer, form_content, **{
        "/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
        "/BBox": ArrayObject([NumberObject(0), NumberObject(0), NumberObject(200),
                              NumberObject(200)]),
        "/Resources": inner})
    page = writer.add_blank_page(200, 200)
    page[NameObject("/Resources")] = _font_resources(writer, {NameObject("/Fm1"): form})
    page[NameObject("/Contents")] = _stream(writer, b"/Fm1 Do\n" * times)
    return _written(writer)


def test_a_pdf_is_read_up_to_the_page_limit_and_says_so(monkeypatch):
    monkeypatch.setattr(extract, "MAX_PDF_PAGES", 3)
    data = pdf_of_pages(*(shows(f"kit-{n}.example") for n in range(5)))
    text, problems = read_text(data, "report.pdf")
    assert [f"kit-{n}.example" in text for n in range(5)] == [True] * 3 + [False] * 2
    assert [(p.message, p.file) for p in problems] == [
        ("truncated: only the first 3 of 5 pages were read", "report.pdf")]


def test_pages_sharing_one_big_stream_stop_at_the_content_budget(monkeypatch):
    monkeypatch.setattr(extract, "MAX_PDF_CONTENT", 64 * 1024)
    content = shows("shared-kit.example") * (40 * 1024 // len(shows("shared-kit.example")))
    data = pdf_sharing_one_stream(1000, content)
    assert len(data) * 100 < len(content) * 1000  # a small file for the work it asks…
    started = time.monotonic()
    text, problems = read_text(data, "small.pdf")
    assert time.monotonic() - started < 30  # …that no longer parses the stream 1000 times
    assert text.count("shared-kit.example") == content.count(b"shared-kit.example")  # 1 page
    assert [p.message for p in problems] == [
        "truncated: pages 2-1000 were not read: their drawing instructions exceed 64 KiB"]


def test_a_form_drawn_over_and_over_stops_at_the_operator_budget(monkeypatch):
    monkeypatch.setattr(extract, "MAX_PDF_OPERATIONS", 2000)
    data = pdf_drawing_a_form(5000, shows("form-kit.example"))
    text, problems = read_text(data, "forms.pdf")
    assert 0 < text.count("form-kit.example") < 5000
    assert [p.message for p in problems] == [
        "truncated: pages 1-1 were not read in full: they hold more than 2000 drawing "
        "instructions"]


def test_text_beyond_the_character_cap_is_cut_and_said(monkeypatch):
    monkeypatch.setattr(extract, "MAX_TEXT", 1000)
    text, problems = read_text(b"evil.example " * 200, "notes.txt")
    assert len(text) == 1000
    assert [p.message for p in problems] == [
        "truncated: only the first 1,000 characters of text were read"]
    assert text_of(b"evil.example " * 200, "notes.txt") == text


def test_a_pdf_within_the_limits_is_read_whole_with_no_problem():
    text, problems = read_text(pdf_of_pages(shows("a.example"), shows("b.example")), "ok.pdf")
    assert "a.example" in text and "b.example" in text and problems == []


def test_a_truncated_file_is_stored_partially_with_a_problem_saying_so(region, monkeypatch):
    monkeypatch.setattr(extract, "MAX_PDF_PAGES", 1)
    data = pdf_of_pages(shows("first-page.net"), shows("second-page.net"))
    submission = services.ingest_bytes(
        data, organisation=region.unit_a, user=region.analyst_a, source="api", fmt="text",
        filename="advisory.pdf", partial=True, markings=Markings(tlp="green"))
    assert submission.status == "partial" and submission.new == 1
    assert submission.errors == [{"message": "truncated: only the first 1 of 2 pages were read",
                                  "file": "advisory.pdf"}]


def test_a_truncated_file_is_refused_when_all_or_nothing_was_asked(region, monkeypatch):
    monkeypatch.setattr(extract, "MAX_PDF_PAGES", 1)
    data = pdf_of_pages(shows("first-page.net"), shows("second-page.net"))
    submission = services.ingest_bytes(
        data, organisation=region.unit_a, user=region.analyst_a, source="api", fmt="text",
        filename="advisory.pdf", partial=False, markings=Markings(tlp="green"))
    assert submission.status == "rejected" and submission.new == 0
    assert "truncated" in submission.errors[0]["message"]


@pytest.mark.parametrize("name", ["page.html", "notes.txt"])
def test_other_files_are_capped_too(monkeypatch, name):
    monkeypatch.setattr(extract, "MAX_TEXT", 100)
    _text, problems = read_text(b"<p>" + b"evil.example " * 50 + b"</p>", name)
    assert problems and problems[0].message.startswith("truncated")


def test_the_review_page_says_the_text_was_cut_before_the_values_found(region, client,
                                                                        monkeypatch):
    monkeypatch.setattr(extract, "MAX_TEXT", 100)
    client.force_login(region.analyst_a)
    answer = client.post("/intel/submit/", {
        "content": "seen at first-drop.net. " + "filler " * 40 + "late-drop.net",
        "format": "text", "tlp": "amber", "distribution": "organisation", "pap": "amber"})
    page = answer.content.decode()
    assert [i.value for i in answer.context["found"]] == ["first-drop.net"]
    warning = page.index("truncated: only the first 100 characters of text were read")
    assert warning < page.index('value="domain&#9;first-drop.net"')


@pytest.mark.django_db
def test_a_text_file_over_the_upload_limit_is_loaded_only_as_far_as_it_is_read(
        region, tmp_path, monkeypatch, settings):
    monkeypatch.setattr(extract, "MAX_TEXT", 1000)
    settings.MAX_UPLOAD_MB = 1
    data = b"seen at first-drop.net. " + b"filler " * 300_000 + b"late-drop.net\n"
    path = tmp_path / "huge.txt"
    path.write_bytes(data)
    given = []
    real = services.read_text
    monkeypatch.setattr(services, "read_text",
                        lambda raw, name: given.append(len(raw)) or real(raw, name))
    submission = services.ingest_path(
        path, organisation=region.unit_a, user=None, markings=Markings(tlp="green"),
        source="cli", partial=True)
    assert given == [4 * 1000 + 4]  # not the 2 MB file
    assert submission.sha256 == hashlib.sha256(data).hexdigest()  # of the whole file
    assert submission.new == 1 and "truncated" in submission.errors[0]["message"]
