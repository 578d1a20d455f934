"""Questionnaire: one version of one instrument at the clinic (measures.InstrumentDefinition).

Canonical URL: `urn:kapcare:questionnaire:<instrument code>` (urn:kapcare:questionnaire:phq9),
with `version` the definition's version ("2001.1"); `<url>|<version>` names one exact version.
The URN is the same at every kapcare site and does not move with the server's address, so a
response made against it means the same wherever it goes; the definition's database id is
only the resource id.

Codes come from the definition files (FACTS.md §1), never made up: the PHQ-9 and GAD-7 carry
their LOINC panel, item and answer codes; every instrument also carries kapcare's own code
(urn:kapcare:instrument|phq9), and options without a LOINC answer code are coded in a system of
the instrument's answer set (urn:kapcare:answers:phq9:difficulty|2). Each scored item's options
carry their score in both the itemWeight extension (SDC 4.0) and its older name ordinalValue,
which earlier SDC clients read; unscored items (the PHQ-9 difficulty question) carry none, so
a client that adds up the weights gets the instrument's total. Item text appears only when the
definition has all of it (shipped, or loaded under the clinic's licence); otherwise the items
keep their linkId and codes.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import ResourceType, register
from kapcare.measures.models import InstrumentDefinition

LOINC = "http://loinc.org"
CANONICAL = "urn:kapcare:questionnaire:"
INSTRUMENT_SYSTEM = "urn:kapcare:instrument"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
WEIGHT_URLS = (ITEM_WEIGHT, ORDINAL_VALUE)
STATUSES = {"active": True, "retired": False}


def canonical(definition: InstrumentDefinition) -> str:
    return f"{CANONICAL}{definition.code}"


def parse_canonical(value: str) -> tuple[str, str | None] | None:
    """`urn:kapcare:questionnaire:phq9[|2001.1]` → ("phq9", "2001.1" or None); None when the
    value is not one of kapcare's canonical URLs."""
    url, _, version = value.partition("|")
    if not url.startswith(CANONICAL) or not url[len(CANONICAL) :]:
        return None
    return url[len(CANONICAL) :], version or None


def answer_system(definition: InstrumentDefinition, answer_set: str) -> str:
    return f"urn:kapcare:answers:{definition.code}:{answer_set}"


def weights(value: int) -> list[dict]:
    return [{"url": url, "valueDecimal": value} for url in WEIGHT_URLS]


def item_options(definition: InstrumentDefinition, item: dict) -> list[dict]:
    return definition.definition["answer_sets"][item["answers"]]


def is_scored(item: dict) -> bool:
    return item.get("scored", True)


def option_coding(definition: InstrumentDefinition, item: dict, option: dict) -> dict:
    """An answer option as a Coding (LOINC where the file gives an answer code), with its score
    when the item counts towards the instrument's scores."""
    if option.get("loinc"):
        coding = {"system": LOINC, "code": option["loinc"], "display": option["label"]}
    else:
        coding = {
            "system": answer_system(definition, item["answers"]),
            "code": str(option["value"]),
            "display": option["label"],
        }
    if is_scored(item):
        coding["extension"] = weights(option["value"])
    return coding


def item_codes(definition: InstrumentDefinition, item: dict) -> list[dict] | None:
    return [{"system": LOINC, "code": item["loinc"]}] if item.get("loinc") else None


def _enable_when(definition: InstrumentDefinition, condition: dict) -> tuple[list, str | None]:
    """The definition's skip logic (`ask_if`) as enableWhen: one condition, or one level of
    all/any of them (all the shipped files use)."""
    parts = condition.get("all") or condition.get("any") or [condition]
    behaviour = "all" if "all" in condition else "any" if "any" in condition else None
    items = {item["key"]: item for item in definition.definition["items"]}
    rules = []
    for part in parts:
        asked = items.get(part.get("item"))
        if asked is None:
            return [], None
        option = next(
            (o for o in item_options(definition, asked) if o["value"] == part["equals"]), None
        )
        if option is None:
            return [], None
        coding = option_coding(definition, asked, option)
        coding.pop("extension", None)
        rules.append({"question": asked["key"], "operator": "=", "answerCoding": coding})
    return rules, behaviour if len(rules) > 1 else None


