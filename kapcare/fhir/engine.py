"""Running a FHIR search or read over a registered resource type, audited like the UI.

Paging is by `_count` (default 20, at most 100) and `_offset`; the Bundle's `next` link carries
both, so a client follows links without knowing the scheme. Every page is a bounded number of
queries: the type's `visible` queryset renders its rows without one query per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.fhir import registry
from kapcare.fhir.auth import require
from kapcare.fhir.errors import FhirError, issue
from kapcare.fhir.registry import ResourceType

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Offsets past this are refused: a client walking that far should narrow its search or use
# Bulk Data ($export), which streams everything without deep OFFSET scans.
MAX_OFFSET = 10_000
# Result parameters the engine itself handles (FHIR R4 "Search" §3.1.1.5–6).
CONTROL = {"_count", "_offset", "_sort", "_include", "_format", "_total"}


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:base")).rstrip("/")


def full_url(request: HttpRequest, resource: dict) -> str:
    return f"{base_url(request)}/{resource['resourceType']}/{resource['id']}"


def _integer(params: QueryDict, name: str, default: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) > high:
        raise FhirError(400, f"{name} must be a whole number from 0 to {high}.", expression=name)
    return int(text)


def _ordering(rtype: ResourceType, params: QueryDict) -> list[str]:
    text = params.get("_sort")
    if not text:
        return [*rtype.default_sort, "pk"]
    order: list[str] = []
    for key in text.split(","):
        descending = key.startswith("-")
        name = key.lstrip("-")
        field = "pk" if name == "_id" else rtype.sorts.get(name)
        if field is None:
            known = ", ".join(sorted({"_id", *rtype.sorts}))
            raise FhirError(
                400,
                f"_sort={name} is not supported for {rtype.name} (use {known}).",
                expression="_sort",
            )
        order.append(f"-{field}" if descending else field)
    return [*order, "pk"]


def _lenient(request: HttpRequest) -> bool:
    return "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")


def filtered(request: HttpRequest, access: ApiAccess, rtype: ResourceType, params: QueryDict):
    """The type's visible rows with every search parameter applied; unknown parameters are a
    400 (the `handling=strict` behaviour) unless the client asked `Prefer: handling=lenient`,
    when they are reported as warnings instead."""
    known = rtype.all_params()
    rows = rtype.search_rows(access)
    warnings = []
    for key in params:
        if key in CONTROL:
            continue
        name, _, modifier = key.partition(":")
        param = known.get(name)
        if param is None or modifier:
            what = f"modifier :{modifier} of {name}" if param else f"search parameter {key}"
            text = f"{rtype.name} has no {what} (supported: {', '.join(sorted(known))})."
            if _lenient(request):
                warnings.append(issue("not-supported", text, severity="warning", expression=key))
                continue
            raise FhirError(400, text, code="not-supported", expression=key)
        rows = param.apply(rows, params.getlist(key))
    return rows, warnings


def search(request: HttpRequest, access: ApiAccess, rtype: ResourceType, params: QueryDict) -> dict:
    require(access, rtype.name, "s")
    rows, warnings = filtered(request, access, rtype, params)
    count = _integer(params, "_count", DEFAULT_COUNT, MAX_COUNT)
    offset = _integer(params, "_offset", 0, MAX_OFFSET)
    order = _ordering(rtype, params)
    includes = [_include(rtype, access, name) for name in params.getlist("_include")]
    total = rows.count() if rtype.counts_total else None
    # One row more than the page says whether there is a next page without counting them all.
    fetched = list(rows.order_by(*order)[offset : offset + count + 1]) if count else []
    page = fetched[:count]
    more = len(fetched) > count
    entries = [_entry(request, rtype.resource(row), "match") for row in page]
    for include in includes:
        target = registry.get(include.target)
        seen: set[str] = set()
        for row in include.rows(page):
            resource = target.resource(row)
            if resource["id"] not in seen:
                seen.add(resource["id"])
                entries.append(_entry(request, resource, "include"))
    if warnings:
        outcome = {"resourceType": "OperationOutcome", "id": "warnings", "issue": warnings}
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    _audit_page(request, access, rtype, page)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": _links(request, rtype, params, offset, count, more),
        "entry": entries,
    }
    return {k: v for k, v in bundle.items() if v is not None}


def _include(rtype: ResourceType, access: ApiAccess, name: str):
    parts = name.split(":")
    found = rtype.include(parts[1]) if len(parts) in (2, 3) and parts[0] == rtype.name else None
    if found is None or (len(parts) == 3 and parts[2] != found.target):
        names = ", ".join(f"{rtype.name}:{i.name}" for i in rtype.includes) or "none"
        raise FhirError(
            400, f"_include={name} is not supported (supported: {names}).", expression="_include"
        )
    require(access, found.target, "r")
    return found


def _entry(request: HttpRequest, resource: dict, mode: str) -> dict:
    return {"fullUrl": full_url(request, resource), "resource": resource, "search": {"mode": mode}}


def _links(request, rtype: ResourceType, params: QueryDict, offset: int, count: int, more: bool):
    here = f"{base_url(request)}/{rtype.name}"

    def at(start: int) -> str:
        query = [(k, v) for k in params for v in params.getlist(k) if k != "_offset"]
        query.append(("_offset", str(start)))
        return f"{here}?{urlencode(query)}"

    links = [{"relation": "self", "url": at(offset)}]
    if more and offset + count <= MAX_OFFSET:
        links.append({"relation": "next", "url": at(offset + count)})
    if count and offset > 0:
        links.append({"relation": "previous", "url": at(max(offset - count, 0))})
    return links


def read(request: HttpRequest, access: ApiAccess, rtype: ResourceType, ident: str) -> dict:
    require(access, rtype.name, "r")
    row = rtype.read(access, ident)
    resource = rtype.resource(row)
    audit_shown(
        request,
        actor=access.actor,
        action=AuditAction.VIEW,
        client_id=rtype.client_id(row),
        object_type=f"fhir.{rtype.name}",
        object_id=resource["id"],
        summary=f"FHIR read {rtype.name}/{resource['id']}",
    )
    return resource


def _audit_page(request: HttpRequest, access: ApiAccess, rtype: ResourceType, page: Iterable[Any]):
    client_ids = sorted({c for c in (rtype.client_id(row) for row in page) if c is not None})
    audit_shown(
        request,
        actor=access.actor,
        action=AuditAction.LIST,
        object_type=f"fhir.{rtype.name}",
        summary=f"FHIR search {rtype.name}",
        # The parameter names, not their values: a name search's text is itself identifying
        # (the UI's client list records only whether it searched).
        details={"client_ids": client_ids, "parameters": sorted(set(request.GET))[:30]},
    )
