"""Charts: Vaka's own SVG module against pygal, the same three charts in the same run.

    python bench/charts.py [--runs 200]

The charts: a 24-month line chart with 3 series, a 12-bar horizontal bar chart, and a
stacked bar chart of 12 months × 5 TLPs. Reported per chart and library: CPU time per
chart (median of ``--runs`` renders, in ms; CPU time rather than wall time, so a loaded
machine disturbs it less) and the SVG's size in bytes, raw and gzipped, with the ratio of
each to pygal's (the baseline). pygal renders without its JavaScript (``js=[]``), as a page
under Vaka's CSP would need it; it still embeds a ``<style>`` element, which that CSP would
block. Without pygal installed the bench says so and prints Vaka's figures alone.
"""

import argparse
import gzip
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=False)

from vaka.web.charts import TLP_COLOURS, Chart, Series, render_svg

TLPS = ("clear", "green", "amber", "amber+strict", "red")
CRIMES = ("Phishing", "Business e-mail compromise", "Ransomware", "Sextortion",
          "Investment fraud", "Romance scam", "Money mule recruitment", "Crypto theft",
          "DDoS", "Defacement", "Malware command and control", "Identity theft")


def charts() -> list[Chart]:
    rng = random.Random(7)
    months = tuple(f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(24))
    return [
        Chart("Indicators received, last 24 months", months, tuple(
            Series(name, tuple(float(rng.randint(0, 4000)) for _ in months))
            for name in ("Phishing", "Ransomware", "Sextortion")), kind="line",
            unit="objects"),
        Chart("Reports by crime type", CRIMES, (
            Series("Reports", tuple(float(rng.randint(1, 370)) for _ in CRIMES)),),
            kind="hbar", unit="reports"),
        Chart("Records shared by TLP", months[12:], tuple(
            Series(f"TLP:{tlp.upper()}", tuple(float(rng.randint(0, 60)) for _ in range(12)))
            for tlp in TLPS), kind="stacked", unit="records",
            colours=tuple(TLP_COLOURS[tlp] for tlp in TLPS)),
    ]


def pygal_renderer(chart: Chart) -> Callable[[], str] | None:
    try:
        import pygal
        from pygal.style import Style
    except ImportError:
        return None
    kind = {"line": pygal.Line, "hbar": pygal.HorizontalBar, "stacked": pygal.StackedBar,
            "bar": pygal.Bar}[chart.kind]
    style = Style(colors=chart.colours) if chart.colours else pygal.style.DefaultStyle

    def render() -> str:
        drawing = kind(width=640, height=320, js=[], disable_xml_declaration=True,
                       style=style, title=chart.title, y_title=chart.unit,
                       x_label_rotation=0, show_legend=len(chart.series) > 1)
        drawing.x_labels = chart.labels
        for series in chart.series:
            drawing.add(series.name, list(series.values))
        return drawing.render(is_unicode=True)

    return render


def measure(render: Callable[[], str], runs: int) -> tuple[float, int, int]:
    """Median CPU ms per render, and the SVG's bytes raw and gzipped."""
    svg = render()  # warm up
    times = []
    for _ in range(runs):
        start = time.process_time()
        render()
        times.append((time.process_time() - start) * 1000)
    data = svg.encode()
    return statistics.median(times), len(data), len(gzip.compress(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} renders per figure")
    print(f"{'chart':<10}{'library':<8}{'ms/chart':>10}{'bytes':>9}{'gzipped':>9}"
          f"{'time ×':>9}{'bytes ×':>9}{'gzip ×':>9}")
    missing = False
    for chart in charts():
        ours = measure(lambda c=chart: render_svg(c), args.runs)
        pygal = pygal_renderer(chart)
        base = measure(pygal, args.runs) if pygal else None
        missing = missing or base is None
        if base:
            print(f"{chart.kind:<10}{'pygal':<8}{base[0]:>10.2f}{base[1]:>9,}{base[2]:>9,}"
                  f"{1:>9.2f}{1:>9.2f}{1:>9.2f}")
        ratios = "".join(f"{a / b:>9.3f}" for a, b in zip(ours, base, strict=True)) if base else ""
        print(f"{chart.kind:<10}{'vaka':<8}{ours[0]:>10.2f}{ours[1]:>9,}{ours[2]:>9,}{ratios}")
    if missing:
        print("pygal is not installed, so there is no baseline: pip install pygal to compare.")


if __name__ == "__main__":
    main()
