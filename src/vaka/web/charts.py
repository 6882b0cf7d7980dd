"""Charts drawn on the server as SVG: one code for web pages and for PDFs.

Pages load no chart JavaScript and the CSP forbids ``style=`` and ``<script>``, so a chart is
a plain ``<svg>`` element painted only with presentation attributes (``fill=``, ``stroke=``,
``font-size=``), which ``style-src`` does not govern; each bar or point carries a ``<title>``
that a browser shows on hover. It is drawn at a fixed size with a ``viewBox``; the
stylesheet (``vaka.css``, ``print.css``) shrinks it to its column. WeasyPrint draws the
same markup in PDFs. Measured against pygal (``python bench/charts.py``, same run, a loaded
machine): a quarter to a third of the bytes, raw or gzipped, and 30-40 times less CPU
(0.1-0.4 ms a chart), with no dependency; pygal's SVG also carries a ``<style>`` element
the CSP would block, and random ids.

WeasyPrint draws SVG text one character at a time, left to right (no shaping, no bidi), so
Arabic labels come out unjoined and mirrored in PDFs; numbers and Latin labels are right.
A PDF in Arabic should give the chart's data as a table beside it (:func:`to_csv`'s rows).
"""

import csv
import hashlib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from vaka.csvcells import formula_safe

KINDS = ("bar", "hbar", "line", "stacked")
# Okabe–Ito: told apart with every common colour-vision deficiency, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
           "#000000")
# TLP 2.0 colours, keyed by vaka.policy.markings.TLP values; every bar has a dark outline,
# so TLP:CLEAR's white shows on white paper.
TLP_COLOURS = {"clear": "#FFFFFF", "green": "#33FF00", "amber": "#FFC000",
               "amber+strict": "#FFC000", "red": "#FF2B2B"}
DASHES = ("", "6 3", "2 3", "8 3 2 3")  # line series differ by dash too, not colour alone
INK, MUTED, GRID, OUTLINE = "#222222", "#595959", "#D9D9D9", "#333333"
FONT = 11
CHAR = 0.6 * FONT  # a sans-serif character's average advance, to fit text without measuring
PAD = 8

_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]  # one per label; 0 for none


@dataclass(frozen=True)
class Chart:
    title: str
    labels: tuple[str, ...]  # categories or time buckets (e.g. "2026-03")
    series: tuple[Series, ...]
    kind: str = "bar"  # "bar" (vertical, grouped), "hbar" (horizontal), "line", "stacked"
    unit: str = ""  # e.g. "objects"; shown in axis and tooltip text
    colours: tuple[str, ...] = ()  # optional per-series colours (hex), else the palette


def render_svg(chart: Chart, *, width: int = 640, height: int = 320, rtl: bool = False,
               chart_id: str = "") -> str:
    """``chart`` as a complete ``<svg>`` element, every text escaped; the same input gives the
    same bytes. ``rtl`` mirrors the layout (categories run right to left, the value axis and
    the legend change sides); ``chart_id`` (default: a hash of the input) prefixes the ids
    that ``aria-labelledby`` names, so several charts can share a page."""
    _check(chart, width, height, chart_id)
    ident = chart_id or "chart-" + hashlib.sha256(
        repr((chart, width, height, rtl)).encode()).hexdigest()[:12]
    empty = not chart.labels or not any(v for s in chart.series for v in s.values)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif" '
           f'font-size="{FONT}" fill="{INK}" direction="{"rtl" if rtl else "ltr"}">',
           f'<title id="{ident}-title">{_esc(chart.title)}</title>',
           f'<desc id="{ident}-desc">{_esc(_("No data") if empty else _describe(chart))}</desc>']
    top = PAD
    if chart.title:
        x = width - PAD if rtl else PAD
        out.append(_text(x, PAD + 13, chart.title, _anchor("right" if rtl else "left", rtl),
                         _fit(width - 2 * PAD, 13 * 0.6),
                         ' font-size="13" font-weight="bold"'))
        top += 22
    if empty:
        out.append(_text(width / 2, (top + height) / 2, _("No data"), "middle", None,
                         f' fill="{MUTED}" class="chart-empty"', isolate=False))
        return "".join(out) + "</svg>"
    colours = chart.colours or PALETTE
    legend = 0.0
    if len(chart.series) > 1:
        legend = min(170.0, 26 + CHAR * max(len(s.name) for s in chart.series))
        _legend(chart, colours, width, top, legend, rtl, out)
        legend += PAD
    frame = _Frame(PAD + (legend if rtl else 0), width - PAD - (0 if rtl else legend),
                   top, height - PAD, rtl)
    (_horizontal if chart.kind == "hbar" else _vertical)(chart, colours, frame, out)
    return "".join(out) + "</svg>"


