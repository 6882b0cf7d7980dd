"""PDFs: the TLP banner, header and footer on every page, contents, vector charts, the
indicators annex, Arabic, what a PDF may load, and how it is sent."""

import datetime
import io
import re
import socket
import urllib.request

import pytest
from django.template import engines
from django.utils import translation
from pypdf import PdfReader

from vaka.web.pdf import (
    ANNEX_BLOCK_ROWS,
    AnnexColumn,
    annex_table,
    pdf_response,
    render_pdf,
    render_template_pdf,
)

MARKINGS = {
    "tlp": "amber+strict",
    "tlp_label": "TLP:AMBER+STRICT",
    "classification_line": "PAP:AMBER · Not to be passed on without the owner's consent · B2",
    "handling_line": "For policing purposes only",
    "reference": "VAKA-TA-2026-007",
    "issued": datetime.date(2026, 11, 30),
}

# Three sections, each on a page of its own.
THREE_PAGES = """{% extends "pdf/base.html" %}
{% block title %}Assessment{% endblock %}
{% block head %}<style>section { break-after: page; } section:last-child { break-after: auto; }
</style>{% endblock %}
{% block content %}{% for n in sections %}<section><h2 id="s{{ n }}">Section {{ n }}</h2>
<p>{{ text }}</p></section>{% endfor %}{% endblock %}"""


def render(source: str, **context: object) -> bytes:
    html = engines["django"].from_string(source).render({**MARKINGS, **context})
    return render_pdf(html)


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_every_page_has_the_tlp_label_reference_and_page_x_of_y():
    pdf = render(THREE_PAGES, sections=[1, 2, 3], text="Lorem ipsum.")
    pages = pages_of(pdf)
    assert len(pages) == 3
    for number, text in enumerate(pages, 1):
        assert "TLP:AMBER+STRICT" in text
        assert f"page {number} of 3" in text
        assert "VAKA-TA-2026-007" in text
        assert "PAP:AMBER" in text
        assert "For policing purposes only" in text
        assert f"Section {number}" in text


@pytest.mark.parametrize(("tlp", "fill"), [
    ("clear", "1 1 1 rg"),
    ("green", "0.2 1 0 rg"),
    ("amber", "1 0.752941 0 rg"),
    ("amber+strict", "1 0.752941 0 rg"),
    ("red", "1 0.168627 0.168627 rg"),
])
def test_tlp_banner_is_in_tlp_2_colours_on_black(tlp, fill):
    pdf = render(THREE_PAGES, sections=[1, 2], text="Text.", tlp=tlp,
                 tlp_label=f"TLP:{tlp.upper()}")
    for page in PdfReader(io.BytesIO(pdf)).pages:
        drawn = page.get_contents().get_data().decode("latin-1")
        assert fill in drawn
        assert "0 0 0 rg" in drawn  # the black ground


def test_contents_give_each_sections_page():
    source = THREE_PAGES.replace(
        "{% block content %}",
        '{% block toc %}{% include "pdf/_toc.html" %}{% endblock %}{% block content %}')
    toc = [(f"s{n}", f"Section {n}") for n in (1, 2, 3)]
    pages = pages_of(render(source, sections=[1, 2, 3], text="Text.", toc=toc))
    assert "Contents" in pages[0]
    for n in (1, 2, 3):  # contents on page 1, then one section a page
        assert re.search(rf"Section {n}\s*\.+\s*{n + 1}\b", pages[0]), pages[0]
        assert f"Section {n}" in pages[n]


def test_without_toc_there_are_no_contents():
    assert "Contents" not in pages_of(render(THREE_PAGES, sections=[1], text="Text."))[0]


CHART = """{% extends "pdf/base.html" %}{% block title %}Chart{% endblock %}
{% block content %}<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">
<rect x="10" y="20" width="30" height="70" fill="#0b3954"/>
<rect x="50" y="40" width="30" height="50" fill="#c33"/>
<text x="10" y="98" font-size="6">Phishing</text></svg>
<figcaption>Cases by month</figcaption></figure>{% endblock %}"""


def chart_of_vaka() -> str:
    from vaka.web.charts import Chart, Series, render_svg

    return render_svg(Chart(title="Cases", labels=("2026-01", "2026-02"), kind="bar",
                            series=(Series("Phishing", (3.0, 5.0)),)))


@pytest.mark.parametrize("svg", ["hand-written", "vaka.web.charts"])
def test_an_inline_svg_chart_is_drawn_as_vectors_not_an_image(svg):
    if svg == "hand-written":
        pdf = render(CHART)
    else:
        pdf = render(CHART.replace("<figure>", "<figure>{{ chart|safe }}"), chart=chart_of_vaka())
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for xobject in (page["/Resources"].get("/XObject") or {}).values():
            assert xobject.get_object().get("/Subtype") != "/Image"
    drawn = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert re.search(r"\bre\b", drawn)  # the bars are rectangles in the page's drawing
    assert "Phishing" in pages_of(pdf)[0]  # the chart's words stay text


