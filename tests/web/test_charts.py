import xml.etree.ElementTree as ET

import pytest

from vaka.policy.markings import TLP
from vaka.web.charts import KINDS, TLP_COLOURS, Chart, Series, render_svg, to_csv

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = tuple(f"2026-{m:02d}" for m in range(1, 13))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def chart(kind: str = "bar", series: int = 2, labels: tuple[str, ...] = MONTHS[:4],
          **fields) -> Chart:
    return Chart(fields.pop("title", "Reports"), labels, tuple(
        Series(f"S{j}", tuple(float(i + j + 1) for i in range(len(labels))))
        for j in range(series)), kind=kind, **fields)


def texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def shapes(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == cls]


def plain(text: str) -> str:
    return text.strip("\u2068\u2069")


def test_hostile_labels_are_escaped_and_kept_as_text():
    hostile = Chart('<script>alert("x")</script>', ('a"b & <c>', "x"), (
        Series("<img src=x onerror=alert(1)>", (3.0, 1.0)), Series("B", (1.0, 2.0))))
    svg = render_svg(hostile)
    assert "<script" not in svg and "<img" not in svg and 'a"b' not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script>'
    words = {plain(t.text or "") for t in root.iter() if t.tag in (f"{SVG}text", f"{SVG}title")}
    assert {'a"b & <c>', "<img src=x onerror=alert(1)>"} <= words


def test_control_characters_in_a_label_still_make_valid_xml():
    root = parse(render_svg(chart(labels=("bad\x01label", "ok"))))
    assert "bad\ufffdlabel" in {plain(t) for t in texts(root, "chart-label")}


