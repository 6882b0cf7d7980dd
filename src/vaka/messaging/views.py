"""The message pages: parse the request, call a service or a selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vaka.directory.roles import Capability
from vaka.messaging import downloads, selectors, services
from vaka.messaging.filtersets import MessageFilter
from vaka.messaging.forms import ForwardForm, MessageForm, ReplyForm
from vaka.uploads import INLINE_TYPES
from vaka.web.pagination import paginate, query_without_page


@login_required
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    """Received and sent messages, the unread ones marked; filtered by ``MessageFilter``."""
    filterset = MessageFilter(request.GET or None, request=request,
                              queryset=selectors.messages_for(request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    found = filterset.qs if valid else filterset.queryset.none()
    return render(request, "messaging/message_list.html", {
        "form": filterset.form, "page": paginate(request, found),
        "query": query_without_page(request), "valid": valid,
        "can_send": request.user.can(Capability.CONTRIBUTE)},
        status=200 if valid else 400)


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.CONTRIBUTE) or request.user.organisation_id is None:
        raise PermissionDenied
    form = MessageForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.send_message(
                user=request.user, recipients=list(form.cleaned_data["to"]),
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                priority=form.cleaned_data["priority"], markings=form.markings(),
                attachments=form.cleaned_data["attachments"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Message sent."))
            return redirect(message)
    return render(request, "messaging/message_form.html", {"form": form})


@login_required
@require_GET
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole thread the user may see; opening it marks the user's organisation's
    receipts read."""
    message = selectors.message_for(request.user, pk, request=request)
    thread = list(selectors.thread_for(request.user, message).prefetch_related("attachments"))
    for item in thread:
        if item.unread and services.mark_read(item, user=request.user, request=request):
            item.unread = False
    entries = [{"message": item,
                "receipts": list(selectors.receipts_for(request.user, item)),
                "recipients": list(selectors.recipients_of(item)),
                "forwards": list(selectors.forwards_for(request.user, item))}
               for item in thread]
    return render(request, "messaging/message_detail.html", {
        "message": message, "entries": entries,
        "can_reply": request.user.can(Capability.CONTRIBUTE),
        "can_forward": services.may_forward(request.user, message),
        "inline_types": INLINE_TYPES})


@login_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_for(request.user, pk, request=request)
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    form = ReplyForm(request.POST or None, request.FILES or None, user=request.user,
                     markings=services.reply_markings(message, request.user),
                     initial={"subject": services.reply_subject(message.subject),
                              "priority": message.priority})
    if request.method == "POST" and form.is_valid():
        try:
            answer = services.reply(
                message, user=request.user, subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"], priority=form.cleaned_data["priority"],
                markings=form.markings(), attachments=form.cleaned_data["attachments"],
                request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Reply sent."))
            return redirect(answer)
    return render(request, "messaging/reply_form.html", {
        "form": form, "message": message,
        "parties": [org for org in services.parties_of(message)
                    if org.pk != request.user.organisation_id]})


@login_required
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_for(request.user, pk, request=request)
    if not services.may_forward(request.user, message):
        raise PermissionDenied
    form = ForwardForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.forward(message, user=request.user,
                                    recipients=list(form.cleaned_data["to"]),
                                    note=form.cleaned_data["note"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Message forwarded."))
            return redirect(sent)
    return render(request, "messaging/forward_form.html", {"form": form, "message": message})


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    """A download (``Content-Disposition: attachment``), typed as sniffed when stored;
    an image or a PDF is shown in the browser when asked with ``?inline=1``. Sandboxed
    and never sniffed again by the browser, whatever it holds."""
    found = selectors.attachment_for(request.user, pk, attachment, request=request)
    return downloads.attachment_response(found, inline=request.GET.get("inline") == "1")
