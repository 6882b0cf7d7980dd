"""The sync endpoint connected Vaka instances call: ``/sync/v1/objects/``.

Peers authenticate with ``Authorization: Peer <token>`` only: no session, no CSRF. A
missing or unknown token, or a disabled peer, is answered 401 and written to the audit log
with the caller's address. See ``vaka.exchange.sync`` for what crosses.
"""

import logging

import msgspec
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from vaka.exchange import sync
from vaka.exchange.models import Peer
from vaka.intel.parsing import jsonlimits
from vaka.policy import audit
from vaka.web import throttling

log = logging.getLogger(__name__)


def _json(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(msgspec.json.encode(body), status=status,
                        content_type="application/json")


def _error(status: int, message: str) -> HttpResponse:
    response = _json({"error": message}, status)
    if status == 401:
        response["WWW-Authenticate"] = "Peer"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def objects(request: HttpRequest) -> HttpResponse:
    """GET: the next page of what this instance sends the caller. POST: entries it sends."""
    peer, refused = sync.authenticate(request.headers.get("Authorization", ""))
    if peer is None or refused:
        audit.record("sync_refused", target=peer, request=request, actor_name="peer",
                     detail={"reason": refused, "method": request.method})
        log.warning("sync refused from %s: %s", audit.client_ip(request), refused)
        return _error(401, "A valid peer token is required: Authorization: Peer <token>.")
    if limited := throttling.check("sync", f"peer:{peer.pk}"):
        return limited.apply(_error(429, limited.message))
    if request.method == "GET":
        return _send(request, peer)
    return _accept(request, peer)


def _send(request: HttpRequest, peer: Peer) -> HttpResponse:
    if not peer.push:
        return _error(403, "This instance does not send records to you.")
    try:
        limit = int(request.GET.get("limit", sync.PULL_LIMIT))
    except ValueError:
        return _error(400, "limit: expected a number.")
    try:
        page = sync.page_for(peer, request.GET.get("after") or None, limit)
    except sync.CursorError as error:
        return _error(400, f"after: {error}")
    if page.entries:
        withdrawn = sum("withdrawn" in entry for entry in page.entries)
        audit.record("sync_send", target=peer, request=request, actor_name="peer",
                     detail={"objects": len(page.entries) - withdrawn,
                             "withdrawn": withdrawn})
    return _json({"objects": page.entries, "next": page.next, "resume": page.resume,
                  "more": page.more})


def _accept(request: HttpRequest, peer: Peer) -> HttpResponse:
    if not peer.pull:
        return _error(403, "This instance does not accept records from you.")
    try:
        body = jsonlimits.decode(request.body)
    except RequestDataTooBig:
        return _error(413, "Too large: send fewer objects at a time.")
    except (msgspec.DecodeError, jsonlimits.TooDeep) as error:
        return _error(400, f"Not JSON: {error}")
    entries = body.get("objects") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return _error(400, 'Expected {"objects": [entries]}.')
    if len(entries) > sync.MAX_PAGE:
        return _error(400, f"At most {sync.MAX_PAGE} objects at a time.")
    return _json(sync.receive(peer, entries, request=request).as_dict())