@pytest.mark.parametrize("rtl", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_parses_as_accessible_svg(kind, rtl):
    root = parse(render_svg(chart(kind), rtl=rtl, chart_id="c1"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").get("id") == "c1-desc"
    assert root.get("direction") == ("rtl" if rtl else "ltr")


@pytest.mark.parametrize("kind", ["bar", "hbar", "stacked"])
def test_one_bar_per_label_and_series(kind):
    root = parse(render_svg(chart(kind, series=3, labels=MONTHS)))
    assert len(shapes(root, "chart-bar")) == 12 * 3


def test_one_point_per_label_and_series_on_a_line():
    months = tuple(f"{2025 + i // 12}-{i % 12 + 1:02d}" for i in range(24))
    root = parse(render_svg(chart("line", series=3, labels=months)))
    assert len(shapes(root, "chart-point")) == 24 * 3
    assert len(root.findall(f"{SVG}polyline")) == 3


def test_ticks_are_round_numbers_up_to_the_next_step():
    one = Chart("Hits", ("a", "b"), (Series("Hits", (37.0, 5.0)),))
    assert texts(parse(render_svg(one)), "chart-tick") == ["0", "10", "20", "30", "40"]


def test_large_numbers_have_thousands_separators():
    big = Chart("Objects", ("a", "b"), (Series("All", (12_345.0, 1_234.0)),), unit="objects")
    root = parse(render_svg(big))
    assert texts(root, "chart-tick")[-1] == "15,000"
    tips = [e.find(f"{SVG}title").text for e in shapes(root, "chart-bar")]
    assert tips == ["a: 12,345 objects", "b: 1,234 objects"]


def test_fractional_values_get_fractional_ticks():
    small = Chart("Rate", ("a",), (Series("Rate", (0.9,)),), kind="hbar")
    assert texts(parse(render_svg(small)), "chart-tick") == ["0", "0.2", "0.4", "0.6", "0.8", "1"]


@pytest.mark.parametrize("empty", [
    Chart("Nothing", (), ()),
    Chart("Zeros", ("a", "b"), (Series("S", (0.0, 0.0)),)),
    Chart("No series", ("2026-01",), ()),
])
def test_a_chart_without_data_says_so(empty):
    root = parse(render_svg(empty))
    assert texts(root, "chart-empty") == ["No data"]
    assert root.find(f"{SVG}desc").text == "No data"
    assert not shapes(root, "chart-bar")


@pytest.mark.parametrize("kind", ["bar", "hbar", "stacked"])
def test_rtl_mirrors_bars_and_legend(kind):
    data = chart(kind, series=2)
    ltr = parse(render_svg(data, width=640))
    rtl = parse(render_svg(data, width=640, rtl=True))
    for cls in ("chart-bar", "chart-key"):
        for left, right in zip(shapes(ltr, cls), shapes(rtl, cls), strict=True):
            mirrored = 640 - float(left.get("x")) - float(left.get("width"))
            assert float(right.get("x")) == pytest.approx(mirrored, abs=0.11)


def test_rtl_runs_categories_from_the_right():
    bars = shapes(parse(render_svg(chart("bar", series=1), rtl=True)), "chart-bar")
    assert [float(b.get("x")) for b in bars] == sorted((float(b.get("x")) for b in bars),
                                                       reverse=True)


def test_rtl_mirrors_points_of_a_line():
    data = chart("line", series=1)
    ltr = [float(c.get("cx")) for c in shapes(parse(render_svg(data)), "chart-point")]
    rtl = [float(c.get("cx")) for c in shapes(parse(render_svg(data, rtl=True)), "chart-point")]
    assert rtl == pytest.approx([640 - x for x in ltr], abs=0.11)


def test_a_legend_only_with_several_series():
    assert len(shapes(parse(render_svg(chart(series=1))), "chart-key")) == 0
    assert len(shapes(parse(render_svg(chart(series=3))), "chart-key")) == 3


def test_long_labels_are_cut_with_the_full_text_on_hover():
    name = "Business e-mail compromise against freight customers across the region"
    root = parse(render_svg(chart("hbar", labels=(name, "short"))))
    cut = next(g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None)
    assert cut.find(f"{SVG}title").text == name
    head, tail = plain(cut.find(f"{SVG}text").text).split("…")
    assert name.startswith(head) and name.endswith(tail) and head and tail
    assert "short" in {plain(t) for t in texts(root, "chart-label")}


@pytest.mark.parametrize("kind", ["bar", "hbar"])
def test_labels_sharing_a_beginning_stay_apart_when_cut(kind):
    units = tuple(f"Police Transnational Crime Unit — {c}" for c in
                  ("Fiji", "Samoa", "Tonga", "Papua New Guinea"))
    shown = [plain(t) for t in texts(parse(render_svg(chart(kind, series=1, labels=units),
                                                      width=480)), "chart-label")]
    assert len(shown) == 4 and all("…" in t for t in shown)
    assert len(set(shown)) == 4


def test_a_label_that_fits_its_room_exactly_is_not_cut():
    # "Blue Pacific": the room made for 12 characters holds all 12.
    root = parse(render_svg(Chart("P", ("Blue Pacific", "PTCCC"), (Series("S", (8.0, 1.0)),),
                                  kind="hbar")))
    assert [plain(t) for t in texts(root, "chart-label")] == ["Blue Pacific", "PTCCC"]


@pytest.mark.parametrize("rtl", [False, True])
def test_the_unit_of_a_vertical_chart_is_drawn_whole_inside_it(rtl):
    # One-digit ticks leave little room beside the axis; the unit is not cut at the edge.
    root = parse(render_svg(chart("bar", series=1, unit="people"), width=640, rtl=rtl))
    unit = next(t for t in root.iter(f"{SVG}text") if plain(t.text or "") == "people")
    x, anchor = float(unit.get("x")), unit.get("text-anchor")
    assert anchor == "start"  # from the chart's start edge (the right one in RTL) inwards
    assert x == (640 - 8 if rtl else 8)


def test_tlp_colours_cover_every_tlp_and_bars_are_outlined():
    assert set(TLP_COLOURS) == set(TLP.values)
    tlps = tuple(TLP.values)
    data = Chart("By TLP", MONTHS[:2], tuple(Series(t, (1.0, 2.0)) for t in tlps),
                 kind="stacked", colours=tuple(TLP_COLOURS[t] for t in tlps))
    bars = shapes(parse(render_svg(data)), "chart-bar")
    assert {b.get("fill") for b in bars} >= {"#FFFFFF", "#FF2B2B"}
    assert all(b.get("stroke") and b.get("stroke").upper() != "#FFFFFF" for b in bars)


def test_same_input_gives_the_same_bytes():
    assert render_svg(chart("line")) == render_svg(chart("line"))
    assert parse(render_svg(chart("line"))).get("id") != parse(render_svg(chart("bar"))).get("id")


def test_no_inline_style_or_script_for_the_csp():
    svg = render_svg(chart("stacked", series=5, labels=MONTHS))
    assert "style" not in svg and "script" not in svg.lower()


def test_csv_has_a_header_and_a_row_per_label():
    data = Chart("C", ("2026-01", "2026-02"), (
        Series("Phishing", (3.0, 2.5)), Series("Ransomware", (0.0, 1200.0))))
    assert to_csv(data) == ("label,Phishing,Ransomware\r\n"
                            "2026-01,3,0\r\n"
                            "2026-02,2.5,1200\r\n")


def test_csv_cells_never_start_a_formula():
    data = Chart("C", ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "safe"),
                 (Series("=cmd|' /C calc'!A0", (1.0,) * 6),))
    lines = to_csv(data).splitlines()
    assert lines[0] == "label,'=cmd|' /C calc'!A0"
    assert [line.split(",")[0] for line in lines[1:]] == [
        '"\'=HYPERLINK(""x"")"', "'+1", "'-2", "'@SUM(A1)", "'\tx", "safe"]


@pytest.mark.parametrize(("bad", "message"), [
    (Chart("C", ("a", "b"), (Series("S", (1.0,)),)), "has 1 values for 2 labels"),
    (Chart("C", ("a",), (Series("S", (-1.0,)),)), "not a count"),
    (Chart("C", ("a",), (Series("S", (float("nan"),)),)), "not a count"),
    (Chart("C", ("a",), (Series("S", (1.0,)),), kind="pie"), "is not one of"),
    (Chart("C", ("a",), (Series("S", (1.0,)),), colours=("red;x",)), "not a hex colour"),
])
def test_a_malformed_chart_is_refused_with_the_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        render_svg(bad)


def test_a_chart_id_that_is_not_an_id_is_refused():
    with pytest.raises(ValueError, match="chart_id"):
        render_svg(chart(), chart_id='x" onload="alert(1)')
