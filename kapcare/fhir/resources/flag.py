"""Flag: a suicide-risk alert (kapcare.measures.RiskAlert), active until a clinician
acknowledges it with the action taken. Clinical: visible for the clients whose clinical record
the token's user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.fhir import search
from kapcare.fhir.registry import Include, ResourceType, register
from kapcare.fhir.resources.tokens import status_token
from kapcare.measures.models import RiskAlert

FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
# The rule that raised the alert (e.g. phq9_item9, cssrs_positive), as kapcare names it.
RISK_RULE = "urn:kapcare:risk-rule"


@register
class FlagType(ResourceType):
    name = "Flag"
    documentation = (
        "A risk alert raised by a questionnaire answer: active while open, inactive once "
        "acknowledged. code.text says what was found."
    )
    params = (
        search.reference("patient", "The client.", "client_id", "Patient"),
        search.reference("subject", "The client.", "client_id", "Patient"),
        status_token(
            "active (open) or inactive (acknowledged).",
            {
                "active": Q(acknowledged_at__isnull=True),
                "inactive": Q(acknowledged_at__isnull=False),
            },
            unused=("entered-in-error",),
        ),
        search.date("date", "When the alert was raised (period start).", "raised_at"),
    )
    sorts = {"date": "raised_at"}
    default_sort = ("-raised_at",)
    includes = (Include("patient", "Patient", lambda rows: [row.client for row in rows]),)

    def visible(self, access: ApiAccess) -> QuerySet[RiskAlert]:
        clinical = clients_visible_to(access.actor, ClientAction.VIEW_CLINICAL)
        return RiskAlert.objects.filter(
            clinic_id=access.actor.clinic_id, client__in=clinical
        ).select_related("client")

    def to_fhir(self, row: RiskAlert) -> dict:
        period = {"start": row.raised_at.isoformat()}
        if row.acknowledged_at:
            period["end"] = row.acknowledged_at.isoformat()
        text = row.summary
        if row.level:
            text = f"{text} (triage: {row.get_level_display()})"
        return {
            "resourceType": "Flag",
            "id": str(row.pk),
            "status": "active" if row.is_open else "inactive",
            "category": [
                {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}
            ],
            "code": {"coding": [{"system": RISK_RULE, "code": row.rule}], "text": text},
            "subject": {"reference": f"Patient/{row.client_id}"},
            "period": period,
        }
