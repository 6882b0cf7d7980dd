"""The product pages: parse the request, call a service or a selector, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.intel.crime_types import CrimeType
from vaka.products import dissemination, rendering, selectors, services
from vaka.products.forms import (
    AcknowledgeForm,
    AttachmentForm,
    CommentForm,
    DisseminateForm,
    ProductForm,
    TranslationForm,
)
from vaka.products.models import Kind, Product, Status, Translation
from vaka.web.pagination import paginate, query_without_page

# Workflow steps a button posts to: (service, success message).
STEPS = {
    "submit": (services.submit_for_review, _("Sent for review.")),
    "return": (services.return_to_draft, _("Returned to the writer.")),
    "approve": (services.approve, _("Approved.")),
    "close": (dissemination.close, _("Alert closed.")),
}


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    products = selectors.products_for(request.user)
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    crime_type, search = request.GET.get("crime_type", ""), request.GET.get("q", "").strip()
    if kind in Kind.values:
        products = products.filter(kind=kind)
    if status in Status.values:
        products = products.filter(status=status)
    if crime_type in CrimeType.values:
        products = products.filter(crime_types__icontains=f'"{crime_type}"')
    if search:
        products = products.filter(title__icontains=search)
    return render(request, "products/product_list.html", {
        "page": paginate(request, products), "query": query_without_page(request),
        "kinds": Kind.choices, "statuses": Status.choices, "crime_types": CrimeType.choices,
        "kind": kind, "status": status, "crime_type": crime_type, "q": search,
        "awaiting": selectors.awaiting_ack_for(request.user)[:10],
        "to_review": (selectors.pending_review_for(request.user)[:10]
                      if request.user.can(Capability.PUBLISH) else []),
    })


def _save(request: HttpRequest, form: ProductForm, product: Product | None
          ) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        if product is None:
            product = services.create_product(user=request.user, kind=form.kind,
                                               content=form.content(),
                                               markings=form.markings(), request=request)
        else:
            services.update_draft(product, user=request.user, content=form.content(),
                                  markings=form.markings(), request=request)
    except ValidationError as error:
        form.apply_errors(error)
        return None
    messages.success(request, _("Draft saved."))
    return redirect(product)


@login_required
def product_create(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        raise Http404
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    form = ProductForm(request.POST or None, user=request.user, kind=kind,
                       initial={"language": get_language()})
    if request.method == "POST" and (response := _save(request, form, None)):
        return response
    return render(request, "products/product_form.html",
                  {"form": form, "kind_label": Kind(kind).label})


@login_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    if not selectors.is_owner_side(request.user, product):
        raise PermissionDenied
    revision = selectors.revision_for(request.user, product)
    if revision.number != product.revision or revision.status != Status.DRAFT:
        messages.error(request, _("Only a draft is changed; start a new revision."))
        return redirect(product)
    form = ProductForm(request.POST or None, user=request.user, kind=product.kind)
    if request.method != "POST":
        form.show(product, revision)
    elif response := _save(request, form, product):
        return response
    return render(request, "products/product_form.html", {
        "form": form, "product": product, "revision": revision,
        "kind_label": Kind(product.kind).label})


def _reading(request: HttpRequest, product: Product) -> dict[str, Any]:
    """What the reader gets: the revision, in the language asked for if translated."""
    number = request.GET.get("revision")
    revision = selectors.revision_for(request.user, product,
                                      int(number) if number and number.isdigit() else None)
    return rendering.reading(request.user, product, revision, request.GET.get("lang", ""))


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk, request=request)
    user = request.user
    context = _reading(request, product)
    revision = context["revision"]
    owner_side = selectors.is_owner_side(user, product)
    rows = selectors.recipients_for(user, product)
    own_row = next((r for r in rows if r.organisation_id == user.organisation_id), None)
    context.update({
        "owner_side": owner_side,
        "revisions": selectors.revisions_for(user, product),
        "transitions": selectors.transitions_for(user, product),
        "recipients": rows if owner_side else [],
        "own_row": own_row,
        "ack_form": AcknowledgeForm() if own_row and product.is_alert
        and product.status == Status.DISSEMINATED else None,
        "deliveries": selectors.deliveries_for(user, product),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "can_write": owner_side and user.can(Capability.CONTRIBUTE),
        "can_publish": owner_side and user.can(Capability.PUBLISH),
        "is_current": revision.number == product.revision,
    })
    if owner_side:
        context["acks"] = rendering.ack_counts(rows)
        context["translations"] = revision.translations.all()
        context["languages"] = [(code, name) for code, name in rendering.LANGUAGES
                                if code != revision.language]
    return render(request, "products/product_detail.html", context)


@login_required
def product_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk, request=request)
    context = _reading(request, product)
    return rendering.pdf_response_for(request, product, context)


@login_required
@require_POST
def product_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    if step not in STEPS:
        raise Http404
    service, done = STEPS[step]
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        service(product, user=request.user, comment=form.cleaned_data.get("comment", ""),
                request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(product)


@login_required
@require_POST
def product_revise(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    try:
        services.new_revision(product, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(product)
    messages.success(request, _("A new revision was started as a draft."))
    return redirect("products:product_edit", pk=product.pk)


@login_required
def product_disseminate(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    if not selectors.is_owner_side(request.user, product):
        raise PermissionDenied
    revision = selectors.revision_for(request.user, product)
    form = DisseminateForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choice = dissemination.Choice(
            countries=tuple(data["countries"]),
            organisations=tuple(o.pk for o in data["organisations"]),
            communities=tuple(c.pk for c in data["communities"]))
        try:
            rows = dissemination.disseminate(product, user=request.user, choice=choice,
                                             deadline=data.get("deadline"),
                                             comment=data["comment"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Disseminated to %(n)d organisations.")
                             % {"n": len(rows)})
            return redirect(product)
    return render(request, "products/disseminate.html",
                  {"form": form, "product": product, "revision": revision})


@login_required
@require_POST
def product_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose “received” or “actioned”."))
        return redirect(product)
    try:
        dissemination.acknowledge(product, user=request.user, ack=form.cleaned_data["ack"],
                                  note=form.cleaned_data["note"], request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Acknowledged. The issuing unit sees it now."))
    return redirect(product)


@login_required
@require_POST
def product_retry_mail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    count = dissemination.retry_mail(product, user=request.user, request=request)
    messages.success(request, _("%(n)d e-mail notices will be sent again.") % {"n": count})
    return redirect(product)


@login_required
def translation_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    if not selectors.is_owner_side(request.user, product):
        raise PermissionDenied
    revision = services.current_revision(product)
    existing = Translation.objects.filter(revision=revision, language=language).first()
    form = TranslationForm(request.POST or None, kind=product.kind)
    if request.method != "POST" and existing is not None:
        form.initial.update({"title": existing.title, "summary": existing.summary,
                             "body": existing.body, **{f"s_{k}": v for k, v in
                                                       existing.sections.items()}})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_translation(product, user=request.user, language=language,
                                      title=form.cleaned_data["title"],
                                      summary=form.cleaned_data["summary"],
                                      body=form.cleaned_data["body"],
                                      sections=form.sections_data(), request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Translation saved as a draft."))
            return redirect(product)
    return render(request, "products/translation_form.html", {
        "form": form, "product": product, "revision": revision, "language": language,
        "language_name": dict(rendering.LANGUAGES).get(language, language),
        "translation": existing})


@login_required
@require_POST
def translation_review(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    try:
        services.review_translation(product, user=request.user, language=language,
                                    to=request.POST.get("to", ""), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Translation review status changed."))
    return redirect(product)


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
        return redirect(product)
    try:
        services.add_attachment(product, user=request.user, upload=form.cleaned_data["file"],
                                request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(product)


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    product = selectors.product_for(request.user, pk)
    try:
        services.remove_attachment(product, attachment, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(product)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    """Always a download, never shown in the browser, typed as sniffed when stored."""
    found = selectors.attachment_for(request.user, pk, attachment)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name,
                            content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
