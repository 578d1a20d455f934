"""The CapabilityStatement: made from the registry, so it states exactly what is served."""

from __future__ import annotations

from django.conf import settings

from kapcare.fhir import registry

FHIR_VERSION = "4.3.0"  # R4B: the version of the fhir.resources models every resource passes

# Server-level operations (e.g. Bulk Data $export), filled by the modules that serve them:
# each is a CapabilityStatement.rest.operation entry.
OPERATIONS: list[dict] = []


def capability_statement(base: str) -> dict:
    resources = []
    for rtype in registry.all_types():
        entry = {
            "type": rtype.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}]
            + [{"code": code} for code in rtype.writes],
            "searchParam": [
                {"name": p.name, "type": p.type, "documentation": p.documentation}
                for p in rtype.all_params().values()
            ],
        }
        if rtype.profile:
            entry["profile"] = rtype.profile
        sorts = ", ".join(["_id", *rtype.sorts])
        entry["documentation"] = " ".join(
            part for part in (rtype.documentation, f"_sort: {sorts}.") if part
        )
        if rtype.includes:
            entry["searchInclude"] = [f"{rtype.name}:{i.name}" for i in rtype.includes]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-02",
        "kind": "instance",
        "software": {"name": "kapcare"},
        "implementation": {"description": "kapcare FHIR server", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": (
                        "Bearer tokens issued by a clinic admin (Staff → API tokens, or manage.py "
                        "issue_api_token), with SMART v2 scopes such as user/Patient.rs or "
                        "system/*.rs. A token acts as its user: their clinic and care teams."
                    ),
                },
                "resource": resources,
                "operation": list(OPERATIONS),
            }
        ],
        "publisher": getattr(settings, "KAPCARE_SITE_NAME", "kapcare"),
    }
