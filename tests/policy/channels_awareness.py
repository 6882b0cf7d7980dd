"""Visibility channels of awareness material and campaigns, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. For each note an awareness
product is written straight to the database with the note's markings and released (its
revision 1 disseminated), with a campaign marked the same; and a draft awareness product,
marked public and TLP:CLEAR but never released.

* ``/awareness/`` (list, material, leaflet, feed) serves public material only, the same to
  everyone: exactly the released products the *anonymous* reference allows (distribution
  public and TLP:CLEAR), whoever asks; everything else is 404, even to its own readers.
* ``/campaigns/`` (list, campaign, edit, reach) shows exactly the campaigns the user's
  reference allows, each with the materials the user may see (a draft to its owner
  organisation only); 404 for the others; an anonymous visitor is sent to sign in.
"""

import io
import xml.etree.ElementTree as ET

from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from vaka.directory.models import Country
from vaka.products.models import Campaign, Kind, Product, Revision, Status

ATOM = "{http://www.w3.org/2005/Atom}"


def _marked(note) -> dict:
    return {"owner": note.owner, "created_by": note.created_by,
            "distribution": note.distribution, "tlp": note.tlp, "audience": note.audience}


def _product(note, i: int, campaign: Campaign, *, released: bool) -> Product:
    now = timezone.now() if released else None
    title = f"aware-{i}-x" if released else f"draft-aware-{i}-x"
    markings = _marked(note) if released else {
        **_marked(note), "distribution": "public", "tlp": "clear", "audience": None}
    product = Product.objects.create(
        kind=Kind.AWARENESS, reference=f"AW-PROP-{note.pk}-{int(released)}", title=title,
        summary=f"summary-{title}", status=Status.DISSEMINATED if released else Status.DRAFT,
        released_revision=1 if released else None, released_at=now, campaign=campaign,
        **markings)
    Revision.objects.create(
        product=product, number=1, status=product.status, title=title,
        summary=product.summary, sections={"what_to_do": f"act-{title}"}, released_at=now,
        **{k: v for k, v in markings.items() if k not in ("owner", "created_by")})
    return product


def build(notes: list) -> tuple[list[Product], list[Product], list[Campaign]]:
    """Per note, in order: a released product, a draft and a campaign holding both."""
    if not Campaign.objects.filter(name__startswith="campaign-").exists():
        for i, note in enumerate(notes):
            campaign = Campaign.objects.create(name=f"campaign-{i}-x", **_marked(note))
            _product(note, i, campaign, released=True)
            _product(note, i, campaign, released=False)
    released = list(Product.objects.filter(title__startswith="aware-").order_by("pk"))
    drafts = list(Product.objects.filter(title__startswith="draft-aware-").order_by("pk"))
    campaigns = list(Campaign.objects.filter(name__startswith="campaign-").order_by("pk"))
    return released, drafts, campaigns


def _web(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def check_awareness(user, visible: set[int], notes: list) -> None:
    released, drafts, _campaigns = build(notes)
    # The anonymous reference (DESIGN.md §2): public and TLP:CLEAR, whoever asks.
    public = {product.pk for product, note in zip(released, notes, strict=True)
              if note.distribution == "public" and note.tlp == "clear"}
    web = _web(user)
    listing = web.get("/awareness/")
    assert listing.status_code == 200
    page = listing.content.decode()
    feed = ET.fromstring(web.get("/awareness/feed.atom").content)
    entries = {e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")}
    assert entries == {p.title for p in released if p.pk in public}
    leaflet_checked = False
    for product in released + drafts:
        detail = web.get(f"/awareness/{product.pk}/")
        if product.pk in public:
            assert product.title in page
            assert detail.status_code == 200 and product.title in detail.content.decode()
            if not leaflet_checked:  # one PDF a world: WeasyPrint is slow
                leaflet = web.get(f"/awareness/{product.pk}/leaflet.pdf")
                reader = PdfReader(io.BytesIO(leaflet.content))
                assert len(reader.pages) == 1
                assert product.title in reader.pages[0].extract_text()
                leaflet_checked = True
            continue
        assert product.title not in page
        assert detail.status_code == 404
        assert web.get(f"/awareness/{product.pk}/leaflet.pdf").status_code == 404


def check_campaigns(user, visible: set[int], notes: list) -> None:
    released, drafts, campaigns = build(notes)
    web = _web(user)
    if user is None:
        for url in ["/campaigns/", *(f"/campaigns/{c.pk}/" for c in campaigns)]:
            assert web.get(url).status_code == 302  # to sign-in
        return
    Country.objects.get_or_create(code="FJ", defaults={"alpha3": "FJI", "name": "Fiji"})
    listing = web.get("/campaigns/", {"page_size": 100}).content.decode()
    seen_materials = {p.pk for p, note in zip(released, notes, strict=True)
                      if note.pk in visible}
    # A draft reaches its owner organisation only (the release rule), within its markings:
    # public and TLP:CLEAR, so every one of them.
    seen_materials |= {p.pk for p in drafts if p.owner_id == user.organisation_id}
    for campaign, note in zip(campaigns, notes, strict=True):
        detail = web.get(f"/campaigns/{campaign.pk}/")
        if note.pk not in visible:
            assert campaign.name not in listing
            assert detail.status_code == 404
            assert web.get(f"/campaigns/{campaign.pk}/edit/").status_code == 404
            assert web.post(f"/campaigns/{campaign.pk}/reach/", {
                "country": "FJ", "channel": "radio", "people": "5"}).status_code == 404
            continue
        assert campaign.name in listing
        assert detail.status_code == 200
        html = detail.content.decode()
        for product in released + drafts:
            if product.campaign_id == campaign.pk:
                assert (f">{product.title}<" in html) == (product.pk in seen_materials), (
                    product.title)
        recorded = web.post(f"/campaigns/{campaign.pk}/reach/", {
            "country": "FJ", "channel": "radio", "people": "5"})
        # Someone of no organisation sees public campaigns but records nothing.
        assert recorded.status_code == (302 if user.organisation_id else 400)
        assert web.get(f"/campaigns/{campaign.pk}/edit/").status_code == (
            200 if campaign.owner_id == user.organisation_id else 403)


CHANNELS = [check_awareness, check_campaigns]
