"""TAXII 2.1 endpoints. Authentication: ``Authorization: Token <key>`` (or ``Bearer``), or
HTTP Basic with a user name and either an API token or, for accounts without a second
factor, the password. Every object served goes through the visibility policy."""

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any

import msgspec
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate as password_authenticate
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from vaka.directory.authentication import SECOND_FACTOR_USE_TOKEN, password_alone_allowed
from vaka.directory.models import User
from vaka.directory.services import authenticate_token
from vaka.exchange import taxii, taxii_reports
from vaka.exchange.models import Collection, TaxiiStatus
from vaka.exchange.taxii import TAXII_TYPE, TaxiiError
from vaka.intel import corrections, ingest
from vaka.intel.models import StixObjectVersion, Submission
from vaka.intel.originals import Original
from vaka.intel.parsing import jsonlimits
from vaka.intel.services import desk_contact
from vaka.policy import audit
from vaka.policy.markings import TLP
from vaka.policy.visibility import can_edit
from vaka.web import throttling

FILTERS = ("added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
           "match[spec_version]")
RESTRICTED = (TLP.AMBER_STRICT, TLP.RED)


def _response(body: bytes | dict | None, status: int = 200,
              headers: dict[str, str] | None = None) -> HttpResponse:
    if isinstance(body, dict):
        body = msgspec.json.encode(body)
    response = HttpResponse(body or b"", status=status,
                            content_type=TAXII_TYPE if body else None)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(error: TaxiiError) -> HttpResponse:
    response = _response(error.body(), error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="TAXII", charset="UTF-8"'
    return response


def authenticate(request: HttpRequest) -> User | None:
    """The user the request's credentials name, or None. A right password of an account
    with a second factor is refused with a TaxiiError saying to use an API token."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme in ("token", "bearer") and credentials:
        token = authenticate_token(credentials)
        return token.user if token is not None else None
    if scheme != "basic":
        return None
    try:
        username, _, secret = base64.b64decode(credentials).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    token = authenticate_token(secret) if secret.startswith("vaka_") else None
    if token is not None:
        return token.user if token.user.get_username() == username else None
    try:
        user = password_authenticate(request, username=username, password=secret)
    except AxesBackendPermissionDenied:
        return None
    if user is None or not user.is_active:
        return None
    if not password_alone_allowed(user):
        raise TaxiiError(401, str(SECOND_FACTOR_USE_TOKEN),
                         "Send Authorization: Token <key>, or the API token as the HTTP Basic "
                         "password.")
    return user


def _accepts_taxii(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accept:
        return True
    for media_range in accept.split(","):
        kind, *params = [part.strip().lower() for part in media_range.split(";")]
        version = next((p.split("=", 1)[1].strip() for p in params if p.startswith("version=")),
                       None)
        if kind in ("*/*", "application/*"):
            return True
        if kind == "application/taxii+json" and version in (None, "2.1"):
            return True
    return False


def endpoint(*methods: str) -> Callable:
    """Authentication, content negotiation and TAXII errors for a view taking the user."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise TaxiiError(405, f"{request.method} is not allowed here",
                                     f"Use {' or '.join(methods)}.")
                user = authenticate(request)
                if user is None:
                    raise TaxiiError(401, "Authentication required",
                                     "Send an API token (Authorization: Token …) or HTTP "
                                     "Basic credentials.")
                if limited := throttling.check("taxii", throttling.identity(
                        request, user, checked_header=True)):
                    return limited.apply(_error(TaxiiError(429, "Too many requests",
                                                           limited.message)))
                if not _accepts_taxii(request):
                    raise TaxiiError(406, "Not acceptable",
                                     f"This server answers {TAXII_TYPE}.")
                return view(request, user, *args, **kwargs)
            except TaxiiError as error:
                return _error(error)

        return wrapper

    return decorate


def _root_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("taxii:root"))


@endpoint("GET")
def discovery(request: HttpRequest, user: User) -> HttpResponse:
    contact = desk_contact()
    body = {"title": f"{settings.SITE_NAME} TAXII",
            "description": "Cyber-threat intelligence shared through Vaka; what you get is "
                           "what your organisation may see.",
            "default": _root_url(request), "api_roots": [_root_url(request)]}
    if contact["email"]:
        body["contact"] = f"{contact['organisation']} <{contact['email']}>"
    return _response(body)


@endpoint("GET")
def api_root(request: HttpRequest, user: User) -> HttpResponse:
    return _response({"title": settings.SITE_NAME,
                      "description": "Collections of the STIX store.",
                      "versions": [TAXII_TYPE],
                      "max_content_length": settings.MAX_UPLOAD_MB * 1024 * 1024})