def to_csv(chart: Chart) -> str:
    """The chart's data: a header ``label,<series names>`` and one row per label; integers
    without ``.0``, and no cell a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([formula_safe(t) for t in ("label", *(s.name for s in chart.series))])
    for i, label in enumerate(chart.labels):
        writer.writerow([formula_safe(label), *(_plain(s.values[i]) for s in chart.series)])
    return buffer.getvalue()


@dataclass(frozen=True)
class _Frame:  # the plot area, in SVG units
    left: float
    right: float
    top: float
    bottom: float
    rtl: bool


def _vertical(chart: Chart, colours: tuple[str, ...], f: _Frame, out: list[str]) -> None:
    """Bars, stacks or lines over categories that run along the bottom."""
    ticks = _ticks(_highest(chart), _integers(chart))
    labels = [_number(t) for t in ticks]
    room = CHAR * max(len(t) for t in labels) + 10
    edge, reach = (f.right, "right") if f.rtl else (f.left, "left")  # the chart's start edge
    f = _Frame(f.left + (0 if f.rtl else room), f.right - (room if f.rtl else 0),
               f.top + 20, f.bottom - 18, f.rtl)
    span, n = ticks[-1], len(chart.labels)
    slot = (f.right - f.left) / n

    def y(value: float) -> float:
        return f.bottom - value / span * (f.bottom - f.top)

    def centre(i: int) -> float:
        return f.right - (i + 0.5) * slot if f.rtl else f.left + (i + 0.5) * slot

    tick_x, tick_side = (f.right + 6, "left") if f.rtl else (f.left - 6, "right")
    for tick, text in zip(ticks, labels, strict=True):
        out.append(f'<line x1="{_n(f.left)}" y1="{_n(y(tick))}" x2="{_n(f.right)}" '
                   f'y2="{_n(y(tick))}" stroke="{OUTLINE if tick == 0 else GRID}"/>')
        out.append(_text(tick_x, y(tick) + 4, text, _anchor(tick_side, f.rtl), None,
                         ' class="chart-tick"', isolate=False))
    if chart.unit:  # above the tick labels, running from the edge over the plot
        out.append(_text(edge, f.top - 12, chart.unit, _anchor(reach, f.rtl),
                         _fit(f.right - f.left + room), f' fill="{MUTED}"'))
    fit = 12  # show every step-th category, so labels of up to this many characters fit
    longest = min(fit, max(len(t) for t in chart.labels))
    step = next(k for k in range(1, n + 1) if k * slot - 4 >= longest * CHAR or k == n)
    for i in range(0, n, step):
        out.append(_text(centre(i), f.bottom + 14, chart.labels[i], "middle",
                         _fit(step * slot - 4), ' class="chart-label"', middle=True))
    if chart.kind == "line":
        _lines(chart, colours, centre, y, out)
        return
    stacked = chart.kind == "stacked"
    group = slot * (0.7 if stacked else 0.8)
    bar = group if stacked else group / len(chart.series)
    for i, label in enumerate(chart.labels):
        base = 0.0
        for j, series in enumerate(chart.series):
            value = series.values[i]
            offset = 0 if stacked else j * bar
            x = centre(i) + group / 2 - offset - bar if f.rtl else centre(i) - group / 2 + offset
            top = y(base + value) if stacked else y(value)
            bottom = y(base) if stacked else f.bottom
            base += value if stacked else 0
            out.append(_bar(x, top, bar, bottom - top, colours[j % len(colours)],
                            _tip(chart, label, series, value)))


def _lines(chart: Chart, colours: tuple[str, ...], centre: Callable[[int], float],
           y: Callable[[float], float], out: list[str]) -> None:
    for j, series in enumerate(chart.series):
        colour = colours[j % len(colours)]
        points = [(centre(i), y(v)) for i, v in enumerate(series.values)]
        out.append(f'<polyline points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in points)}" '
                   f'fill="none" stroke="{colour}" stroke-width="2"{_dashed(j)}/>')
        for (px, py), label, value in zip(points, chart.labels, series.values, strict=True):
            out.append(f'<circle class="chart-point" cx="{_n(px)}" cy="{_n(py)}" r="3" '
                       f'fill="{colour}" stroke="{OUTLINE}" stroke-width="0.75">'
                       f'<title>{_esc(_tip(chart, label, series, value))}</title></circle>')


def _horizontal(chart: Chart, colours: tuple[str, ...], f: _Frame, out: list[str]) -> None:
    """Grouped bars growing from the start side, one row per category."""
    ticks = _ticks(_highest(chart), _integers(chart))
    labels = [_number(t) for t in ticks]
    room = min((f.right - f.left) * 0.4, CHAR * max(len(t) for t in chart.labels) + 10)
    tail = CHAR * len(labels[-1]) / 2 + 2  # the last tick label overhangs the plot
    f = _Frame(f.left + (tail if f.rtl else room), f.right - (room if f.rtl else tail),
               f.top, f.bottom - 18 - (14 if chart.unit else 0), f.rtl)
    span, row = ticks[-1], (f.bottom - f.top) / len(chart.labels)

    def x(value: float) -> float:
        length = value / span * (f.right - f.left)
        return f.right - length if f.rtl else f.left + length

    for tick, text in zip(ticks, labels, strict=True):
        out.append(f'<line x1="{_n(x(tick))}" y1="{_n(f.top)}" x2="{_n(x(tick))}" '
                   f'y2="{_n(f.bottom)}" stroke="{OUTLINE if tick == 0 else GRID}"/>')
        out.append(_text(x(tick), f.bottom + 14, text, "middle", None, ' class="chart-tick"',
                         isolate=False))
    if chart.unit:
        out.append(_text(f.left if f.rtl else f.right, f.bottom + 28, chart.unit,
                         _anchor("left" if f.rtl else "right", f.rtl), None,
                         f' fill="{MUTED}"'))
    label_x, label_side = (f.right + 6, "left") if f.rtl else (f.left - 6, "right")
    group = row * 0.7
    bar = group / len(chart.series)
    for i, label in enumerate(chart.labels):
        centre = f.top + (i + 0.5) * row
        out.append(_text(label_x, centre + 4, label, _anchor(label_side, f.rtl),
                         _fit(room - 10), ' class="chart-label"', middle=True))
        for j, series in enumerate(chart.series):
            value = series.values[i]
            left, right = sorted((x(0), x(value)))
            out.append(_bar(left, centre - group / 2 + j * bar, right - left, bar,
                            colours[j % len(colours)], _tip(chart, label, series, value)))


def _legend(chart: Chart, colours: tuple[str, ...], width: int, top: float, room: float,
            rtl: bool, out: list[str]) -> None:
    """One swatch and name per series, in a column on the end side."""
    edge = PAD + room if rtl else width - PAD - room
    for j, series in enumerate(chart.series):
        y = top + j * 18
        colour, size = colours[j % len(colours)], 12 if chart.kind == "line" else 10
        swatch = edge - size if rtl else edge
        if chart.kind == "line":
            out.append(f'<line class="chart-key" x1="{_n(swatch)}" y1="{_n(y + 6)}" '
                       f'x2="{_n(swatch + 12)}" y2="{_n(y + 6)}" stroke="{colour}" '
                       f'stroke-width="3"{_dashed(j)}/>')
        else:
            out.append(f'<rect class="chart-key" x="{_n(swatch)}" y="{_n(y + 1)}" '
                       f'width="10" height="10" fill="{colour}" stroke="{OUTLINE}" '
                       'stroke-width="0.75"/>')
        out.append(_text(edge - 16 if rtl else edge + 16, y + 10, series.name,
                         _anchor("right" if rtl else "left", rtl), _fit(room - 18), ""))


def _dashed(j: int) -> str:
    dash = DASHES[j % len(DASHES)]
    return f' stroke-dasharray="{dash}"' if dash else ""


def _bar(x: float, y: float, w: float, h: float, colour: str, tip: str) -> str:
    return (f'<rect class="chart-bar" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" '
            f'height="{_n(h)}" fill="{colour}" stroke="{OUTLINE}" stroke-width="0.75">'
            f'<title>{_esc(tip)}</title></rect>')


def _text(x: float, y: float, text: str, anchor: str, fit: int | None, extra: str,
          isolate: bool = True, middle: bool = False) -> str:
    """A text element; cut to ``fit`` characters with an ellipsis (at the end, or in the
    ``middle`` for category labels), the full text then in a ``<title>`` of its group, which
    a browser shows on hover. Words are isolated so that they take their own direction (an
    English label in an Arabic chart keeps its ellipsis and brackets where English puts
    them)."""
    shown = text if fit is None or len(text) <= fit else _shorten(text, fit, middle)
    element = (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>'
               f'{_esc(_isolated(shown) if isolate else shown)}</text>')
    return element if shown == text else f"<g><title>{_esc(text)}</title>{element}</g>"


def _shorten(text: str, fit: int, middle: bool) -> str:
    """``text`` in ``fit`` characters, the ellipsis one of them. Cut in the middle, labels
    that share a beginning stay apart: "Police Transnational Crime Unit — Fiji" and "… —
    Samoa" in 27 become "Police Transn…e Unit — Fiji" and "Police Transn…Unit — Samoa",
    not both "Police Transnational Crime…"."""
    keep = max(fit - 1, 1)
    if not middle or keep < 6:
        return text[:keep].rstrip() + "…"
    head = keep // 2  # an odd character goes to the end, which tells labels apart
    return text[:head].rstrip() + "…" + text[len(text) - (keep - head):].lstrip()


def _fit(space: float, advance: float = CHAR) -> int:
    """How many characters of ``advance`` fit in ``space`` (at least one); a hair of slack
    so that a space measured for n characters holds n despite rounding."""
    return max(1, math.floor(space / advance + 1e-6))


def _isolated(text: str) -> str:
    return f"\u2068{text}\u2069"  # FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE


def _anchor(side: str, rtl: bool) -> str:
    """The text-anchor that puts the text's ``side`` edge at x ("start" is the right edge
    when the direction is rtl)."""
    return "start" if (side == "left") != rtl else "end"


def _ticks(highest: float, integers: bool) -> list[float]:
    """Round steps of 1, 2 or 5 times a power of ten from 0 to at least ``highest``
    (37 → 0, 10, 20, 30, 40)."""
    raw = highest / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if integers:
        step = max(step, 1)
    count = math.ceil(highest / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _highest(chart: Chart) -> float:
    if chart.kind == "stacked":
        return max(sum(values) for values in zip(*(s.values for s in chart.series), strict=True))
    return max(max(s.values) for s in chart.series)


def _integers(chart: Chart) -> bool:
    return all(float(v).is_integer() for s in chart.series for v in s.values)


def _describe(chart: Chart) -> str:
    return _("Categories: %(first)s to %(last)s (%(count)s); series: %(series)s; highest "
             "value: %(highest)s.") % {
        "first": chart.labels[0], "last": chart.labels[-1], "count": len(chart.labels),
        "series": ", ".join(s.name for s in chart.series),
        "highest": f"{_number(_highest(chart))} {chart.unit}".strip()}


def _tip(chart: Chart, label: str, series: Series, value: float) -> str:
    name = f"{label} — {series.name}" if len(chart.series) > 1 else label
    return f"{name}: {_number(value)} {chart.unit}".strip()


def _number(value: float) -> str:
    """1,234 or 0.25: thousands separated, no trailing zeros."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _esc(text: str) -> str:
    """Text safe in an element or a double-quoted attribute, and valid XML."""
    return escape(_NOT_XML.sub("\ufffd", str(text)), {'"': "&quot;"})


def _check(chart: Chart, width: int, height: int, chart_id: str) -> None:
    """A ValueError that says what is wrong with a chart a caller built."""
    if chart.kind not in KINDS:
        raise ValueError(f"chart kind {chart.kind!r} is not one of {', '.join(KINDS)}")
    if width < 160 or height < 120:
        raise ValueError(f"a chart needs at least 160 × 120, not {width} × {height}")
    if chart_id and not _ID.fullmatch(chart_id):
        raise ValueError(f"chart_id {chart_id!r}: a letter, then letters, digits, - or _")
    for colour in chart.colours:
        if not _COLOUR.fullmatch(colour):
            raise ValueError(f"colour {colour!r} is not a hex colour like #0072B2")
    for series in chart.series:
        if len(series.values) != len(chart.labels):
            raise ValueError(f"series {series.name!r} has {len(series.values)} values for "
                             f"{len(chart.labels)} labels")
        for value in series.values:
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"series {series.name!r}: {value!r} is not a count or "
                                 "amount of 0 or more")
