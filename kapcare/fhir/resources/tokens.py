"""Token search parameters the resource modules share: statuses and booleans."""

from __future__ import annotations

from django.db.models import Q

from kapcare.fhir import search
from kapcare.fhir.errors import FhirError


def status_token(
    documentation: str, matches: dict[str, Q], unused: tuple[str, ...] = ()
) -> search.SearchParam:
    """`status` over FHIR codes: each code in `matches` filters by its Q; a code of the FHIR
    value set that kapcare never produces (`unused`) matches nothing; anything else is a 400."""

    def match(system: str | None, code: str) -> Q:
        if code in matches:
            return matches[code]
        if code in unused:
            return Q(pk__in=[])
        known = ", ".join([*matches, *unused])
        raise FhirError(400, f"status={code} is not one of: {known}.", expression="status")

    return search.token("status", documentation, match)


def boolean_token(name: str, documentation: str, field: str) -> search.SearchParam:
    def match(system: str | None, code: str) -> Q:
        if code not in ("true", "false"):
            raise FhirError(400, f"{name} is true or false, not {code}.", expression=name)
        return Q(**{field: code == "true"})

    return search.token(name, documentation, match)