@endpoint("GET")
def status(request: HttpRequest, user: User, status_id: str) -> HttpResponse:
    found = TaxiiStatus.objects.filter(pk=status_id, user=user).first()
    if found is None:
        raise TaxiiError(404, "No such status", f"{status_id} is not a status of yours.")
    return _response(status_resource(found))


def status_resource(found: TaxiiStatus) -> dict[str, Any]:
    return {"id": str(found.id), "status": found.status,
            "request_timestamp": taxii.timestamp(found.request_timestamp),
            "total_count": found.total_count,
            "success_count": len(found.successes), "successes": found.successes,
            "failure_count": len(found.failures), "failures": found.failures,
            "pending_count": len(found.pendings), "pendings": found.pendings}


@endpoint("GET")
def collections(request: HttpRequest, user: User) -> HttpResponse:
    found = [taxii.collection_resource(c, user) for c in taxii.collections_for(user)]
    return _response({"collections": found} if found else {})


@endpoint("GET")
def collection(request: HttpRequest, user: User, key: str) -> HttpResponse:
    return _response(taxii.collection_resource(taxii.collection_for(user, key), user))


def _audit_restricted(request: HttpRequest, user: User, found: Collection,
                      rows: list[taxii.Row]) -> None:
    """Reads of TLP:AMBER+STRICT and TLP:RED material are audited, one entry per page."""
    restricted = [row.stix_id for row in rows if row.tlp in RESTRICTED]
    if restricted:
        audit.record(audit.Action.VIEW, actor=user, target=found, request=request,
                     detail={"channel": "taxii", "restricted": len(restricted),
                             "objects": restricted[:100]})


@endpoint("GET", "POST")
def objects(request: HttpRequest, user: User, key: str) -> HttpResponse:
    found = taxii.collection_for(user, key)
    if request.method == "POST":
        return add_objects(request, user, found)
    query = taxii.read_query(request.GET, allow=FILTERS)
    rows, more = taxii.select(taxii.collection_objects(user, found), query, user)
    rows, more = taxii_reports.with_reports(rows, more, user, found, query)
    _audit_restricted(request, user, found, rows)
    return _response(taxii.envelope(rows, more, query), headers=taxii.added_headers(rows))


@endpoint("GET")
def manifest(request: HttpRequest, user: User, key: str) -> HttpResponse:
    found = taxii.collection_for(user, key)
    query = taxii.read_query(request.GET, allow=FILTERS)
    rows, more = taxii.select(taxii.collection_objects(user, found), query, user)
    rows, more = taxii_reports.with_reports(rows, more, user, found, query)
    return _response(taxii.manifest(rows, more), headers=taxii.added_headers(rows))


@endpoint("GET", "DELETE")
def object_detail(request: HttpRequest, user: User, key: str, object_id: str) -> HttpResponse:
    found = taxii.collection_for(user, key)
    held = taxii.collection_objects(user, found).filter(stix_id=object_id)
    if request.method == "DELETE":
        return delete_object(request, user, found, held, object_id)
    query = taxii.read_query(request.GET, allow=("added_after", "limit", "next",
                                                 "match[version]", "match[spec_version]"))
    query.ids = [object_id]
    rows, more = taxii.select(held, query, user)
    rows, more = taxii_reports.with_reports(rows, more, user, found, query)
    if not rows and query.after is None and not held.exists() \
            and not taxii_reports.held(user, found, object_id):
        raise TaxiiError(404, "No such object", f"{object_id} is not in this collection.")
    _audit_restricted(request, user, found, rows)
    return _response(taxii.envelope(rows, more, query), headers=taxii.added_headers(rows))


@endpoint("GET")
def versions(request: HttpRequest, user: User, key: str, object_id: str) -> HttpResponse:
    found = taxii.collection_for(user, key)
    held = taxii.collection_objects(user, found).filter(stix_id=object_id)
    if not held.exists() and not taxii_reports.held(user, found, object_id):
        raise TaxiiError(404, "No such object", f"{object_id} is not in this collection.")
    query = taxii.read_query(request.GET, allow=("added_after", "limit", "next",
                                                 "match[spec_version]"))
    query.ids, query.versions = [object_id], ["all"]
    rows, more = taxii.select(held, query, user)
    rows, more = taxii_reports.with_reports(rows, more, user, found, query)
    body: dict[str, Any] = {"more": more}
    if more and rows:
        body["next"] = taxii.make_next(rows[-1].added, rows[-1].key)
    if rows:
        body["versions"] = sorted({row.version_text for row in rows})
    return _response(body, headers=taxii.added_headers(rows))


