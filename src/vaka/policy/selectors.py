from datetime import date

from django.db.models import QuerySet

from vaka.policy.models import AuditEntry


def audit_entries(*, user: str = "", organisation: str = "", action: str = "",
                  since: date | None = None, until: date | None = None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor", "organisation")
    if user:
        qs = qs.filter(actor_name__iexact=user)
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs
