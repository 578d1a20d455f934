"""The contraindication rules engine: pure functions over intake facts (no ORM, no request).

A rule's condition is a small JSON tree, so clinics can keep rules as data:
  {"condition_present": "aneurysm_avm"}
  {"field": "age", "op": "<", "value": 18}         ops: < <= > >= == in present
      (< <= > >= compare numbers; "in" takes a list and, on a list-valued fact, matches any item)
  {"medication_matches": ["lorazepam", "xanax"]}   case-insensitive, on whole words
  {"any": [...]}, {"all": [...]}
Evaluation returns whether it matched and the evidence: the facts that made it match. There is
no negation, so adding a fact (a history item, a medication) can only add findings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

_ORDERING = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
OPERATORS = frozenset({*_ORDERING, "==", "in", "present"})
_CONDITION_KEYS = {
    "any": {"any"},
    "all": {"all"},
    "condition_present": {"condition_present"},
    "medication_matches": {"medication_matches"},
    "field": {"field", "op", "value"},
}

SEVERITY = {"absolute": 0, "relative": 1, "informational": 2}


class InvalidCondition(ValueError):
    """A rule's condition is not in the language above (checked before a protocol is saved)."""


@dataclass(frozen=True)
class Finding:
    rule_key: str
    label: str
    kind: str
    evidence: dict[str, Any]
    rationale: str
    source: str
    override_allowed: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _as_number(value: Any, field: str) -> Decimal:
    """Facts are JSON, so a decimal (weight) arrives as a string; compare it as a number."""
    if _is_number(value):
        return Decimal(str(value))
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidCondition(f"{field!r} is compared as a number but is {value!r}.") from None


def _form_of(condition: dict) -> str:
    forms = [form for form in _CONDITION_KEYS if form in condition]
    if len(forms) != 1:
        raise InvalidCondition(f"Unknown condition {sorted(condition)}.")
    extra = set(condition) - _CONDITION_KEYS[forms[0]]
    if extra:
        raise InvalidCondition(f"Unexpected keys {sorted(extra)} in a {forms[0]!r} condition.")
    return forms[0]


def validate_condition(condition: Any) -> None:
    if not isinstance(condition, dict) or len(condition) == 0:
        raise InvalidCondition("A condition is a non-empty object.")
    form = _form_of(condition)
    if form in ("any", "all"):
        parts = condition[form]
        if not isinstance(parts, list) or not parts:
            raise InvalidCondition("'any' and 'all' take a non-empty list of conditions.")
        for part in parts:
            validate_condition(part)
    elif form == "condition_present":
        if (
            not isinstance(condition["condition_present"], str)
            or not condition["condition_present"]
        ):
            raise InvalidCondition("'condition_present' names one history item.")
    elif form == "medication_matches":
        terms = condition["medication_matches"]
        if (
            not isinstance(terms, list)
            or not terms
            or not all(isinstance(t, str) and t.strip() for t in terms)
        ):
            raise InvalidCondition("'medication_matches' takes a list of medication names.")
    else:
        field, op = condition["field"], condition.get("op")
        if not isinstance(field, str) or not field:
            raise InvalidCondition("'field' names one intake fact.")
        if op not in OPERATORS:
            raise InvalidCondition(f"Unknown operator {op!r}.")
        if op == "present":
            return
        if "value" not in condition:
            raise InvalidCondition("A comparison needs a 'value'.")
        value = condition["value"]
        if op in _ORDERING and not _is_number(value):
            raise InvalidCondition(f"{op!r} compares with a number, not {value!r}.")
        if op == "in" and (not isinstance(value, list) or not value):
            raise InvalidCondition("'in' takes a non-empty list of values.")


def _merge(evidence: dict[str, Any], more: dict[str, Any]) -> None:
    """Add `more` to `evidence`; list-valued evidence (history items, medications) accumulates,
    so two parts of an `any` that both match are both shown."""
    for key, value in more.items():
        if isinstance(value, list) and isinstance(evidence.get(key), list):
            evidence[key] = evidence[key] + [v for v in value if v not in evidence[key]]
        else:
            evidence[key] = value


def evaluate_condition(condition: dict, facts: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    if "any" in condition:
        evidence: dict[str, Any] = {}
        matched = False
        for part in condition["any"]:
            hit, part_evidence = evaluate_condition(part, facts)
            if hit:
                matched = True
                _merge(evidence, part_evidence)
        return matched, evidence
    if "all" in condition:
        evidence = {}
        for part in condition["all"]:
            hit, part_evidence = evaluate_condition(part, facts)
            if not hit:
                return False, {}
            _merge(evidence, part_evidence)
        return True, evidence
    if "condition_present" in condition:
        key = condition["condition_present"]
        present = key in facts.get("conditions", [])
        return present, ({"history": [key]} if present else {})
    if "medication_matches" in condition:
        terms = [t.lower() for t in condition["medication_matches"]]
        hits = [
            line
            for line in facts.get("medications", [])
            if any(re.search(rf"\b{re.escape(term)}\b", line.lower()) for term in terms)
        ]
        return bool(hits), ({"medications": hits} if hits else {})
    field, op = condition["field"], condition["op"]
    value = facts.get(field)
    if op == "present":
        present = value not in (None, "", [])
        return present, ({field: value} if present else {})
    if value is None:
        return False, {}
    expected = condition["value"]
    if op in _ORDERING:
        hit = _ORDERING[op](_as_number(value, field), _as_number(expected, field))
    elif op == "==":
        hit = (
            (_as_number(value, field) == _as_number(expected, field))
            if _is_number(expected)
            else value == expected
        )
    elif isinstance(value, list):  # "in" on a list-valued fact: any of its items
        hit = any(item in expected for item in value)
    else:
        hit = value in expected
    return hit, ({field: value} if hit else {})


def screen(rules: list[dict[str, Any]], facts: dict[str, Any]) -> list[Finding]:
    """Every rule that matches `facts`, most severe first. Rules are dicts with the fields of
    ContraindicationRule (key, label, kind, condition, rationale, source, override_allowed)."""
    findings = []
    for rule in rules:
        matched, evidence = evaluate_condition(rule["condition"], facts)
        if matched:
            findings.append(
                Finding(
                    rule_key=rule["key"],
                    label=rule["label"],
                    kind=rule["kind"],
                    evidence=evidence,
                    rationale=rule["rationale"],
                    source=rule["source"],
                    override_allowed=bool(rule.get("override_allowed")),
                )
            )
    return sorted(findings, key=lambda f: SEVERITY[f.kind])


# Facts that are measured (at home or, failing that, in the clinic) rather than answered: when
# one is missing, a rule comparing it can neither match nor be passed; it is "not measured yet".
MEASUREMENTS = frozenset(
    {"baseline_systolic", "baseline_diastolic", "baseline_heart_rate", "weight_kg"}
)


def _could_match(condition: dict, facts: dict[str, Any]) -> tuple[bool | None, set[str]]:
    """Three-valued evaluation: True/False as `evaluate_condition`, or None when the answer
    depends on a missing measurement, with the measurements it waits for."""
    for joiner in ("any", "all"):
        if joiner in condition:
            results = [_could_match(part, facts) for part in condition[joiner]]
            values = [value for value, _missing in results]
            missing = set().union(*(m for value, m in results if value is None))
            decisive = joiner == "any"  # the value that settles it: any → True, all → False
            if decisive in values:
                return decisive, set()
            return (None, missing) if None in values else (not decisive, set())
    field = condition.get("field")
    if field in MEASUREMENTS and condition.get("op") != "present" and facts.get(field) is None:
        return None, {field}
    return evaluate_condition(condition, facts)[0], set()


@dataclass(frozen=True)
class Unmeasured:
    """A rule that could not be judged because a measurement it compares is missing."""

    rule_key: str
    label: str
    kind: str
    missing: list[str]
    rationale: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def unmeasured(rules: list[dict[str, Any]], facts: dict[str, Any]) -> list[Unmeasured]:
    """Every rule whose result waits for a measurement not taken yet (blood pressure, heart
    rate or weight left empty by a client at home), most severe first. A rule that matches or
    cannot match whatever the measurement is not listed."""
    waiting = []
    for rule in rules:
        result, missing = _could_match(rule["condition"], facts)
        if result is None:
            waiting.append(
                Unmeasured(
                    rule_key=rule["key"],
                    label=rule["label"],
                    kind=rule["kind"],
                    missing=sorted(missing),
                    rationale=rule["rationale"],
                    source=rule["source"],
                )
            )
    return sorted(waiting, key=lambda u: SEVERITY[u.kind])


def outcome_of(findings: list[Finding], waiting: Sequence[Unmeasured] = ()) -> str:
    """excluded if any absolute finding; incomplete if an absolute or relative rule waits for a
    measurement (no decision until it is measured: a missing blood pressure neither passes nor
    fails); review if any relative finding; otherwise clear."""
    kinds = {f.kind for f in findings}
    if "absolute" in kinds:
        return "excluded"
    if any(w.kind in ("absolute", "relative") for w in waiting):
        return "incomplete"
    if "relative" in kinds:
        return "review"
    return "clear"


def age_on(born, day) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


_OP_WORDS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "="}


def describe_condition(condition: dict, *, max_terms: int = 6) -> str:
    """A condition tree in words, for people reviewing a protocol: "history: aneurysm_avm",
    "baseline_systolic ≥ 180", "medications mention lorazepam, xanax…", joined by "or"/"and"
    with brackets around nested groups."""
    for joiner, word in (("any", _("or")), ("all", _("and"))):
        if joiner in condition:
            parts = [_bracketed(part, max_terms) for part in condition[joiner]]
            return f" {word} ".join(parts)
    if "condition_present" in condition:
        return _("history: %(item)s") % {"item": condition["condition_present"]}
    if "medication_matches" in condition:
        terms = condition["medication_matches"]
        shown = ", ".join(terms[:max_terms])
        if len(terms) > max_terms:
            shown += _("… (%(n)s more)") % {"n": len(terms) - max_terms}
        return _("medications mention %(terms)s") % {"terms": shown}
    field, op = condition["field"], condition["op"]
    if op == "present":
        return _("%(field)s reported") % {"field": field}
    if op == "in":
        values = condition["value"]
        return _("%(field)s is %(values)s") % {
            "field": field,
            "values": f" {_('or')} ".join(str(v) for v in values),
        }
    return f"{field} {_OP_WORDS[op]} {condition['value']}"


def _bracketed(condition: dict, max_terms: int) -> str:
    text = describe_condition(condition, max_terms=max_terms)
    return f"({text})" if "any" in condition or "all" in condition else text


def describe_evidence(
    evidence: dict[str, Any], labels: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """What triggered a finding, as (fact, value) pairs for display. History items are shown by
    their `labels` (the intake wording) when given."""
    labels = labels or {}
    lines = []
    for fact, value in evidence.items():
        if fact == "history":
            items = [value] if isinstance(value, str) else value  # one item, in older screenings
            value = [str(labels.get(item, item)) for item in items]
        shown = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        lines.append((fact, shown))
    return lines