def delete_object(request: HttpRequest, user: User, found: Collection, held: Any,
                  object_id: str) -> HttpResponse:
    """Delete an object (all versions), or some of its superseded versions, where the user
    may edit it. Deleting the current version alone would leave an older one current
    without anyone deciding so: that is refused."""
    records = list(held)
    if not records:
        raise TaxiiError(404, "No such object", f"{object_id} is not in this collection.")
    if not taxii.may_write(user, found):
        raise TaxiiError(403, "This collection does not accept changes from you")
    records = [record for record in records if can_edit(user, record)]
    if not records:
        raise TaxiiError(403, "Only its owner organisation may delete this object")
    query = taxii.read_query(request.GET, allow=("match[version]", "match[spec_version]"))
    wanted = query.versions or ["all"]
    with transaction.atomic():
        for record in records:
            rows = taxii.versions_wanted(StixObjectVersion.objects.filter(object=record),
                                          wanted)
            chosen = set(rows.values_list("pk", flat=True))
            every = set(record.versions.values_list("pk", flat=True))
            if "all" in wanted or chosen == every:
                corrections.delete(record, user=user, request=request,
                                   detail={"channel": "taxii"})
            elif record.versions.filter(pk__in=chosen, data=None).exists():
                raise TaxiiError(409, "The current version cannot be deleted alone",
                                 "Delete the whole object, or only superseded versions.")
            else:
                StixObjectVersion.objects.filter(pk__in=chosen).delete()
                audit.record(audit.Action.DELETE, actor=user, target=record, request=request,
                             detail={"versions": len(chosen), "channel": "taxii"})
    return _response(None)


def add_objects(request: HttpRequest, user: User, found: Collection) -> HttpResponse:
    """Objects POSTed become a submission like any other ingest; the status names each
    failed object with the reason."""
    if not taxii.may_write(user, found) or user.organisation_id is None:
        raise TaxiiError(403, "This collection does not accept objects from you")
    kind, *params = [p.strip().lower() for p in request.META.get("CONTENT_TYPE", "").split(";")]
    version = next((p.split("=", 1)[1] for p in params if p.startswith("version=")), None)
    if kind != "application/taxii+json" or version not in (None, "2.1"):
        raise TaxiiError(415, "Unsupported media type", f"Send {TAXII_TYPE}.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise TaxiiError(413, "Too large", "See the API root's max_content_length.") from None
    if len(body) > settings.MAX_UPLOAD_MB * 1024 * 1024:
        raise TaxiiError(413, "Too large", "See the API root's max_content_length.")
    try:
        envelope = jsonlimits.decode(body)
    except (msgspec.DecodeError, jsonlimits.TooDeep) as error:
        raise TaxiiError(400, "Not a JSON envelope", str(error)) from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise TaxiiError(400, "Not an envelope", 'Send {"objects": [STIX objects]}.')
    sent = envelope["objects"]
    markings = found.markings()  # checked for the adder's organisation by ingest
    try:
        submission = ingest.store(
            ingest.stix_items(enumerate(sent)), organisation=user.organisation, user=user,
            markings=markings, source=Submission.Source.TAXII, fmt="stix",
            name=found.title, partial=True, request=request, worker=True,
            original=Original(body))  # within VAKA_MAX_UPLOAD_MB, checked above
    except ValidationError as error:
        raise TaxiiError(422, "This collection's markings cannot be applied",
                         "; ".join(error.messages)) from None
    result = TaxiiStatus.objects.create(
        collection=found, user=user, submission=submission,
        status=TaxiiStatus.State.COMPLETE, total_count=len(sent),
        **_outcomes(sent, submission))
    return _response(status_resource(result), 202)


def _version(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("modified") or obj.get("created") or "")
    return ""


def _outcomes(sent: list[Any], submission: Submission) -> dict[str, list[dict[str, str]]]:
    failed: dict[int, list[str]] = {}
    general = []
    for error in submission.errors:
        where = f"{error['field']}: " if error.get("field") else ""
        if error.get("index") is None:
            general.append(where + error["message"])
        else:
            failed.setdefault(error["index"], []).append(where + error["message"])
    successes, failures = [], []
    for index, obj in enumerate(sent):
        entry = {"id": str(obj.get("id", f"(object {index})")) if isinstance(obj, dict)
                 else f"(object {index})", "version": _version(obj)}
        reasons = failed.get(index) or (general if submission.status == "rejected" else [])
        if reasons or submission.status == "rejected":
            failures.append({**entry, "message": "; ".join(reasons) or "rejected"})
        else:
            successes.append(entry)
    return {"successes": successes, "failures": failures}

