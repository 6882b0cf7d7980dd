"""Markdown (``vaka.web.markdown``): safe HTML whatever is written, images only from this
site, headings with stable unique ids, and the preview endpoint beside a form field."""

import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import Client

from tests.factories import UserFactory
from vaka.web.markdown import headings, plain_text, render, same_site

ALLOWED_TAGS = {"a", "blockquote", "br", "code", "em", "hr", "img", "li", "ol", "p", "pre",
                "s", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
                "h1", "h2", "h3", "h4", "h5", "h6"}
SAFE_SCHEMES = {"http", "https", "mailto"}


class Elements(HTMLParser):
    """Every element of a fragment as (tag, attributes)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    def tags(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.found if tag == name]


def _scheme(url: str) -> str | None:
    match = re.match(r"([a-z][a-z0-9+.\-]*):", re.sub(r"[\x00-\x20\x7f]", "", url).lower())
    return match.group(1) if match else None


def assert_harmless(html: str) -> None:
    for tag, attrs in Elements(html).found:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            assert name not in ("style", "srcdoc", "formaction", "target"), (tag, name, html)
            if name == "href":
                assert _scheme(value) in SAFE_SCHEMES | {None}, (value, html)
            if name == "src":
                assert same_site(value), (value, html)


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<div>\n<form action=/logout/><button formaction=javascript:alert(1)>x</button></form>\n</div>",
    '<a href="javascript:alert(1)">x</a>',
    "<<script>script>alert(1)<</script>/script>",
    "<!-- x --><script>alert(1)</script>",
    "\x00<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](jav&#x61;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java&#09;script:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/png;base64,iVBORw0KGgo=)",
    "[x]: javascript:alert(1)\n\n[y][x] and [x]",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '<http://example.org/a"onmouseover="alert(1)>',
    '[x](https://example.org "t\\" onmouseover=\\"alert(1)")',
    '![x](/a.png "t\\" onerror=\\"alert(1)")',
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[<img src=x onerror=alert(1)>](http://example.org)",
    "[![a](/a.png)](javascript:alert(1))",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "# <img src=x onerror=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
]


@pytest.mark.parametrize("text", XSS)
def test_script_handlers_and_dangerous_links_are_neutralised(text):
    html = render(text)
    assert_harmless(html)
    assert "<script" not in html.lower()
    assert "javascript:" not in " ".join(
        value.lower() for _tag, attrs in Elements(html).found for value in attrs.values())


def test_raw_html_is_shown_as_text_not_dropped():
    html = render("Before <b onclick=alert(1)>bold</b> after")
    assert html == "<p dir=\"auto\">Before &lt;b onclick=alert(1)&gt;bold&lt;/b&gt; after</p>\n"


def test_a_refused_link_stays_as_the_text_written():
    assert render("[x](javascript:alert(1))") == '<p dir="auto">[x](javascript:alert(1))</p>\n'
    assert render("[x](data:image/png;base64,AA)") == (
        '<p dir="auto">[x](data:image/png;base64,AA)</p>\n')


@pytest.mark.parametrize("href", ["https://example.org/a", "http://example.org", "/intel/",
                                  "notes/3/", "#md-summary", "mailto:desk@example.org",
                                  "//example.org/a"])
def test_safe_links_are_kept_with_rel_and_no_target(href):
    (link,) = Elements(render(f"[x]({href})")).tags("a")
    assert link["href"] == href
    assert link["rel"] == "noopener noreferrer nofollow"
    assert "target" not in link


def test_autolinks_are_links():
    (link,) = Elements(render("See <https://example.org/report>.")).tags("a")
    assert link["href"] == "https://example.org/report"


@pytest.mark.parametrize("src", ["http://tracker.example/p.png", "https://tracker.example/p.png",
                                 "HTTPS://tracker.example/p.png", "//tracker.example/p.png",
                                 "/\\tracker.example/p.png", "<https://tracker.example/p.png>"])
def test_images_from_other_sites_are_not_loaded_but_described(src):
    html = render(f"Look: ![The phishing page]({src})")
    assert not Elements(html).tags("img")
    (note,) = Elements(html).tags("span")
    assert note == {"class": "text-muted"}
    assert "Image from another site not loaded: The phishing page" in html
    assert "tracker.example" not in html


def test_an_image_of_a_refused_scheme_stays_as_the_text_written():
    assert render("![x](ftp://tracker.example/p.png)") == (
        "<p dir=\"auto\">![x](ftp://tracker.example/p.png)</p>\n")


def test_an_image_from_another_site_without_description_is_still_noted():
    assert "Image from another site not loaded]" in render("![](https://tracker.example/p.png)")


@pytest.mark.parametrize("src", ["/media/products/1/map.png", "map.png", "../static/vaka/vaka.svg",
                                 "/products/12/attachments/3/"])
def test_images_from_this_site_are_kept(src):
    (image,) = Elements(render(f'![Map of the region]({src} "Region")')).tags("img")
    assert image == {"src": src, "alt": "Map of the region", "title": "Region"}


def test_an_image_chooser_moves_its_images_and_drops_the_others():
    """A lesson loads images from its own files only: the chooser says where each is."""
    own = {"map.png": "/training/lesson-files/7"}
    html = render("![Map](map.png) ![Other](/media/other.png) ![](https://x.example/p.png)",
                  images=own.get)
    (image,) = Elements(html).tags("img")
    assert image == {"src": "/training/lesson-files/7", "alt": "Map"}
    assert "not one of this text's files: Other]" in html
    assert "[Image not loaded, not one of this text's files]" in html


def test_the_sanitiser_drops_a_remote_image_even_past_the_parser():
    """The second wall alone: nh3's filter, whatever markdown-it would have let through."""
    from vaka.web.markdown import _sanitise

    html = _sanitise('<img src="https://tracker.example/p.png" alt="x" onerror="alert(1)">'
                     '<a href="javascript:alert(1)" style="color:red" target="_blank">y</a>'
                     '<h2 id="md-x" class="evil">z</h2><script>alert(1)</script>')
    assert html == ('<img alt="x"><a rel="noopener noreferrer nofollow">y</a>'
                    '<h2 id="md-x" dir="auto">z</h2>')


