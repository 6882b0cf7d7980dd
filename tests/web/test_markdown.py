"""Markdown (``vaka.web.markdown``): safe HTML whatever is written, images only from this
site, headings with stable unique ids."""

import re
from html.parser import HTMLParser

import pytest

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


def test_plain_text_strips_the_markdown():
    text = ("# Alert\n\nA **new** wave of [sextortion](https://example.org) e-mails.\n\n"
            "- one\n- two\n\n![map](/media/map.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "```\ncode <here>\n```\n\n<b>raw</b>")
    assert plain_text(text) == ("Alert\n\nA new wave of sextortion e-mails.\n\none\ntwo\n\nmap"
                                "\n\na\tb\n1\t2\n\ncode <here>\n\n<b>raw</b>")


def test_empty_text_is_empty():
    assert render("") == render("   \n") == "" and headings("") == [] and plain_text("") == ""
