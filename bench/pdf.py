"""A threat assessment as a PDF: 30 pages of text, 10 charts and a 5,000-indicator annex.

    python bench/pdf.py [--indicators 5000] [--runs 3] [--tables] [--out FILE]

The document extends ``pdf/base.html`` as a product's would: contents, ten sections of
paragraphs, lists and a table (30 pages), one chart per section drawn by
``vaka.web.charts`` as inline SVG, and the indicators annex (type, value, first seen, TLP:
a fifth each domains, IPv4 addresses, URLs, SHA-256 hashes and e-mail addresses) laid out
by ``vaka.web.pdf.annex_table`` and ``pdf/_annex.html``. Reported for each, the median of
``--runs`` renders (template and PDF, wall and CPU time), its pages and bytes:

- the baseline, measured in the same run: a one-page document on the same template
  (WeasyPrint's fixed cost: fonts, stylesheet, the banner, header and footer);
- the assessment without its annex;
- the whole assessment, with the ratio of its time to the baseline's;
- with ``--tables``, the annex as a table with one row per indicator, as a template
  would first write it, once each (minutes): in the document's own table style (automatic
  column widths, values wrapping anywhere), and at its quickest (fixed column widths, no
  padding or rules).

The machine may be loaded: the CPU time and the ratio move less than the wall time.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PARAGRAPH = (
    "Ransomware operators targeting police and public-sector networks in the region "
    "continued to rely on exposed remote-access services and stolen credentials bought from "
    "initial-access brokers. Reporting from member agencies shows that intrusions were "
    "typically staged over two to five days, with data exfiltrated to commercial cloud "
    "storage before encryption, and that negotiation portals moved to new onion addresses "
    "within a week of public reporting. We assess with moderate confidence that the same "
    "affiliates will keep targeting agencies with limited out-of-hours monitoring.")

NAIVE_ANNEX = """<table class="naive">
<colgroup><col class="t"><col class="v"><col class="f"><col class="l"></colgroup>
<thead><tr><th>Type</th><th>Value</th><th>First seen</th>
<th>TLP</th></tr></thead><tbody>{% for row in rows %}<tr><td>{{ row.0 }}</td><td>{{ row.1 }}</td>
<td>{{ row.2 }}</td><td>{{ row.3 }}</td></tr>{% endfor %}</tbody></table>"""

DOCUMENT = """{% extends "pdf/base.html" %}
{% block title %}Threat assessment: ransomware against regional law enforcement{% endblock %}
{% block head %}<style>table.naive td { overflow-wrap: anywhere; }{{ table_css }}</style>
{% endblock %}
{% block toc %}{% include "pdf/_toc.html" %}{% endblock %}
{% block content %}<h1>Threat assessment: ransomware against regional law enforcement</h1>
{% for anchor, title, chart in sections %}<h2 id="{{ anchor }}">{{ title }}</h2>
{% for _ in paragraphs %}<p>{{ paragraph }}</p>{% endfor %}
<ul><li>Initial access through exposed remote desktop and VPN appliances.</li>
<li>Credential theft with commodity information stealers.</li>
<li>Exfiltration to cloud storage before encryption.</li></ul>
<figure>{{ chart|safe }}<figcaption>{{ title }}: incidents reported by month</figcaption></figure>
<table><thead><tr><th>Country</th><th>Incidents</th><th>Agencies affected</th></tr></thead>
<tbody>{% for c in countries %}<tr><td>{{ c }}</td><td>{{ forloop.counter }}</td>
<td>{{ forloop.revcounter }}</td></tr>{% endfor %}</tbody></table>
{% for _ in paragraphs %}<p>{{ paragraph }}</p>{% endfor %}{% endfor %}
{% if annex %}<h2 id="annex">Annex: indicators</h2>{% include "pdf/_annex.html" %}{% endif %}
{% if naive %}<h2 id="annex">Annex: indicators</h2>""" + NAIVE_ANNEX + """{% endif %}
{% endblock %}"""

ONE_PAGE = """{% extends "pdf/base.html" %}{% block title %}Alert{% endblock %}
{% block content %}<h1>Alert</h1><p>{{ paragraph }}</p>{% endblock %}"""


def setup_django(data_dir: str) -> None:
    os.environ["VAKA_DATA_DIR"] = data_dir
    os.environ["VAKA_STATIC_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def indicators(count: int) -> list[tuple[str, str, str, str]]:
    rows = []
    for i in range(count):
        kind = ("domain-name", "ipv4-addr", "url", "file:SHA-256", "email-addr")[i % 5]
        value = (f"login-verify{i}.example-bad.net", f"203.0.{i % 256}.{i % 251}",
                 f"https://cdn{i}.example-bad.com/invoice/view.php?id={i * 7919}",
                 f"{i * 2654435761:064x}", f"billing{i}@example-mail.org")[i % 5]
        tlp = ("TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT")[i % 3]
        rows.append((kind, value, f"2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}", tlp))
    return rows


# The quickest one-row-per-indicator table found: fixed widths, no padding, no rules.
QUICK_TABLE = """table.naive { table-layout: fixed; font-size: 7.5pt; }
table.naive td { padding: 0 1mm; border: 0; } table.naive tr { border: 0; }
col.t { width: 14%; } col.v { width: 56%; } col.f { width: 12%; } col.l { width: 18%; }"""


def context(count: int, *, annex: bool, naive: bool, table_css: str = "") -> dict:
    from vaka.web.charts import Chart, Series, render_svg
    from vaka.web.pdf import AnnexColumn, annex_table

    months = tuple(f"2026-{m:02d}" for m in range(1, 13))
    sections = []
    for n in range(1, 11):
        chart = Chart(title=f"Section {n}", labels=months, kind=("bar", "line")[n % 2],
                      series=(Series("Ransomware", tuple(float((m * n) % 17 + 3)
                                                         for m in range(12))),
                              Series("Phishing", tuple(float((m + n) % 11 + 1)
                                                       for m in range(12)))))
        sections.append((f"s{n}", f"Section {n}: finding {n}", render_svg(chart)))
    rows = indicators(count)
    columns = [AnnexColumn("Type", 12), AnnexColumn("Value", 64), AnnexColumn("First seen", 10),
               AnnexColumn("TLP", 16)]
    return {
        "tlp": "amber", "tlp_label": "TLP:AMBER", "reference": "VAKA-TA-2026-042",
        "classification_line": "PAP:AMBER · Not to be passed on without the owner's consent "
                                "· B2", "handling_line": "For policing purposes only",
        "issued": datetime.date(2026, 11, 30), "language": "en", "rtl": False,
        "toc": [(a, t) for a, t, _c in sections] + ([("annex", "Annex: indicators")]
                                                    if annex or naive else []),
        "sections": sections, "paragraphs": range(7), "paragraph": PARAGRAPH,
        "countries": ["Fiji", "Samoa", "Tonga", "Vanuatu", "Papua New Guinea", "Kiribati"],
        "annex": annex_table(columns, rows) if annex else None,
        "rows": rows if naive else (),
        "naive": naive,
        "table_css": table_css,
    }


def measure(source: str, ctx: dict, runs: int) -> tuple[float, float, int, int, bytes]:
    """Median wall and CPU seconds (template and PDF), pages, bytes, the last PDF."""
    import io

    from django.template import engines
    from pypdf import PdfReader

    from vaka.web.pdf import render_pdf

    template = engines["django"].from_string(source)
    walls, cpus, pdf = [], [], b""
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = render_pdf(template.render(ctx))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return statistics.median(walls), statistics.median(cpus), pages, len(pdf), pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tables", action="store_true",
                        help="also the annex as a table, one row per indicator (minutes)")
    parser.add_argument("--out", help="write the whole assessment's PDF here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        load = os.getloadavg()[0]
        base = context(0, annex=False, naive=False)
        measure(ONE_PAGE, base, 1)  # warm: fonts, stylesheet, imports
        floor = measure(ONE_PAGE, base, args.runs)
        print(f"load average {load:.1f}; median of {args.runs} runs; wall / CPU seconds")
        print(f"baseline, one page:          {floor[0]:6.2f} / {floor[1]:6.2f} s, "
              f"{floor[2]} page, {floor[3]:,} bytes")
        body = measure(DOCUMENT, base, args.runs)
        print(f"assessment without annex:    {body[0]:6.2f} / {body[1]:6.2f} s, "
              f"{body[2]} pages, {body[3]:,} bytes (10 charts); ratio {body[0] / floor[0]:.0f}")
        whole = measure(DOCUMENT, context(args.indicators, annex=True, naive=False), args.runs)
        print(f"with {args.indicators:,}-indicator annex: {whole[0]:6.2f} / {whole[1]:6.2f} s, "
              f"{whole[2]} pages ({whole[2] - body[2]} of annex), {whole[3]:,} bytes; "
              f"ratio {whole[0] / floor[0]:.0f} (CPU {whole[1] / floor[1]:.0f})")
        if args.out:
            Path(args.out).write_bytes(whole[4])
        if args.tables:
            for name, css in (("quickest", QUICK_TABLE), ("document's style", "")):
                table = measure(DOCUMENT, context(args.indicators, annex=False, naive=True,
                                                  table_css=css), 1)
                print(f"… its annex a table row per indicator, {name}: {table[0]:.2f} / "
                      f"{table[1]:.2f} s, {table[2]} pages, {table[3]:,} bytes; "
                      f"{table[1] / whole[1]:.1f}x the CPU time (one run)")


if __name__ == "__main__":
    main()