def test_headings_get_unique_ids_in_any_script():
    text = ("# Summary\n## Summary\n# Summary 1\n## Résumé des faits\n## ملخص التهديد\n"
            "### Ngā `kōrero` *hou*\n# !!!\n# Summary")
    ids = [attrs["id"] for tag, attrs in Elements(render(text)).found if tag[0] == "h"]
    assert ids == ["md-summary", "md-summary-1", "md-summary-1-1", "md-résumé-des-faits",
                   "md-ملخص-التهديد", "md-ngā-kōrero-hou", "md-section", "md-summary-2"]


def test_headings_lists_what_render_links_to():
    text = "# Threat summary\nText.\n## Indicators\n## Indicators\n### The `C2` servers"
    listed = headings(text, heading_offset=1)
    assert listed == [(2, "md-threat-summary", "Threat summary"),
                      (3, "md-indicators", "Indicators"), (3, "md-indicators-1", "Indicators"),
                      (4, "md-the-c2-servers", "The C2 servers")]
    rendered = [(int(tag[1]), attrs["id"]) for tag, attrs in
                Elements(render(text, heading_offset=1)).found if tag[0] == "h"]
    assert rendered == [(level, anchor) for level, anchor, _words in listed]


def test_heading_offset_moves_headings_down_but_not_past_h6():
    html = render("# Section\n##### Deep\n###### Deepest", heading_offset=2)
    assert re.findall(r"<(h\d)", html) == ["h3", "h6", "h6"]


def test_anchors_off_and_a_prefix_of_ones_own():
    assert "id=" not in render("# Summary", anchors=False)
    assert render("# Summary", anchor_prefix="s2-") == (
        '<h1 id="s2-summary" dir="auto">Summary</h1>\n')
    assert headings("# Summary", anchor_prefix="s2-") == [(1, "s2-summary", "Summary")]


def test_each_block_takes_the_direction_of_its_own_words():
    html = render("## ملخص\n\nنص عربي\n\n> quoted\n\n- item")
    blocks = [tag for tag, attrs in Elements(html).found if attrs.get("dir") == "auto"]
    assert blocks == ["h2", "p", "blockquote", "p", "li"]


def test_tables_and_strikethrough():
    html = render("| Value | Hits |\n|:--|--:|\n| c2.example | 3 |\n\n~~withdrawn~~")
    assert '<table class="table">' in html
    assert '<th class="text-start" dir="auto">Value</th>' in html
    assert '<td class="text-end" dir="auto">3</td>' in html
    assert "<s>withdrawn</s>" in html
    assert "style" not in html


