import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.products.conftest import ALERT_SECTIONS, approved_alert, draft_alert, stored
from vaka.policy.audit import Action
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings
from vaka.products import selectors, services
from vaka.products.models import Kind, Revision, Status
from vaka.products.services import Content


def test_a_new_alert_is_a_numbered_draft_its_owner_alone_sees(desk) -> None:
    product = draft_alert(desk)
    assert product.reference.startswith("ALERT-") and product.reference.endswith("-0001")
    assert product.status == Status.DRAFT
    assert list(selectors.products_for(desk.writer)) == [product]
    # Marked for every member, but not released: nobody outside the desk sees it.
    assert not selectors.products_for(desk.fiji_analyst).exists()


def test_missing_required_sections_and_unknown_codes_are_named(desk) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_product(
            user=desk.writer, kind=Kind.ALERT,
            content=Content(title="", sections={"threat": " ", "vector": "a\nb",
                                                "targeted_countries": ["XX"], "nope": "x"},
                            crime_types=["piracy"]),
            markings=Markings(distribution="members", tlp="green"))
    errors = error.value.message_dict
    assert set(errors) >= {"title", "threat", "recommended_actions", "vector",
                           "targeted_countries", "crime_types", "nope"}
    assert "XX" in errors["targeted_countries"][0]
    assert not Revision.objects.exists()


def test_the_writer_cannot_approve_their_own_revision(desk) -> None:
    desk.writer.role = "publisher"
    desk.writer.save()
    product = draft_alert(desk)
    services.submit_for_review(product, user=desk.writer)
    with pytest.raises(ValidationError, match="another publisher must approve"):
        services.approve(product, user=desk.writer)
    assert AuditEntry.objects.filter(action=Action.REFUSED).exists()
    services.approve(product, user=desk.publisher)
    assert services.current_revision(product).status == Status.APPROVED


def test_an_analyst_cannot_approve(desk) -> None:
    product = draft_alert(desk)
    services.submit_for_review(product, user=desk.writer)
    other = type(desk.writer).objects.create(username="other", organisation=desk.org)
    with pytest.raises(PermissionDenied):
        services.approve(product, user=other)


def test_returning_needs_a_comment_and_every_step_is_audited(desk) -> None:
    product = draft_alert(desk)
    services.submit_for_review(product, user=desk.writer, comment="ready")
    with pytest.raises(ValidationError):
        services.return_to_draft(product, user=desk.publisher, comment=" ")
    services.return_to_draft(product, user=desk.publisher, comment="Name the banks.")
    trail = [(t.to_status, t.comment) for t in product.transitions.all()]
    assert trail == [("in_review", "ready"), ("draft", "Name the banks.")]
    actions = list(AuditEntry.objects.filter(target_id=str(product.pk))
                   .order_by("seq").values_list("action", flat=True))
    assert actions == [Action.CREATE, Action.PRODUCT_SUBMIT, Action.PRODUCT_RETURN]


def test_an_approved_revision_never_changes_except_by_a_new_revision(desk) -> None:
    product = approved_alert(desk)
    with pytest.raises(ValidationError, match="start a new revision"):
        services.update_draft(product, user=desk.writer,
                              content=Content(title="Changed", sections=dict(ALERT_SECTIONS)),
                              markings=Markings(distribution="members", tlp="green"))
    revision = services.new_revision(product, user=desk.writer)
    assert revision.number == 2 and revision.status == Status.DRAFT
    services.update_draft(product, user=desk.writer,
                          content=Content(title="Changed", sections=dict(ALERT_SECTIONS)),
                          markings=Markings(distribution="members", tlp="green"))
    first = product.revisions.get(number=1)
    assert first.title == "Smishing wave" and first.status == Status.APPROVED


def test_linking_an_object_the_writer_cannot_see_reads_like_a_missing_one(desk) -> None:
    hidden = stored(desk.fiji_analyst, distribution="organisation")
    with pytest.raises(ValidationError) as error:
        services.create_product(
            user=desk.writer, kind=Kind.ALERT,
            content=Content(title="x", sections=dict(ALERT_SECTIONS),
                            linked=[hidden.pk, 999999]),
            markings=Markings(distribution="members", tlp="green"))
    assert error.value.message_dict["linked"] == [
        f"No object you may see has the id(s) {hidden.pk}, 999999."]


def test_translations_have_their_own_review(desk) -> None:
    product = draft_alert(desk)
    translation = services.save_translation(product, user=desk.writer, language="fr",
                                            title="Vague de smishing")
    assert translation.status == "draft"
    with pytest.raises(ValidationError, match="another publisher"):
        desk.writer.role = "publisher"
        services.review_translation(product, user=desk.writer, language="fr", to="approved")
    services.review_translation(product, user=desk.publisher, language="fr", to="approved")
    assert product.revisions.get().translations.get().status == "approved"
    with pytest.raises(ValidationError):
        services.save_translation(product, user=desk.writer, language="en", title="same")


def test_a_translation_goes_with_the_revision_being_written(desk) -> None:
    product = approved_alert(desk)
    services.new_revision(product, user=desk.writer)  # ``product`` in hand still says r1
    services.save_translation(product, user=desk.writer, language="ar", title="موجة")
    services.review_translation(product, user=desk.publisher, language="ar", to="approved")
    assert product.revisions.get(number=2).translations.get().status == "approved"
    assert not product.revisions.get(number=1).translations.exists()


def test_a_colleague_not_named_on_a_red_draft_cannot_change_it(desk) -> None:
    product = approved_alert(desk)
    services.new_revision(product, user=desk.writer)
    colleague = type(desk.writer).objects.create(username="colleague", organisation=desk.org,
                                              role="analyst")
    services.update_draft(product, user=desk.writer, content=Content(
        title="Narrowed", sections=dict(ALERT_SECTIONS)), markings=Markings(
        distribution="members", tlp="red", recipients=[desk.publisher]))
    with pytest.raises(PermissionDenied):
        services.update_draft(product, user=colleague, content=Content(
            title="Overwritten", sections=dict(ALERT_SECTIONS)),
            markings=Markings(distribution="members", tlp="green"))


def test_links_the_writer_cannot_see_are_kept_when_a_colleague_edits(desk) -> None:
    own = stored(desk.writer, "own-value.top", distribution="organisation", tlp="red",
                 recipients=[desk.publisher])
    product = services.create_product(
        user=desk.writer, kind=Kind.ALERT, content=Content(
            title="x", sections=dict(ALERT_SECTIONS), linked=[own.pk]),
        markings=Markings(distribution="members", tlp="green"))
    other = type(desk.writer).objects.create(username="other2", organisation=desk.org,
                                          role="analyst")
    services.update_draft(product, user=other, content=Content(
        title="y", sections=dict(ALERT_SECTIONS), linked=[]),
        markings=Markings(distribution="members", tlp="green"))
    assert list(product.revisions.get().linked.values_list("pk", flat=True)) == [own.pk]


def test_a_nul_character_is_refused_where_it_stands(desk) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_product(
            user=desk.writer, kind=Kind.ALERT,
            content=Content(title="x", sections={**ALERT_SECTIONS, "vector": "SMS\x00",
                                                 "targeted_countries": ["F\x00J"]}),
            markings=Markings(distribution="members", tlp="green"))
    errors = error.value.message_dict
    assert errors["vector"] == ["Vector holds a NUL character."]
    assert "F\x00J" in errors["targeted_countries"][0]
