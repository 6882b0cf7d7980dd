"""Products over the REST API: ``/api/products/``.

Thin: each request is parsed, handed to a service (``products.services``,
``products.dissemination``) or a selector (``products.selectors``) and answered. What a
reader may not see is a 404 whatever the reason; what they may see but not do is a 403;
bad input is a 400 naming each field (the project's exception handler turns the services'
``ValidationError`` and ``PermissionDenied`` into those).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from vaka.policy import audit
from vaka.policy.services import Markings
from vaka.products import dissemination, selectors, services, stix
from vaka.products.api.serializers import (
    AcknowledgeSerializer,
    CommentSerializer,
    DisseminateSerializer,
    ProductInputSerializer,
    ProductSerializer,
    RecipientSerializer,
    RevisionSerializer,
)
from vaka.products.filtersets import ProductFilter
from vaka.products.models import Kind, Product, Revision
from vaka.products.services import Content
from vaka.web.api import ErrorSerializer
from vaka.web.throttling import ExportsThrottle, ProductsThrottle

# A product you may not see is a 404, as a made-up id is: left undocumented, like the
# other lists' (an id that is not a number never reaches the API, and Django answers it).
ERRORS = {400: OpenApiResponse(ErrorSerializer, description="What was wrong, by field."),
          403: OpenApiResponse(ErrorSerializer, description="You may see the product but "
                                                            "not do this.")}


def _comment(request: Request) -> str:
    form = CommentSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    return form.validated_data["comment"]


@extend_schema_view(
    list=extend_schema(responses=ProductSerializer(many=True)),
    retrieve=extend_schema(responses=RevisionSerializer),
    create=extend_schema(request=ProductInputSerializer,
                         responses={201: RevisionSerializer, **ERRORS}),
    update=extend_schema(request=ProductInputSerializer,
                         responses={200: RevisionSerializer, **ERRORS}),
    partial_update=extend_schema(request=ProductInputSerializer,
                                 responses={200: RevisionSerializer, **ERRORS}),
)
class ProductViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Threat alerts, threat assessments, activity reports and awareness material.

    A product reaches other organisations only once disseminated, and each reader gets the
    newest revision whose own markings let them in (the owner organisation: its drafts
    too). Writers create and change drafts; a publisher who did not write a revision
    approves it; an approved revision is disseminated to countries, organisations and
    communities inside its audience; recipients of an alert acknowledge it. Records you
    may not see answer 404."""

    serializer_class = ProductSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = ProductFilter
    search_fields = ["reference", "title", "summary"]
    ordering_fields = ["modified", "released_at", "reference", "title"]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_for(self.request.user).prefetch_related(
            "audience__communities", "audience__organisations", "audience__people")

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "stix":
            return [ExportsThrottle()]
        return [ProductsThrottle()]

    # --- reading -----------------------------------------------------------------------

    def _product(self, request: Request, pk: Any) -> Product:
        return selectors.product_for(request.user, int(pk), request=request)

    def _answer(self, product: Product, code: int = status.HTTP_200_OK) -> Response:
        revision = selectors.revision_for(self.request.user, product)
        return Response(RevisionSerializer(revision, context=self.get_serializer_context())
                        .data, status=code)

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """The revision you get: content, sections, crime types, its own markings, the
        linked objects you may see and the indicators annex as you may read it."""
        return self._answer(self._product(request, pk))

    # --- writing a draft ---------------------------------------------------------------

    def _input(self, request: Request, *, partial: bool = False) -> ProductInputSerializer:
        form = ProductInputSerializer(data=request.data, partial=partial,
                                      context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form

    def create(self, request: Request, **kwargs: Any) -> Response:
        """A new product, as a draft revision 1 owned by your organisation."""
        form = self._input(request)
        kind = form.validated_data.get("kind")
        if not kind:
            raise exceptions.ValidationError({"kind": [_("Say which kind of product: %s.")
                                                       % ", ".join(Kind.values)]})
        product = services.create_product(user=request.user, kind=kind,
                                          content=form.content(), markings=form.markings(),
                                          request=request)
        return self._answer(product, status.HTTP_201_CREATED)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        product = self._product(request, pk)
        form = self._input(request, partial=partial)
        if "kind" in form.validated_data and form.validated_data["kind"] != product.kind:
            raise exceptions.ValidationError({"kind": [_("A product keeps its kind.")]})
        revision = selectors.revision_for(request.user, product)
        if revision.number != product.revision:
            # The draft is outside the writer's audience: nothing to base a change on.
            raise PermissionDenied(_("You may not change this product."))
        services.update_draft(product, user=request.user, request=request,
                              content=form.content(self._content_of(request, product,
                                                                    revision)),
                              markings=form.markings(Markings.of(revision)))
        return self._answer(product)

    def _content_of(self, request: Request, product: Product, revision: Revision) -> Content:
        # What the draft holds, as a base for PATCH; linked objects the writer may not
        # see are not named (they could not be linked again by this writer).
        return Content(
            title=revision.title, summary=revision.summary, body=revision.body,
            sections=dict(revision.sections or {}), crime_types=list(revision.crime_types),
            language=revision.language,
            linked=list(selectors.linked_for(request.user, revision)
                        .values_list("pk", flat=True)),
            ack_deadline=product.ack_deadline, period_start=product.period_start,
            period_end=product.period_end, campaign=product.campaign_id)

    def update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change the draft revision (content and markings)."""
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change some fields of the draft revision; the rest keep their values."""
        return self._update(request, pk, partial=True)

    # --- the workflow ------------------------------------------------------------------

    @extend_schema(request=CommentSerializer, responses={200: RevisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Send the draft for review; your organisation's publishers are told."""
        product = self._product(request, pk)
        services.submit_for_review(product, user=request.user, comment=_comment(request),
                                   request=request)
        return self._answer(product)

    @extend_schema(request=CommentSerializer, responses={200: RevisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_draft(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Send the revision in review back to its writers, saying why (`comment`)."""
        product = self._product(request, pk)
        services.return_to_draft(product, user=request.user, comment=_comment(request),
                                 request=request)
        return self._answer(product)

    @extend_schema(request=CommentSerializer, responses={200: RevisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Approve the revision in review (a publisher who did not write it)."""
        product = self._product(request, pk)
        services.approve(product, user=request.user, comment=_comment(request),
                         request=request)
        return self._answer(product)

    @extend_schema(request=None, responses={201: RevisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="new-revision")
    def new_revision(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Start the next revision as a draft copy of the approved or released one."""
        product = self._product(request, pk)
        services.new_revision(product, user=request.user, request=request)
        return self._answer(product, status.HTTP_201_CREATED)

    @extend_schema(request=DisseminateSerializer,
                   responses={200: RecipientSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def disseminate(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Send the approved revision to countries (their organisations), organisations
        and communities. Refused as a whole, naming each organisation outside the
        revision's audience. Alerts need a `deadline` (or the product's) for the
        acknowledgements. Answers the recipients reached."""
        product = self._product(request, pk)
        form = DisseminateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        rows = dissemination.disseminate(
            product, user=request.user, request=request, deadline=data["deadline"],
            comment=data["comment"], choice=dissemination.Choice(
                countries=tuple(data["countries"]), organisations=tuple(data["organisations"]),
                communities=tuple(data["communities"])))
        return Response(RecipientSerializer(rows, many=True).data)

    @extend_schema(request=AcknowledgeSerializer,
                   responses={200: RecipientSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Your organisation acknowledges an alert: `received`, or `actioned` with a
        `note` of what was done."""
        product = self._product(request, pk)
        form = AcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = dissemination.acknowledge(product, user=request.user, request=request,
                                        ack=form.validated_data["ack"],
                                        note=form.validated_data["note"])
        return Response(RecipientSerializer(row).data)

    @extend_schema(request=CommentSerializer, responses={200: RevisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Close a disseminated alert: acknowledgements are no longer chased."""
        product = self._product(request, pk)
        dissemination.close(product, user=request.user, comment=_comment(request),
                            request=request)
        return self._answer(product)

    @extend_schema(responses=RecipientSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def recipients(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """The recipients and their acknowledgements: every one for the owner
        organisation, your own organisation's row for a recipient."""
        product = self._product(request, pk)
        return Response(RecipientSerializer(selectors.recipients_for(request.user, product),
                                            many=True).data)

    @extend_schema(responses={(200, "application/stix+json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def stix(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """A disseminated threat alert or assessment as a STIX 2.1 bundle: a `report` of
        the newest released revision you may read, under its TLP marking, whose
        `object_refs` name the linked objects you may see (or, when you may see none,
        the author's identity), with the author's identity and the marking-definition."""
        product = self._product(request, pk)
        revision = stix.released_for(request.user, product)
        if revision is None:
            raise exceptions.NotFound(_("Only a disseminated threat alert or threat "
                                        "assessment is exported as STIX."))
        refs = stix.refs_for(request.user, revision)
        body = stix.bundle(product, revision, refs)
        audit.record("export", actor=request.user, target=product, request=request,
                     detail={"format": "stix", "revision": revision.number,
                             "count": len(refs)})
        response = Response(body, content_type="application/stix+json;version=2.1")
        response["Content-Disposition"] = f'attachment; filename="{product.reference}.json"'
        response["Cache-Control"] = "private, no-store"
        return response