def test_a_table_is_named_by_the_heading_of_its_section():
    table = "| a |\n|---|\n| 1 |"
    text = f"{table}\n\n## Step 1\n\n{table}\n\n### Bag\n\n{table}"
    elements = Elements(render(text, anchor_prefix="l7-"))
    assert [t.get("aria-labelledby") for t in elements.tags("table")] == [
        None, "l7-step-1", "l7-bag"]
    assert [attrs["id"] for _tag, attrs in elements.found if "id" in attrs] == [
        "l7-step-1", "l7-bag"]
    # Without heading ids (a preview), the heading's words name it.
    tables = Elements(render(text, anchors=False)).tags("table")
    assert [t.get("aria-label") for t in tables] == [None, "Step 1", "Bag"]
    assert not any("aria-labelledby" in t for t in tables)


def test_plain_text_strips_the_markdown():
    text = ("# Alert\n\nA **new** wave of [sextortion](https://example.org) e-mails.\n\n"
            "- one\n- two\n\n![map](/media/map.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "```\ncode <here>\n```\n\n<b>raw</b>")
    assert plain_text(text) == ("Alert\n\nA new wave of sextortion e-mails.\n\none\ntwo\n\nmap"
                                "\n\na\tb\n1\t2\n\ncode <here>\n\n<b>raw</b>")


def test_empty_text_is_empty():
    assert render("") == render("   \n") == "" and headings("") == [] and plain_text("") == ""


# --- the preview endpoint ---------------------------------------------------------------

URL = "/preview/markdown/"


@pytest.fixture
def writer(db, client):
    client.force_login(UserFactory())
    return client


def test_preview_renders_the_text_as_a_fragment(writer):
    response = writer.post(URL, {"text": "# Alert\n\n<script>alert(1)</script> **now**"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 dir="auto">Alert</h1>' in html  # no ids: they would repeat the page's
    assert "&lt;script&gt;" in html and "<strong>now</strong>" in html
    assert "<html" not in html


def test_preview_reads_the_named_field_and_moves_headings(writer):
    response = writer.post(f"{URL}?field=summary&offset=2", {"summary": "# Alert", "text": "x"})
    assert '<h3 dir="auto">Alert</h3>' in response.content.decode()


def test_preview_of_nothing_says_so(writer):
    assert "Nothing to preview yet." in writer.post(URL, {"text": " "}).content.decode()


def test_preview_refuses_more_than_200_kb(writer):
    response = writer.post(URL, {"text": "a" * (200 * 1024 + 1)})
    assert response.status_code == 400
    assert "The text is too long to preview: 201 KB, at most 200 KB." in response.content.decode()
    assert writer.post(URL, {"text": "a" * 200 * 1024}).status_code == 200


def test_preview_refuses_a_bad_offset(writer):
    response = writer.post(f"{URL}?offset=9", {"text": "# x"})
    assert response.status_code == 400
    assert "from 0 to 5" in response.content.decode()


def test_preview_needs_sign_in_and_a_post(db, client):
    response = client.post(URL, {"text": "# x"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 405


def test_preview_needs_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.post(URL, {"text": "# x"}).status_code == 403
    client.get("/")  # the page sets the CSRF cookie that htmx's header repeats
    token = client.cookies["csrftoken"].value
    response = client.post(URL, {"text": "# x"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_previews_are_rate_limited(writer, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"previews": "2/min"}}
    assert [writer.post(URL, {"text": "x"}).status_code for _ in range(2)] == [200, 200]
    refused = writer.post(URL, {"text": "x"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many previews: at most 2 per minute." in refused.content.decode()


# --- the include ------------------------------------------------------------------------

class ProductForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea, label="Summary")


def test_the_field_include_posts_only_its_field_and_shows_the_preview():
    form = ProductForm(data={"p-summary": "# Alert\n\n![x](https://tracker.example/p.png)"},
                       prefix="p")
    html = render_to_string("web/_markdown_field.html",
                            {"field": form["summary"], "heading_offset": 2})
    wrapper = next(attrs for tag, attrs in Elements(html).found if "hx-post" in attrs)
    assert wrapper["hx-post"] == "/preview/markdown/?field=p-summary&offset=2"
    assert wrapper["hx-params"] == "p-summary"
    assert wrapper["hx-include"] == "#id_p-summary"
    assert wrapper["hx-target"] == "#id_p-summary-preview"
    (pane,) = [attrs for tag, attrs in Elements(html).found
               if attrs.get("id") == "id_p-summary-preview"]
    assert pane["aria-live"] == "polite" and "data-markdown-preview" in pane  # preview.js
    assert Elements(html).tags("textarea")[0]["name"] == "p-summary"
    assert '<h3 dir="auto">Alert</h3>' in html and "Image from another site not loaded: x" in html
    assert "<script" not in html and "style=" not in html


def test_the_page_loads_the_preview_script(writer):
    assert b"/static/vaka/preview.js" in writer.get("/").content
