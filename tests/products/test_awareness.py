"""Public awareness material: the list, a material, its leaflet and the Atom feed serve
exactly ``selectors.public_materials()``, to everyone, without sign-in."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client, override_settings
from pypdf import PdfReader

from vaka.policy.services import Markings
from vaka.products import dissemination, services
from vaka.products.dissemination import Choice
from vaka.products.models import Kind, Product, Translation
from vaka.products.services import Content

ATOM = "{http://www.w3.org/2005/Atom}"
QUERIES = 6  # whatever the number of materials
SECTIONS = {"audience": "Parents and students",
            "how_to_spot": "The text asks you to **pay a small fee** for a parcel.",
            "what_to_do": "Do not click the link.\n\n- Delete the message\n- Tell a friend",
            "how_to_report": "Call the police cybercrime line."}


def public_material(desk, *, title: str = "Fake parcel texts", release: bool = True,
                    campaign: int | None = None, sections: dict | None = None,
                    body: str = "Criminals send texts that look like they come from the "
                                "post office.", **markings) -> Product:
    """An awareness product written, approved and (``release``) disseminated by the desk:
    public TLP:CLEAR unless ``markings`` say otherwise."""
    markings = {"distribution": "public", "tlp": "clear", **markings}
    product = services.create_product(
        user=desk.writer, kind=Kind.AWARENESS,
        content=Content(title=title, summary="How to spot a fake parcel text.", body=body,
                        sections=dict(sections or SECTIONS), campaign=campaign),
        markings=Markings(**markings))
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    if release:
        choice = Choice() if markings["distribution"] == "public" else Choice(
            countries=("FJ",))
        dissemination.disseminate(product, user=desk.publisher, choice=choice)
    product.refresh_from_db()
    return product


def translated(desk, product: Product, language: str = "fr", approve: bool = True) -> None:
    services.save_translation(product, user=desk.writer, language=language,
                              title="Faux SMS de colis", summary="Comment repérer un faux SMS.",
                              sections={"what_to_do": "Ne cliquez pas sur le lien."})
    if approve:
        services.review_translation(product, user=desk.publisher, language=language,
                                    to=Translation.Review.APPROVED)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anyone_reads_the_list_and_a_material_without_signing_in(desk) -> None:
    product = public_material(desk)
    listing = Client().get("/awareness/")
    assert listing.status_code == 200
    assert "Fake parcel texts" in listing.content.decode()
    page = Client().get(f"/awareness/{product.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "TLP:CLEAR" in html
    # The sections' Markdown, rendered.
    assert re.search(r"<strong[^>]*>pay a small fee</strong>", html)
    assert re.search(r"<li[^>]*>Delete the message</li>", html)
    assert "Parents and students" in html and "post office" in html


def test_the_public_pages_carry_no_inline_script_or_style(desk) -> None:
    product = public_material(desk, sections={
        **SECTIONS, "what_to_do": "<script>alert(1)</script> <b style='x'>bold</b>"})
    for url in ("/awareness/", f"/awareness/{product.pk}/"):
        html = Client().get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or url == "/awareness/"
        assert not re.search(r"<[a-z][^>]*\sstyle=", html)
        assert all(' src="' in attributes for attributes, _body in
                   re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S))
        assert all(not body.strip() for _attributes, body in
                   re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S))


@pytest.mark.parametrize("markings", [
    {"distribution": "members", "tlp": "clear"},
    {"distribution": "members", "tlp": "green"},
])
def test_material_that_is_not_public_is_404_even_for_a_member_who_may_read_it(
        desk, markings) -> None:
    product = public_material(desk, **markings)
    for client in (Client(), _signed_in(desk.fiji_analyst), _signed_in(desk.writer)):
        for url in (f"/awareness/{product.pk}/", f"/awareness/{product.pk}/leaflet.pdf"):
            assert client.get(url).status_code == 404
        assert "Fake parcel texts" not in client.get("/awareness/").content.decode()
        assert "Fake parcel texts" not in client.get("/awareness/feed.atom").content.decode()


def test_unreleased_material_and_other_kinds_are_404(desk) -> None:
    from tests.products.conftest import disseminated_alert

    draft = public_material(desk, release=False)
    alert = disseminated_alert(desk, distribution="public", tlp="clear")
    for pk in (draft.pk, alert.pk, 999_999):
        assert Client().get(f"/awareness/{pk}/").status_code == 404
        assert _signed_in(desk.writer).get(f"/awareness/{pk}/leaflet.pdf").status_code == 404


def test_a_draft_revision_of_public_material_is_never_shown(desk) -> None:
    product = public_material(desk)
    services.new_revision(product, user=desk.writer)
    services.update_draft(product, user=desk.writer, content=Content(
        title="Draft title nobody may read", sections=dict(SECTIONS)),
        markings=Markings(distribution="public", tlp="clear"))
    for url in (f"/awareness/{product.pk}/", "/awareness/", "/awareness/feed.atom"):
        html = Client().get(url).content.decode()
        assert "Draft title nobody may read" not in html
        assert "Fake parcel texts" in html


def test_approved_translations_are_offered_and_drafts_are_not(desk) -> None:
    product = public_material(desk)
    translated(desk, product, "fr")
    translated(desk, product, "es", approve=False)
    page = Client().get(f"/awareness/{product.pk}/").content.decode()
    assert "?language=fr" in page and "?language=es" not in page
    french = Client().get(f"/awareness/{product.pk}/", {"language": "fr"}).content.decode()
    assert "Faux SMS de colis" in french and 'lang="fr"' in french
    spanish = Client().get(f"/awareness/{product.pk}/", {"language": "es"}).content.decode()
    assert "Faux SMS" not in spanish and "Fake parcel texts" in spanish


def test_the_list_filters_by_language_including_translations(desk) -> None:
    english = public_material(desk, title="English only")
    both = public_material(desk, title="Translated into French")
    translated(desk, both, "fr")
    french = Client().get("/awareness/", {"language": "fr"}).content.decode()
    assert "Translated into French" in french and "English only" not in french
    listing = Client().get("/awareness/").content.decode()
    assert listing.index("Translated into French") < listing.index("English only")  # newest
    bad = Client().get("/awareness/", {"language": "tlh"})
    assert bad.status_code == 200 and "“tlh” is not a language" in bad.content.decode()
    assert english.title in bad.content.decode()


@override_settings(BASE_URL="https://vaka.example.org")
def test_the_feed_is_valid_atom_with_absolute_links_and_plain_summaries(desk) -> None:
    public_material(desk, title="Older material")
    newest = public_material(desk, title="Newest <material> & more")
    public_material(desk, title="Members only", distribution="members", tlp="green")
    response = Client().get("/awareness/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text == "https://vaka.example.org/awareness/feed.atom"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == (
        "https://vaka.example.org/awareness/feed.atom")
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Newest <material> & more", "Older material"]
    first = entries[0]
    link = first.find(f"{ATOM}link").get("href")
    assert link == f"https://vaka.example.org/awareness/{newest.pk}/"
    assert first.find(f"{ATOM}id").text == link
    assert first.find(f"{ATOM}summary").text == "How to spot a fake parcel text."
    assert first.find(f"{ATOM}updated").text


def _pages(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


def test_the_leaflet_is_a_one_page_pdf_with_the_tlp_banner(desk) -> None:
    product = public_material(desk)
    response = Client().get(f"/awareness/{product.pk}/leaflet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages, text = _pages(b"".join(response) if response.streaming else response.content)
    assert pages == 1
    assert "TLP:CLEAR" in text and "Fake parcel texts" in text
    assert "Do not click the link" in text
    assert f"/awareness/{product.pk}/" in text


def test_a_long_material_still_makes_a_one_page_leaflet_that_says_it_was_cut(desk) -> None:
    long = "\n\n".join(f"Step {n}: check who really sent the message before you answer it, "
                       "and never share a code that came by text." for n in range(120))
    product = public_material(desk, sections={**SECTIONS, "what_to_do": long})
    response = Client().get(f"/awareness/{product.pk}/leaflet.pdf")
    pages, text = _pages(response.content)
    assert pages == 1
    assert "Shortened" in text


def test_the_leaflet_comes_in_an_approved_translation(desk) -> None:
    product = public_material(desk)
    translated(desk, product, "fr")
    response = Client().get(f"/awareness/{product.pk}/leaflet.pdf", {"language": "fr"})
    pages, text = _pages(response.content)
    assert pages == 1 and "Faux SMS de colis" in text


def test_the_list_and_the_feed_take_a_fixed_number_of_queries(
        desk, django_assert_max_num_queries) -> None:
    for n in range(4):
        public_material(desk, title=f"Material {n}")
    with django_assert_max_num_queries(QUERIES):
        assert Client().get("/awareness/").status_code == 200
    with django_assert_max_num_queries(QUERIES):
        assert Client().get("/awareness/feed.atom").status_code == 200
