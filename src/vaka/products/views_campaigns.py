"""Awareness campaigns for signed-in members: the list, a campaign with its materials and
reach, the campaign form and the reach form. Everything a page shows comes through the
selectors (the campaigns, materials and reach the reader may see); 404 otherwise."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.policy.visibility import can_edit
from vaka.products import campaigns as services
from vaka.products import selectors
from vaka.products.forms_campaigns import CampaignForm, ReachForm
from vaka.products.models import Campaign, Product
from vaka.web.pagination import paginate


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.campaigns_for(request.user))
    return render(request, "products/campaign_list.html", {"page": page})


def _link(product: Product, public: bool) -> str:
    """The public page of public material, else the product's own page."""
    return reverse("awareness:material", args=[product.pk]) if public \
        else product.get_absolute_url()


def _detail(request: HttpRequest, campaign: Campaign, reach_form: ReachForm,
            status: int = 200) -> HttpResponse:
    user = request.user
    materials = list(selectors.products_for(user).filter(campaign=campaign).order_by(
        "-released_at", "-pk"))
    public = set(selectors.public_materials().filter(
        pk__in=[m.pk for m in materials]).values_list("pk", flat=True))
    reach = list(selectors.reach_for(user, campaign))
    channels = dict(Campaign.Channel.choices)
    return render(request, "products/campaign_detail.html", {
        "campaign": campaign,
        "materials": [(m, _link(m, m.pk in public)) for m in materials],
        "can_edit": can_edit(user, campaign),
        "reach": [(row, channels.get(row["channel"], row["channel"])) for row in reach],
        "reach_total": sum(row["people"] for row in reach), "reach_form": reach_form,
        "can_record": user.can(Capability.CONTRIBUTE) and user.organisation_id is not None,
        "languages": [name for code, name in settings.LANGUAGES
                      if code in campaign.languages],
        "channel_names": [channels[code] for code in campaign.channels if code in channels],
    }, status=status)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    return _detail(request, campaign, ReachForm())


@login_required
@require_POST
def campaign_reach(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    form = ReachForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_reach(campaign, user=request.user, country=data["country"],
                                  channel=data["channel"], people=data["people"],
                                  on=data["on"], note=data["note"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Reach recorded."))
            return redirect("campaigns:campaign", pk=campaign.pk)
    return _detail(request, campaign, form, status=400)


def _save(request: HttpRequest, form: CampaignForm,
          campaign: Campaign | None = None) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        if campaign is None:
            campaign = services.create_campaign(user=request.user, details=form.details(),
                                                markings=form.markings(), request=request)
        else:
            services.update_campaign(campaign, user=request.user, details=form.details(),
                                     markings=form.markings(), request=request)
    except ValidationError as error:
        form.apply_errors(error)
        return None
    messages.success(request, _("Campaign saved."))
    return redirect("campaigns:campaign", pk=campaign.pk)


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and (response := _save(request, form)):
        return response
    return render(request, "products/campaign_form.html", {"form": form})


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    if not can_edit(request.user, campaign):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and (response := _save(request, form, campaign)):
        return response
    return render(request, "products/campaign_form.html", {"form": form,
                                                           "campaign": campaign})