def questionnaire_item(definition: InstrumentDefinition, item: dict, with_text: bool) -> dict:
    entry: dict = {"linkId": item["key"], "type": "choice"}
    if codes := item_codes(definition, item):
        entry["code"] = codes
    if with_text:
        entry["text"] = definition.text_for(item["key"])
    if item.get("required") is False:
        entry["required"] = False
    if "ask_if" in item:
        rules, behaviour = _enable_when(definition, item["ask_if"])
        if rules:
            entry["enableWhen"] = rules
        if behaviour:
            entry["enableBehavior"] = behaviour
    entry["answerOption"] = [
        _answer_option(definition, item, option) for option in item_options(definition, item)
    ]
    return entry


def _answer_option(definition: InstrumentDefinition, item: dict, option: dict) -> dict:
    answer: dict = {"valueCoding": option_coding(definition, item, option)}
    if is_scored(item):
        # SDC 4.0 puts the weight on the option; older clients read it from the Coding.
        answer["extension"] = weights(option["value"])
    return answer


def instrument_codes(definition: InstrumentDefinition) -> list[dict]:
    codes = []
    panel = definition.definition.get("loinc", {}).get("panel")
    if panel:
        codes.append({"system": LOINC, "code": panel, "display": definition.title})
    codes.append(
        {"system": INSTRUMENT_SYSTEM, "code": definition.code, "display": definition.short_title}
    )
    return codes


def _code(system: str | None, code: str) -> Q:
    match = Q(pk__in=[])
    if system in (None, LOINC):
        match |= Q(definition__loinc__panel=code)
    if system in (None, INSTRUMENT_SYSTEM):
        match |= Q(code=code)
    return match


def _status(system: str | None, code: str) -> Q:
    if code not in STATUSES:
        raise FhirError(400, f"status={code} is not one of: active, retired.", expression="status")
    return Q(is_active=STATUSES[code])


def _url(values: list[str]) -> Q:
    match = Q(pk__in=[])
    for value in values:
        parsed = parse_canonical(value)
        if parsed is not None:
            code, version = parsed
            match |= Q(code=code, version=version) if version else Q(code=code)
    return match


@register
class QuestionnaireType(ResourceType):
    name = "Questionnaire"
    documentation = (
        "An instrument (PHQ-9, GAD-7, PCL-5, OCI-R, C-SSRS screener, CADSS) as the clinic uses "
        f"it: canonical url {CANONICAL}<code> with the definition's version. Every version the "
        "clinic holds is served (active, or retired once replaced) so that older responses' "
        "questionnaire references resolve; responses are accepted against the active one."
    )
    params = (
        search.SearchParam("url", "uri", f"Canonical URL ({CANONICAL}phq9[|version]).", _url),
        search.token("code", f"The instrument: LOINC panel or {INSTRUMENT_SYSTEM} code.", _code),
        search.string("name", "Computable name (the instrument code, starts with).", ("code",)),
        search.string("title", "Title (starts with).", ("title",)),
        search.token("status", "active or retired.", _status),
        search.token("version", "The definition's version.", lambda system, code: Q(version=code)),
    )
    sorts = {"name": "code", "title": "title", "version": "version", "date": "created_at"}
    default_sort = ("-is_active", "code", "-created_at")

    def visible(self, access: ApiAccess) -> QuerySet[InstrumentDefinition]:
        """Instrument definitions are the clinic's, not a client's: any token of the clinic
        with the scope reads them, as every staff member sees the instrument list."""
        return InstrumentDefinition.objects.filter(clinic=access.actor.clinic).select_related(
            "clinic"
        )

    def to_fhir(self, row: InstrumentDefinition) -> dict:
        spec = row.definition
        licence = spec.get("licence", {})
        with_text = row.has_all_item_text
        resource = {
            "resourceType": "Questionnaire",
            "id": str(row.pk),
            "meta": {"lastUpdated": (row.item_text_loaded_at or row.created_at).isoformat()},
            "url": canonical(row),
            "version": row.version,
            "name": row.code.upper(),
            "title": row.title,
            "status": "active" if row.is_active else "retired",
            "subjectType": ["Patient"],
            "date": row.created_at.isoformat(),
            "publisher": row.clinic.name,
            "description": spec.get("recall") or None,
            "copyright": licence.get("copyright") or licence.get("note") or None,
            "code": instrument_codes(row),
            "item": [questionnaire_item(row, item, with_text) for item in spec["items"]],
        }
        return {k: v for k, v in resource.items() if v is not None}
