"""Consent: a client's signature of the clinic's treatment consent (kapcare.consent).

The document signed is named by its title and version as text: the clinic's consent texts
have no public address, and a made-up URL would not resolve. A withdrawn signature is inactive;
its provision period ends when it was withdrawn.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.permissions import clients_visible_to
from kapcare.consent.models import ConsentSignature
from kapcare.fhir import search
from kapcare.fhir.registry import Include, ResourceType, register
from kapcare.fhir.resources.tokens import status_token

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"


@register
class ConsentType(ResourceType):
    name = "Consent"
    documentation = (
        "A client's signature of the clinic's KAP treatment consent; inactive once withdrawn. "
        "Visible as on the client's consent tab."
    )
    params = (
        search.reference("patient", "The client who signed.", "client_id", "Patient"),
        status_token(
            "active (standing) or inactive (withdrawn).",
            {"active": Q(withdrawn_at__isnull=True), "inactive": Q(withdrawn_at__isnull=False)},
            unused=("draft", "proposed", "rejected", "entered-in-error"),
        ),
        search.date("date", "When it was signed.", "signed_at"),
    )
    sorts = {"date": "signed_at"}
    default_sort = ("-signed_at",)
    includes = (Include("patient", "Patient", lambda rows: [row.client for row in rows]),)

    def visible(self, access: ApiAccess) -> QuerySet[ConsentSignature]:
        return ConsentSignature.objects.filter(
            clinic_id=access.actor.clinic_id, client__in=clients_visible_to(access.actor)
        ).select_related("document", "client")

    def to_fhir(self, row: ConsentSignature) -> dict:
        document = f"{row.document.title}, version {row.document.version}"
        provision_period = {"start": row.signed_at.isoformat()}
        if row.withdrawn_at:
            provision_period["end"] = row.withdrawn_at.isoformat()
        patient = {"reference": f"Patient/{row.client_id}"}
        return {
            "resourceType": "Consent",
            "id": str(row.pk),
            "status": "inactive" if row.withdrawn_at else "active",
            "scope": {
                "coding": [{"system": CONSENT_SCOPE, "code": "treatment", "display": "Treatment"}]
            },
            "category": [
                {"coding": [{"system": LOINC, "code": "59284-0", "display": "Consent Document"}]}
            ],
            "patient": patient,
            "dateTime": row.signed_at.isoformat(),
            "performer": [patient],
            "organization": [{"reference": f"Organization/{row.clinic_id}"}],
            "sourceAttachment": {
                "title": document,
                "creation": row.document.published_at.isoformat(),
            },
            "policyRule": {"text": document},
            "provision": {"type": "permit", "period": provision_period},
        }
