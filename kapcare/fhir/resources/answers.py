"""A posted QuestionnaireResponse, turned into answers and recorded as in the clinic.

The answers go to kapcare.measures.services.record_response with the source "api": the same
permission (the token's user must be allowed to enter measures for the client), the same
scoring, the same assignment completion and the same risk alerts as staff entry, in one
transaction. Each answer is matched to one of the item's options by its code, by its score
(the itemWeight or ordinalValue extension, on the Coding or on the answer), or as a
valueInteger equal to an option's score. Every problem is named where it is in the posted
resource (QuestionnaireResponse.item[3].answer[0]); nothing is saved unless all is well.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError as ModelError

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.models import Client
from kapcare.clients.permissions import clients_visible_to
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.resources.questionnaire import (
    CANONICAL,
    WEIGHT_URLS,
    item_options,
    option_coding,
    parse_canonical,
)
from kapcare.measures.models import InstrumentDefinition, Response, ResponseSource
from kapcare.measures.permissions import can_enter_measures
from kapcare.measures.services import item_field, record_response

HERE = "QuestionnaireResponse"
MAX_PROBLEMS = 20


def create_response(access: ApiAccess, body: dict) -> Response:
    _check_structure(body)
    if body.get("status") != "completed":
        raise FhirError(
            422,
            f"status must be completed (got {body.get('status')!r}): kapcare records finished "
            "questionnaires only.",
            expression=f"{HERE}.status",
        )
    definition = _definition(access, body.get("questionnaire"))
    client = _subject(access, body.get("subject"))
    answers, positions = _answers(definition, body.get("item") or [])
    authored = _authored(body.get("authored"))
    try:
        return record_response(
            actor=access.actor,
            client=client,
            definition=definition,
            answers=answers,
            source=ResponseSource.API,
            completed_at=authored,
        )
    except ValidationError as error:
        problems = _located(error, positions)
        raise FhirError(422, problems[0][0], problems=problems) from None


def _check_structure(body: dict) -> None:
    """The FHIR R4B model's own checks (types, required elements, unknown elements)."""
    try:
        QuestionnaireResponse.model_validate(body)
    except ModelError as error:
        problems = []
        for found in error.errors()[:MAX_PROBLEMS]:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in found["loc"])
            problems.append((f"{where.lstrip('.') or HERE}: {found['msg']}", f"{HERE}{where}"))
        raise FhirError(400, problems[0][0], problems=problems) from None


def _definition(access: ApiAccess, questionnaire: str | None) -> InstrumentDefinition:
    where = f"{HERE}.questionnaire"
    if not questionnaire:
        raise FhirError(
            422,
            f"questionnaire is required: the canonical URL of a Questionnaire ({CANONICAL}phq9).",
            code="required",
            expression=where,
        )
    held = InstrumentDefinition.objects.filter(clinic=access.actor.clinic)
    parsed = parse_canonical(questionnaire)
    if parsed is not None:
        code, version = parsed
        rows = held.filter(code=code, **({"version": version} if version else {"is_active": True}))
    else:
        try:
            rows = held.filter(
                pk=search.reference_id(questionnaire, "Questionnaire", "questionnaire")
            )
        except FhirError:
            rows = held.none()
    definition = rows.first()
    if definition is None:
        raise FhirError(
            422,
            f"Questionnaire {questionnaire} is not known at this clinic (GET /fhir/Questionnaire "
            f"lists them; their url is {CANONICAL}<code>).",
            code="not-found",
            expression=where,
        )
    if not definition.is_active:
        raise FhirError(
            422,
            f"Questionnaire {questionnaire} is retired at this clinic: answer its active version.",
            code="business-rule",
            expression=where,
        )
    return definition


