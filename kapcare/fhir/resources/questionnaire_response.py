"""QuestionnaireResponse: one answered questionnaire (measures.Response): read, search, create.

`questionnaire` is the exact definition version answered (`urn:kapcare:questionnaire:phq9|
2001.1`, see kapcare.fhir.resources.questionnaire). A complete response is `completed`; an
incomplete one (more items left blank than the instrument's missing-item rule allows, so it
has no total) is `stopped`: FHIR's word for answers that were given in part and will not
change, which a kapcare response never does (in-progress would promise more answers). The
author is the staff member who entered it, in the clinic or through the API (Practitioner),
or the client (Patient) for answers given through a link or the portal. Creating one goes
through the clinic's own service (kapcare.fhir.resources.answers).
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import Include, ResourceType, reference, register
from kapcare.fhir.resources import answers
from kapcare.fhir.resources.questionnaire import (
    canonical,
    item_options,
    option_coding,
    parse_canonical,
)
from kapcare.measures.models import STAFF_ENTERED_SOURCES, Response, ResponseStatus

STATUSES = {"completed": ResponseStatus.COMPLETE, "stopped": ResponseStatus.INCOMPLETE}
FHIR_STATUS = {stored: code for code, stored in STATUSES.items()}
QUESTIONNAIRE_ID = re.compile(r"(?:^|/)Questionnaire/(?P<id>\d{1,18})(?:/_history/[^/]+)?$")


def questionnaire_filter(value: str, parameter: str = "questionnaire") -> Q:
    """A canonical URL (with or without |version) or a literal Questionnaire/<id> reference."""
    parsed = parse_canonical(value)
    if parsed is not None:
        code, version = parsed
        return (
            Q(instrument_code=code, instrument__version=version)
            if version
            else Q(instrument_code=code)
        )
    match = QUESTIONNAIRE_ID.search(value)
    if match:
        return Q(instrument_id=int(match["id"]))
    pk = search.reference_id(value, "Questionnaire", parameter)
    return Q(instrument_id=pk) if pk is not None else Q(pk__in=[])


def _status(system: str | None, code: str) -> Q:
    if code not in STATUSES:
        raise FhirError(
            400, f"status={code} is not one of: {', '.join(STATUSES)}.", expression="status"
        )
    return Q(status=STATUSES[code])


def _questionnaire(values: list[str]) -> Q:
    match = Q(pk__in=[])
    for value in values:
        match |= questionnaire_filter(value)
    return match


def response_items(row: Response) -> list[dict]:
    definition = row.instrument
    with_text = definition.has_all_item_text
    items = []
    for item in definition.definition["items"]:
        value = row.answers.get(item["key"])
        if value is None:
            continue
        option = next((o for o in item_options(definition, item) if o["value"] == value), None)
        answer = (
            {"valueCoding": option_coding(definition, item, option)}
            if option is not None
            else {"valueInteger": value}
        )
        entry: dict = {"linkId": item["key"]}
        if with_text:
            entry["text"] = definition.text_for(item["key"])
        entry["answer"] = [answer]
        items.append(entry)
    return items


@register
class QuestionnaireResponseType(ResourceType):
    name = "QuestionnaireResponse"
    documentation = (
        "An answered questionnaire, visible to whoever may see the client's clinical record. "
        "Create one to submit answers from another system: it is scored, stored and raises "
        "risk alerts exactly as an entry in the clinic, and its total appears as an Observation."
    )
    params = (
        search.reference("patient", "The client (Patient/123).", "client_id", "Patient"),
        search.reference("subject", "The client (Patient/123).", "client_id", "Patient"),
        search.SearchParam(
            "questionnaire",
            "reference",
            "The questionnaire: canonical URL (urn:kapcare:questionnaire:phq9[|version]) or "
            "Questionnaire/<id>.",
            _questionnaire,
        ),
        search.date("authored", "When it was completed.", "completed_at"),
        search.token("status", "completed, or stopped (too many blanks to score).", _status),
    )
    sorts = {"authored": "completed_at", "date": "completed_at", "_lastUpdated": "created_at"}
    default_sort = ("-completed_at",)
    includes = (
        Include("questionnaire", "Questionnaire", lambda rows: [row.instrument for row in rows]),
    )
    writes = ("create",)

    def visible(self, access: ApiAccess) -> QuerySet[Response]:
        clinical = clients_visible_to(access.actor, ClientAction.VIEW_CLINICAL)
        return Response.objects.filter(
            clinic=access.actor.clinic, client__in=clinical
        ).select_related("instrument__clinic")

    def create(self, access: ApiAccess, body: dict) -> Response:
        return answers.create_response(access, body)

    def to_fhir(self, row: Response) -> dict:
        if row.source in STAFF_ENTERED_SOURCES and row.entered_by_id is not None:
            author = reference("Practitioner", row.entered_by_id)
        else:
            author = reference("Patient", row.client_id)
        resource = {
            "resourceType": "QuestionnaireResponse",
            "id": str(row.pk),
            "meta": {"lastUpdated": row.created_at.isoformat()},
            "questionnaire": f"{canonical(row.instrument)}|{row.instrument.version}",
            "status": FHIR_STATUS[row.status],
            "subject": reference("Patient", row.client_id),
            "authored": row.completed_at.isoformat(),
            "author": author,
            "source": reference("Patient", row.client_id)
            if row.source not in STAFF_ENTERED_SOURCES
            else None,
            "item": response_items(row) or None,
        }
        return {k: v for k, v in resource.items() if v is not None}
