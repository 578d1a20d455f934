"""The contraindication rules engine: pure functions over intake facts (no ORM, no request).

A rule's condition is a small JSON tree, so clinics can keep rules as data:
  {"condition_present": "aneurysm_avm"}
  {"field": "age", "op": "<", "value": 18}         ops: < <= > >= == in present
  {"medication_matches": ["lorazepam", "xanax"]}   case-insensitive, on whole words
  {"any": [...]}, {"all": [...]}
Evaluation returns whether it matched and the evidence: the facts that made it match.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "in": lambda a, b: a in b,
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


def validate_condition(condition: Any) -> None:
    if not isinstance(condition, dict) or len(condition) == 0:
        raise InvalidCondition("A condition is a non-empty object.")
    if "any" in condition or "all" in condition:
        parts = condition.get("any", condition.get("all"))
        if not isinstance(parts, list) or not parts:
            raise InvalidCondition("'any' and 'all' take a non-empty list of conditions.")
        for part in parts:
            validate_condition(part)
    elif "condition_present" in condition:
        if not isinstance(condition["condition_present"], str):
            raise InvalidCondition("'condition_present' names one history item.")
    elif "medication_matches" in condition:
        terms = condition["medication_matches"]
        if not isinstance(terms, list) or not all(isinstance(t, str) and t for t in terms):
            raise InvalidCondition("'medication_matches' takes a list of medication names.")
    elif "field" in condition:
        op = condition.get("op")
        if op != "present" and op not in _COMPARE:
            raise InvalidCondition(f"Unknown operator {op!r}.")
        if op != "present" and "value" not in condition:
            raise InvalidCondition("A comparison needs a 'value'.")
    else:
        raise InvalidCondition(f"Unknown condition {sorted(condition)}.")


def evaluate_condition(condition: dict, facts: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    if "any" in condition:
        evidence: dict[str, Any] = {}
        matched = False
        for part in condition["any"]:
            hit, part_evidence = evaluate_condition(part, facts)
            if hit:
                matched = True
                evidence.update(part_evidence)
        return matched, evidence
    if "all" in condition:
        evidence = {}
        for part in condition["all"]:
            hit, part_evidence = evaluate_condition(part, facts)
            if not hit:
                return False, {}
            evidence.update(part_evidence)
        return True, evidence
    if "condition_present" in condition:
        key = condition["condition_present"]
        present = key in facts.get("conditions", [])
        return present, ({"history": key} if present else {})
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
    hit = _COMPARE[op](value, condition["value"])
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


def outcome_of(findings: list[Finding]) -> str:
    """excluded if any absolute finding, review if any relative one, otherwise clear."""
    kinds = {f.kind for f in findings}
    if "absolute" in kinds:
        return "excluded"
    if "relative" in kinds:
        return "review"
    return "clear"


def age_on(born, day) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
