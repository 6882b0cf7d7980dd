"""The statistics page, its CSVs and the donor report (XLSX, PDF): the same figures, the
same filters, nothing of what the viewer may not see, and no formula from the data."""

import csv
import io

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import confirmed_totp
from tests.training.test_statistics_figures import stats_world  # noqa: F401 (fixture)
from vaka.directory.models import Organisation
from vaka.directory.roles import Role
from vaka.training.models import Course

SHEETS = ["Summary", "By gender", "By country", "By organisation", "By topic",
          "By programme", "By year", "Improvement by course", "Sessions held",
          "Human rights and gender"]


def _get(client, user, url, params=None):
    client.force_login(user)
    if user.role in (Role.PLATFORM_ADMIN, Role.ORG_ADMIN):  # administrators sign in with TOTP
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
        session.save()
    return client.get(url, params or {})


def _book(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_page_shows_the_figures(client, stats):
    page = _get(client, stats.coordinator, "/training/statistics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="figure-people">2</dd>' in html
    assert html.count("<svg") == 8
    assert "/training/statistics/country.csv" in html


def test_page_needs_sign_in(client, stats):
    assert client.get("/training/statistics/").status_code == 302


def test_a_bad_filter_is_refused_naming_the_parameter(client, stats):
    page = _get(client, stats.coordinator, "/training/statistics/", {"since": "June"})
    assert page.status_code == 400 and "since" in page.content.decode()
    csv_answer = _get(client, stats.coordinator, "/training/statistics/gender.csv",
                      {"topic": "knitting", "since": "2026-02-01", "until": "2026-01-01"})
    assert csv_answer.status_code == 400
    assert csv_answer.content.decode().splitlines()[0].startswith(("topic:", "until:"))
    assert _get(client, stats.coordinator, "/training/statistics/donor-report.xlsx",
                {"country": "ZZ"}).status_code == 400


def test_chart_csv_has_the_figures_and_the_filters(client, stats):
    rows = list(csv.reader(io.StringIO(_get(
        client, stats.coordinator, "/training/statistics/gender.csv").content.decode())))
    assert rows == [["label", "people"], ["Female", "1"], ["Male", "1"],
                    ["Another gender", "0"], ["Not stated", "0"]]
    rows = list(csv.reader(io.StringIO(_get(
        client, stats.coordinator, "/training/statistics/year.csv",
        {"since": "2026-01-01"}).content.decode())))
    assert rows == [["label", "people"], ["2026", "2"]]
    assert _get(client, stats.coordinator, "/training/statistics/nothing.csv").status_code \
        == 404


def test_xlsx_has_a_sheet_per_table_with_the_figures(client, stats):
    book = _book(_get(client, stats.coordinator, "/training/statistics/donor-report.xlsx",
                      {"programme": "blue-pacific"}))
    assert book.sheetnames == SHEETS
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["People trained"] == 2 and summary["Pass rate (%)"] == 50
    assert summary["…who went on to deliver"] == 1
    sessions = list(book["Sessions held"].iter_rows(values_only=True))
    assert sessions[0] == ("Reference", "Course", "Starts", "Ends", "Place", "Country",
                           "Female", "Male", "Another gender", "Not stated", "Trainers")
    assert [r[0] for r in sessions[1:]] == ["TRN-2025-009", "TRN-2026-001"]
    assert sessions[2][4:] == ("Suva", "Country FJ", 1, 1, 0, 0, 2)
    assert list(book["Human rights and gender"].iter_rows(values_only=True))[1] == (
        "Training of trainers", "1 Significant", 1, 1, 0)


def test_pdf_has_the_figures_the_sessions_and_the_strictest_tlp(client, stats):
    text = _pdf_text(_get(client, stats.coordinator,
                          "/training/statistics/donor-report.pdf"))
    assert "TLP:AMBER" in text  # the training of trainers is AMBER
    assert "TRN-2025-009" in text and "Training of trainers" in text


def test_an_outsider_gets_zeros_everywhere(client, stats):
    for user in (stats.ph_analyst, stats.ph_admin):
        html = _get(client, user, "/training/statistics/").content.decode()
        assert 'id="figure-people">0</dd>' in html
        for chart in ("gender", "country", "organisation", "year", "trainers"):
            rows = list(csv.reader(io.StringIO(_get(
                client, user, f"/training/statistics/{chart}.csv").content.decode())))
            assert all(value == "0" for row in rows[1:] for value in row[1:])
            assert not any(name in str(rows) for name in ("Samoa", "Fiji", "FJ", "WS"))
        book = _book(_get(client, user, "/training/statistics/donor-report.xlsx"))
        summary = [row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)]
        assert all(value in (0, None) for value in summary)
        for sheet in ("By country", "By organisation", "Sessions held",
                      "Human rights and gender", "Improvement by course"):
            assert book[sheet].max_row == 1
        text = _pdf_text(_get(client, user, "/training/statistics/donor-report.pdf"))
        assert "TRN-20" not in text and "Suva" not in text and "Tupou" not in text
        assert "TLP:CLEAR" in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_looking_cells_are_neutralised(client, stats, start):
    Course.objects.filter(pk=stats.course.pk).update(title=f"{start}HYPERLINK(\"x\")")
    Organisation.objects.filter(pk=stats.fiji_unit.pk).update(name=f"{start}1+1")
    book = _book(_get(client, stats.coordinator, "/training/statistics/donor-report.xlsx"))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert f"'{start}HYPERLINK(\"x\")" in values and f"'{start}1+1" in values
    rows = _get(client, stats.coordinator, "/training/statistics/organisation.csv")
    assert f"'{start}1+1" in rows.content.decode()