def font_names(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            for part in descendants:
                descriptor = part.get_object().get("/FontDescriptor")
                if descriptor is not None:
                    names.add(str(descriptor.get_object()["/FontName"]))
    return names


ARABIC = """{% extends "pdf/base.html" %}{% block title %}تقييم التهديد{% endblock %}
{% block content %}<h1>تقييم التهديد</h1><p>{{ text }}</p>{% endblock %}"""


def test_an_arabic_document_is_right_to_left_in_an_arabic_font():
    template = engines["django"].from_string(ARABIC)
    with translation.override("ar"):
        html = template.render({**MARKINGS, "text": "برامج الفدية تستهدف الشرطة في المنطقة",
                                "language": "ar", "rtl": True})
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    pdf = render_pdf(html)
    text = pages_of(pdf)[0]
    assert re.search("[\u0600-\u06ff]{4,}", text)
    assert "TLP:AMBER+STRICT" in text
    assert any("NotoNaskhArabic" in name.replace("-", "") for name in font_names(pdf))


def test_render_template_pdf_sets_direction_from_the_language(monkeypatch):
    seen = {}
    monkeypatch.setattr("vaka.web.pdf.render_pdf",
                        lambda html, base_url=None: seen.setdefault("html", html).encode())
    render_template_pdf("pdf/base.html", MARKINGS, language="ar")
    assert 'dir="rtl"' in seen["html"] and 'lang="ar"' in seen["html"]
    seen.clear()
    render_template_pdf("pdf/base.html", MARKINGS, language="fr")
    assert 'dir="ltr"' in seen["html"] and 'lang="fr"' in seen["html"]


HOSTILE = """{% extends "pdf/base.html" %}{% block title %}Hostile{% endblock %}
{% block head %}<link rel="stylesheet" href="https://example.org/x.css">
<style>@import url("http://example.org/y.css"); .bg { background: url(ftp://example.org/z.png); }
@font-face { font-family: Remote; src: url(https://example.org/f.woff2); }
p { font-family: Remote, sans-serif; }</style>{% endblock %}
{% block content %}<p class="bg">Before the images.</p>
<img src="https://example.org/x.png" alt=""><img src="file:///etc/passwd" alt="">
<img src="/static/../../../../../../etc/passwd" alt="">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40"
 height="40"><image href="https://example.org/s.png" width="40" height="40"/>
<image xlink:href="file:///etc/hostname" width="40" height="40"/></svg>
<img src="DATA_SVG" alt=""><p>After the images.</p>{% endblock %}""".replace(
    "DATA_SVG", "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' "
    "height='4'%3E%3C/svg%3E")


def test_remote_and_local_files_are_never_fetched_and_the_pdf_still_renders(monkeypatch):
    calls = []

    def refuse(name):
        def called(*args, **kwargs):
            calls.append((name, args))
            raise OSError(f"{name} called while rendering a PDF")
        return called

    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(urllib.request.FileHandler, "file_open", refuse("file_open"))
    opened = []
    real_open = urllib.request.OpenerDirector.open
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, url, *a, **k: (
        opened.append(getattr(url, "full_url", url)), real_open(self, url, *a, **k))[1])

    pdf = render(HOSTILE)

    assert calls == []
    assert all(url.startswith("data:") for url in opened), opened
    text = pages_of(pdf)[0]
    assert "Before the images." in text and "After the images." in text
    assert "root:" not in text


def test_own_static_files_load_from_disk(monkeypatch):
    monkeypatch.setattr(socket, "create_connection", pytest.fail)
    from vaka.web.pdf import _fetcher_class

    fetcher = _fetcher_class()("http://vaka.example/")
    css = fetcher.fetch("http://vaka.example/static/pdf/print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    for refused in ("http://elsewhere.example/static/pdf/print.css",
                    "http://vaka.example/static/../settings.py",
                    "http://vaka.example/static/%2e%2e/%2e%2e/settings.py",
                    "http://vaka.example/pdf/print.css",
                    "file:///etc/passwd"):
        with pytest.raises(ValueError, match="static files"):
            fetcher.fetch(refused)


ANNEX = """{% extends "pdf/base.html" %}{% block title %}Annex{% endblock %}
{% block content %}<h2 id="annex">Annex</h2>{% include "pdf/_annex.html" %}{% endblock %}"""
COLUMNS = [AnnexColumn("Type", 12), AnnexColumn("Value", 40), AnnexColumn("First seen", 10),
           AnnexColumn("TLP", 10)]


def test_the_annex_repeats_its_header_and_shows_every_value():
    rows = [("domain-name", f"host{i}.example.net", "2026-11-01", "TLP:AMBER")
            for i in range(400)] + [("domain-name", "пример.рф", "2026-11-02", "TLP:RED")]
    pages = pages_of(render(ANNEX, annex=annex_table(COLUMNS, rows, rtl=False)))
    assert len(pages) > 2
    for text in pages:
        assert "First seen" in text
    everything = "\n".join(pages)
    assert all(f"host{i}.example.net 2026-11-01 TLP:AMBER" in re.sub(" +", " ", everything)
               for i in range(400))
    assert "пример.рф" in everything