def _subject(access: ApiAccess, subject: dict | None) -> Client:
    """The client, if this token's user may enter measures for them. An unknown client and
    one the user may not see get the same answer, so the reply says nothing of who exists."""
    where = f"{HERE}.subject"
    text = (subject or {}).get("reference")
    if not text:
        raise FhirError(
            422,
            "subject is required: a reference to the Patient.",
            code="required",
            expression=where,
        )
    try:
        pk = search.reference_id(text, "Patient", "subject")
    except FhirError as error:
        raise FhirError(422, str(error), expression=where) from None
    client = (
        clients_visible_to(access.actor).select_related("clinic").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if client is None or not can_enter_measures(access.actor, client):
        raise FhirError(
            403,
            f"{text} is not known to this server, or this token's user may not enter measures "
            "for them.",
            expression=where,
        )
    return client


def _flatten(items: list, where: str) -> list[tuple[dict, str]]:
    """Answer items with where they are; groups (items holding items) are opened."""
    found = []
    for index, entry in enumerate(items):
        here = f"{where}.item[{index}]"
        if entry.get("item") and not entry.get("answer"):
            found += _flatten(entry["item"], here)
        else:
            found.append((entry, here))
    return found


def _answers(
    definition: InstrumentDefinition, items: list
) -> tuple[dict[str, int | None], dict[str, str]]:
    spec = definition.definition
    by_key = {item["key"]: item for item in spec["items"]}
    by_loinc = {item["loinc"]: item["key"] for item in spec["items"] if item.get("loinc")}
    answers: dict[str, int | None] = {}
    positions: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for entry, where in _flatten(items, HERE):
        link = entry.get("linkId", "")
        # Forms built from the LOINC panel (LHC-Forms) name items by their code ("/44250-9").
        key = link if link in by_key else by_loinc.get(link.lstrip("/"))
        if key is None:
            problems.append(
                (f"linkId {link!r}: {definition.short_title} has no such item.", f"{where}.linkId")
            )
            continue
        if key in positions:
            problems.append((f"linkId {link!r} is answered twice.", f"{where}.linkId"))
            continue
        positions[key] = where
        given = entry.get("answer") or []
        if len(given) > 1:
            problems.append((f"linkId {link!r}: give one answer.", f"{where}.answer"))
            continue
        answers[key] = None
        if given:
            value, problem = _option_value(definition, by_key[key], given[0])
            if problem:
                problems.append((f"linkId {link!r}: {problem}", f"{where}.answer[0]"))
            answers[key] = value
    if problems:
        raise FhirError(422, problems[0][0], problems=problems[:MAX_PROBLEMS])
    return answers, positions


def _weight(extensions: list | None) -> Decimal | None:
    for extension in extensions or []:
        if extension.get("url") in WEIGHT_URLS:
            for name in ("valueDecimal", "valueInteger"):
                if extension.get(name) is not None:
                    return Decimal(str(extension[name]))
    return None


def _option_value(definition: InstrumentDefinition, item: dict, answer: dict):
    """(the option's score, None) or (None, what is wrong with the answer)."""
    options = item_options(definition, item)
    offered = ", ".join(f"{o['value']} ({o['label']})" for o in options)
    outside = f"is not one of the answers offered: {offered}."
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        by_code = None
        if coding.get("code") is not None:
            for option in options:
                known = option_coding(definition, item, option)
                if coding["code"] == known["code"] and coding.get("system") in (
                    None,
                    known["system"],
                ):
                    by_code = option
        weight = _weight(coding.get("extension"))
        if weight is None:
            weight = _weight(answer.get("extension"))
        by_weight = next((o for o in options if weight is not None and o["value"] == weight), None)
        if by_code is not None and weight is not None and by_weight is not by_code:
            return None, (
                f"the code {coding['code']} is the answer scored {by_code['value']}, but its "
                f"score says {weight}."
            )
        option = by_code or by_weight
        if option is None:
            shown = coding.get("code") if coding.get("code") is not None else f"score {weight}"
            return None, f"{coding.get('system') or ''}|{shown} {outside}"
        return option["value"], None
    for name in ("valueInteger", "valueDecimal"):
        if name in answer:
            value = answer[name]
            match = next((o for o in options if Decimal(str(value)) == o["value"]), None)
            if match is None:
                return None, f"{value} {outside}"
            return match["value"], None
    return None, f"answer with a valueCoding or a valueInteger ({offered})."


def _authored(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        problem = "needs a time of day" if day is not None else "is not a date and time"
        raise FhirError(
            422, f"authored {text!r} {problem}.", code="value", expression=f"{HERE}.authored"
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _located(error: ValidationError, positions: dict[str, str]) -> list[tuple[str, str]]:
    """The service's errors (keyed by item field, as the clinic's form shows them) named at
    the posted item they concern."""
    places = {item_field(key): where for key, where in positions.items()}
    places["completed_at"] = f"{HERE}.authored"
    if not hasattr(error, "error_dict"):
        return [(message, HERE) for message in error.messages]
    problems = []
    for field, messages in error.error_dict.items():
        text = " ".join(ValidationError(messages).messages)
        key = field.removeprefix("item_")
        label = f"linkId {key!r}: " if field.startswith("item_") else ""
        problems.append((f"{label}{text}", places.get(field, HERE)))
    return problems
