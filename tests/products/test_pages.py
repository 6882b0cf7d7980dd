"""The product pages as a writer, a publisher and a recipient use them."""

from django.test import Client

from tests.products.conftest import disseminated_alert, draft_alert, stored
from vaka.products.models import Product, Recipient, Status


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_writer_drafts_an_alert_through_the_form(desk) -> None:
    response = _client(desk.writer).post("/products/new/alert/", {
        "title": "Fake courier SMS", "language": "en", "s_threat": "SMS with a link.",
        "s_recommended_actions": "Warn the public.", "s_targeted_countries": ["FJ"],
        "crime_types": ["phishing"], "distribution": "members", "tlp": "green",
        "ack_deadline": "2099-01-01T10:00"})
    product = Product.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/products/{product.pk}/"
    page = _client(desk.writer).get(response["Location"]).content.decode()
    assert "Fake courier SMS" in page and "SMS with a link." in page and "Country FJ" in page


def test_form_errors_land_on_their_fields(desk) -> None:
    response = _client(desk.writer).post("/products/new/alert/", {
        "title": "x", "language": "en", "s_threat": "", "distribution": "public",
        "tlp": "amber"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "s_threat" in form.errors and "s_recommended_actions" in form.errors
    assert "tlp" in form.errors
    assert not Product.objects.exists()


def test_review_approve_and_disseminate_through_the_pages(desk) -> None:
    product = draft_alert(desk)
    writer, publisher = _client(desk.writer), _client(desk.publisher)
    writer.post(f"/products/{product.pk}/step/submit/")
    publisher.post(f"/products/{product.pk}/step/approve/", {"comment": "Good"})
    response = publisher.post(f"/products/{product.pk}/disseminate/", {
        "countries": ["FJ"], "deadline": "2099-01-01T10:00"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.status == Status.DISSEMINATED
    page = publisher.get(f"/products/{product.pk}/").content.decode()
    assert "Fiji Unit" in page and "0 of 1 acknowledged" in page and "Good" in page


def test_a_refused_dissemination_names_the_conflict_on_the_form(desk) -> None:
    from tests.products.conftest import approved_alert

    product = approved_alert(desk, tlp="amber", recipient_organisations=[desk.fiji_unit])
    response = _client(desk.publisher).post(f"/products/{product.pk}/disseminate/", {
        "countries": ["WS"], "deadline": "2099-01-01T10:00"})
    assert "Samoa Unit is not one of its recipient organisations" in \
        response.content.decode()


def test_a_recipient_acknowledges_and_sees_only_its_own_row(desk) -> None:
    product = disseminated_alert(desk)
    fiji = _client(desk.fiji_analyst)
    page = fiji.get(f"/products/{product.pk}/").content.decode()
    assert "Acknowledge this alert" in page and "Samoa Unit" not in page
    fiji.post(f"/products/{product.pk}/acknowledge/", {"ack": "actioned", "note": "Done"})
    assert Recipient.objects.get(organisation=desk.fiji_unit).ack == "actioned"
    matrix = _client(desk.writer).get(f"/products/{product.pk}/").content.decode()
    assert "1 of 2 acknowledged" in matrix and "Done" in matrix


def test_the_annex_holds_only_what_each_reader_may_see(desk) -> None:
    from vaka.policy.services import Markings
    from vaka.products import dissemination, services
    from vaka.products.services import Content

    shared = stored(desk.writer, "shared-bank-login.top")
    secret = stored(desk.writer, "desk-only-login.top", distribution="organisation")
    product = services.create_product(
        user=desk.writer, kind="assessment",
        content=Content(title="Smishing in the Pacific", linked=[shared.pk, secret.pk],
                        sections={"key_judgements": "It grows."}, body="# Trends\n\nUp."),
        markings=Markings(distribution="members", tlp="green"))
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ",)))
    own = _client(desk.writer).get(f"/products/{product.pk}/").content.decode()
    theirs = _client(desk.fiji_analyst).get(f"/products/{product.pk}/").content.decode()
    assert "shared-bank-login.top" in own and "desk-only-login.top" in own
    assert "shared-bank-login.top" in theirs and "desk-only-login.top" not in theirs
    assert "Contents" in theirs and 'href="#' in theirs


def test_other_agencies_get_404_before_release_and_a_list_without_it(desk) -> None:
    product = draft_alert(desk)
    fiji = _client(desk.fiji_analyst)
    assert fiji.get(f"/products/{product.pk}/").status_code == 404
    assert "Smishing wave" not in fiji.get("/products/").content.decode()


def test_the_pdf_carries_the_tlp_on_every_page_and_the_reader_s_annex(desk) -> None:
    import io

    from pypdf import PdfReader

    product = disseminated_alert(desk)
    response = _client(desk.fiji_analyst).get(f"/products/{product.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    for page in reader.pages:
        assert "TLP:GREEN" in page.extract_text()
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Smishing wave" in text and product.reference in text


def test_an_assessment_carries_the_analytics_charts_its_writer_chose(desk) -> None:
    from vaka.products import figures

    stored(desk.writer, "chart-bank-login.top")
    figures.refresh()
    response = _client(desk.writer).post("/products/new/assessment/", {
        "title": "Phishing in 2026", "language": "en", "s_key_judgements": "Rising.",
        "charts": ["crime-types", "tlp"], "distribution": "members", "tlp": "green"})
    assert response.status_code == 302, response.context["form"].errors
    product = Product.objects.get()
    held = product.revisions.get().figures["charts"]
    assert [c["key"] for c in held] == ["crime-types", "tlp"]
    page = _client(desk.writer).get(f"/products/{product.pk}/").content.decode()
    assert page.count("<svg") >= 2


def test_charts_are_refused_on_an_alert(desk) -> None:
    from django.core.exceptions import ValidationError

    from tests.products.conftest import ALERT_SECTIONS
    from vaka.policy.services import Markings
    from vaka.products import services
    from vaka.products.services import Content

    try:
        services.create_product(user=desk.writer, kind="alert", content=Content(
            title="x", sections=dict(ALERT_SECTIONS), charts=["tlp"]),
            markings=Markings(distribution="members", tlp="green"))
    except ValidationError as error:
        assert error.message_dict["charts"] == [
            "Charts go into assessments and activity reports."]
    else:
        raise AssertionError("charts on an alert were accepted")