def test_annex_rows_of_ascii_are_one_line_each_with_the_columns_padded():
    sha256 = "ab" * 32
    annex = annex_table(COLUMNS, [("file", sha256, "2026-11-01", "TLP:RED"),
                                  ("url", "https://x.example/a", "2026-11-02", "TLP:CLEAR")],
                        rtl=False)
    [block] = annex.blocks
    assert block.line.split("\n") == [
        f"file         {sha256[:40]} 2026-11-01 TLP:RED",
        f"             {sha256[40:]}",
        "url          https://x.example/a                      2026-11-02 TLP:CLEAR"]
    assert annex.width == 12 + 40 + 10 + 10 + 4


def test_annex_columns_run_from_the_right_in_arabic():
    annex = annex_table(COLUMNS, [("ip", "203.0.113.5", "2026-11-01", "TLP:RED")], rtl=True)
    assert annex.blocks[0].line == (
        "TLP:RED 2026-11-01" + " " * 30 + "203.0.113.5" + " " * 11 + "ip")


def test_annex_block_beyond_ascii_gets_a_cell_per_column_that_line_up():
    annex = annex_table(COLUMNS, [("domain", "пример.рф", "2026-11-01", "TLP:RED"),
                                  ("url", "https://x.example/" + "a" * 40, "", "TLP:CLEAR")],
                        rtl=False)
    [block] = annex.blocks
    assert block.line is None
    columns = [text.split("\n") for text, _ltr in block.cells]
    assert len({len(lines) for lines in columns}) == 1  # every column as many lines
    assert columns[1] == ["пример.рф", "https://x.example/" + "a" * 22, "a" * 18]
    assert columns[0] == ["domain", "url", "\u00a0"]


def test_annex_blocks_hold_a_fixed_number_of_rows_and_count_them_all():
    rows = [("ip", str(i), "", "") for i in range(ANNEX_BLOCK_ROWS * 2 + 3)]
    annex = annex_table(COLUMNS, rows, rtl=False)
    assert annex.rows == ANNEX_BLOCK_ROWS * 2 + 3
    assert [len(block.line.split("\n")) for block in annex.blocks] == [
        ANNEX_BLOCK_ROWS, ANNEX_BLOCK_ROWS, 3]


def test_annex_shows_line_breaks_and_direction_overrides_in_values_as_replacement_marks():
    annex = annex_table(COLUMNS, [("url", "evil\n.example\u202e/moc", "", "")], rtl=False)
    value = annex.blocks[0].cells[1][0]
    assert value == "evil\ufffd.example\ufffd/moc"


def test_annex_wider_than_a_page_is_refused():
    with pytest.raises(ValueError, match="108"):
        annex_table([AnnexColumn("Value", 90), AnnexColumn("Type", 30)], [])


def test_pdf_response_is_a_private_uncached_pdf_with_a_safe_name():
    response = pdf_response(b"%PDF-1.7", "VAKA-TA-2026-007-r2.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="VAKA-TA-2026-007-r2.pdf"'
    assert response["Content-Length"] == "8"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response.content == b"%PDF-1.7"


def test_pdf_response_as_attachment_and_with_a_name_beyond_ascii():
    response = pdf_response(b"%PDF", "تقييم-2026.pdf", inline=False)
    assert response["Content-Disposition"] == (
        "attachment; filename=\"_____-2026.pdf\"; "
        "filename*=utf-8''%D8%AA%D9%82%D9%8A%D9%8A%D9%85-2026.pdf")


def test_pdf_response_names_cannot_break_the_header_or_name_a_path():
    response = pdf_response(b"%PDF", '../a"b\r\nSet-Cookie: x=1.pdf')
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
    assert disposition == 'inline; filename="_a_b_Set-Cookie: x=1.pdf"'


def test_deploy_check_says_which_libraries_pdfs_need_when_they_do_not_load(monkeypatch):
    import builtins

    from vaka.web.checks import pdf_libraries_load

    assert pdf_libraries_load() == []
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    [warning] = pdf_libraries_load()
    assert warning.id == "vaka.W002" and "libpango-1.0-0" in warning.msg
    assert "libpangoft2-1.0-0" in warning.hint


def test_pdf_response_quotes_an_ascii_name_that_looks_like_a_parameter():
    response = pdf_response(b"%PDF", "x; filename*=y.pdf")
    assert response["Content-Disposition"] == 'inline; filename="x; filename*=y.pdf"'


def test_collected_static_files_with_hashed_names_load_from_static_root(settings, tmp_path):
    from vaka.web.pdf import _fetcher_class

    settings.STATIC_ROOT = tmp_path
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "print.0123abcd.css").write_text("@page { size: A4; }")
    fetcher = _fetcher_class()("http://vaka.example/")
    assert fetcher.fetch("http://vaka.example/static/pdf/print.0123abcd.css").read() == (
        b"@page { size: A4; }")
    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch("http://vaka.example/static/pdf/missing.css")
