"""Scoring questionnaires exactly as their manuals say, from the definition data alone.

Pure functions: no ORM, no request. A definition is the dict held in an instrument's JSON file
(kapcare/measures/instruments/*.json, checked by kapcare.measures.definitions); answers are
{item key: int value or None}. Every clinical number lives in the definition with its source in
../shared/clinical/FACTS.md §1; the rules here only say how to apply them:

- totals sum the scored items; a blank item makes the response incomplete (no total, no band)
  unless the definition's missing rule allows proration (PHQ-9, FACTS.md §1.1), in which case the
  total is the mean of the answered items times the item count, rounded half up;
- bands are looked up only where the manual defines them (PCL-5 has none, FACTS.md §1.3);
- subscales are sums of their items, and None if any of their items is blank;
- thresholds and DSM-5-style cluster rules (PCL-5 provisional diagnosis) set flags;
- triage (C-SSRS screener) is the first level whose condition holds, with skip logic
  ("ask_if") deciding which items are asked at all (FACTS.md §1.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Answers = Mapping[str, int | None]

# Triage levels from least to most severe (FACTS.md §1.5).
RISK_ORDER = ["none", "low", "moderate", "high"]


class AnswerError(ValueError):
    """Answers that cannot be scored at all; `errors` maps item key → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Score:
    status: str  # "complete" | "incomplete"
    total: int | None
    prorated: bool
    band: str
    band_label: str
    subscales: dict[str, int | None]
    flags: dict[str, bool]
    risk_level: str  # "" when the instrument has no triage
    missing: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    def response_fields(self) -> dict[str, Any]:
        """What a Response row stores of this score (its columns, by name)."""
        return {
            "status": self.status,
            "total": self.total,
            "prorated": self.prorated,
            "band": self.band,
            "band_label": self.band_label,
            "subscales": self.subscales,
            "flags": self.flags,
            "risk_level": self.risk_level,
            "scoring_params": self.params,
        }


@dataclass(frozen=True)
class AlertHit:
    key: str
    label: str
    level: str
    summary: str


def resolve_params(definition: Mapping, overrides: Mapping | None = None) -> dict[str, Any]:
    """The definition's declared parameters at their defaults, with a clinic's overrides."""
    params = {name: spec["default"] for name, spec in definition.get("parameters", {}).items()}
    for name, value in (overrides or {}).items():
        if name in params:
            params[name] = value
    return params


def _value(ref: Any, params: Mapping[str, Any]) -> Any:
    """A literal, or {"param": name} looked up in the resolved parameters."""
    if isinstance(ref, Mapping) and "param" in ref:
        return params[ref["param"]]
    return ref


def condition_holds(condition: Mapping, answers: Answers) -> bool:
    """{"item": k, "equals": v} | {"all": [...]} | {"any": [...]} over the given answers."""
    if "all" in condition:
        return all(condition_holds(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, answers) for c in condition["any"])
    return answers.get(condition["item"]) == condition["equals"]


def asked_items(definition: Mapping, answers: Answers) -> list[Mapping]:
    """The items the respondent is asked, given their other answers (skip logic)."""
    return [
        item
        for item in definition["items"]
        if "ask_if" not in item or condition_holds(item["ask_if"], answers)
    ]


def allowed_values(definition: Mapping, item: Mapping) -> list[int]:
    return [option["value"] for option in definition["answer_sets"][item["answers"]]]


def answer_errors(definition: Mapping, answers: Answers) -> dict[str, str]:
    """Answers that are impossible, by item: unknown items, values outside the item's options,
    and answers to questions the skip logic says were not asked. Blank answers are not errors
    here (the missing-item rule decides what they mean)."""
    errors: dict[str, str] = {}
    items = {item["key"]: item for item in definition["items"]}
    for key, value in answers.items():
        if key not in items:
            errors[key] = "This questionnaire has no such item."
        elif value is not None and (
            isinstance(value, bool) or value not in allowed_values(definition, items[key])
        ):
            errors[key] = "Choose one of the answers offered."
    asked = {item["key"] for item in asked_items(definition, answers)}
    for key, value in answers.items():
        if key in items and key not in asked and value is not None and key not in errors:
            errors[key] = "This question is asked only after a Yes to the question it follows."
    return errors


def _scored_items(definition: Mapping, answers: Answers) -> list[Mapping]:
    return [item for item in asked_items(definition, answers) if item.get("scored", True)]


def _prorate_allowance(definition: Mapping, params: Mapping) -> int:
    rule = definition["scoring"]["missing"]
    if rule["rule"] != "prorate":
        return 0
    return int(_value(rule["max_missing"], params))


def _band(definition: Mapping, total: int) -> tuple[str, str]:
    for band in definition["scoring"].get("bands", []):
        if band["min"] <= total <= band["max"]:
            return band["key"], band["label"]
    return "", ""


def _subscales(definition: Mapping, answers: Answers) -> dict[str, int | None]:
    result: dict[str, int | None] = {}
    for sub in definition["scoring"].get("subscales", []):
        values = [answers.get(key) for key in sub["items"]]
        result[sub["key"]] = None if None in values else sum(values)  # type: ignore[arg-type]
    return result


def _cluster_rule_met(rule: Mapping, definition: Mapping, answers: Answers) -> bool | None:
    """DSM-5 rule (FACTS.md §1.3): enough endorsed items in every required cluster; None when a
    blank item could change the outcome."""
    groups = {sub["key"]: sub["items"] for sub in definition["scoring"]["subscales"]}
    undecided = False
    for cluster, needed in rule["require"].items():
        values = [answers.get(key) for key in groups[cluster]]
        endorsed = sum(1 for v in values if v is not None and v >= rule["endorse_at_least"])
        if endorsed >= needed:
            continue
        if endorsed + values.count(None) >= needed:
            undecided = True
        else:
            return False
    return None if undecided else True


def _triage(definition: Mapping, answers: Answers) -> str:
    for level in definition["scoring"].get("triage", []):
        if condition_holds(level["when"], answers):
            return level["level"]
    return "none"


def score(definition: Mapping, answers: Answers, overrides: Mapping | None = None) -> Score:
    """Score one response. Raises AnswerError for impossible answers (never guesses)."""
    errors = answer_errors(definition, answers)
    if errors:
        raise AnswerError(errors)
    params = resolve_params(definition, overrides)
    scoring = definition["scoring"]
    required = [item for item in asked_items(definition, answers) if item.get("required", True)]
    missing = tuple(item["key"] for item in required if answers.get(item["key"]) is None)
    scored = _scored_items(definition, answers)
    scored_blank = [item["key"] for item in scored if answers.get(item["key"]) is None]
    # Blank unscored, required items (none ship today) still make the response incomplete.
    prorate_allowed = (
        _prorate_allowance(definition, params) >= len(scored_blank)
        and len(scored_blank) < len(scored)
        and set(missing) <= set(scored_blank)
    )
    complete = not missing or (bool(scored_blank) and prorate_allowed)

    total: int | None = None
    prorated = False
    if complete and scoring.get("total") is not None:
        answered = [answers[item["key"]] for item in scored if answers.get(item["key"]) is not None]
        if scored_blank:
            exact = Decimal(sum(answered)) * len(scored) / len(answered)
            total = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            prorated = True
        else:
            total = sum(answered)

    subscales = _subscales(definition, answers)
    flags: dict[str, bool] = {}
    band, band_label = ("", "")
    if total is not None:
        band, band_label = _band(definition, total)
    named_scores = {"total": total, **subscales}
    for threshold in scoring.get("thresholds", []):
        value = named_scores.get(threshold["score"])
        if value is not None:
            flags[threshold["key"]] = value >= _value(threshold["at_least"], params)
    for rule in scoring.get("cluster_rules", []):
        met = _cluster_rule_met(rule, definition, answers)
        if met is not None:
            flags[rule["key"]] = met
    risk_level = ""
    if scoring.get("triage"):
        risk_level = _triage(definition, answers) if complete else ""
    return Score(
        status="complete" if complete else "incomplete",
        total=total,
        prorated=prorated,
        band=band,
        band_label=band_label,
        subscales=subscales,
        flags=flags,
        risk_level=risk_level,
        missing=missing,
        params=params,
    )


def _answer_label(definition: Mapping, key: str, value: int) -> str:
    item = next(i for i in definition["items"] if i["key"] == key)
    for option in definition["answer_sets"][item["answers"]]:
        if option["value"] == value:
            return option["label"]
    return str(value)


def alerts_for(definition: Mapping, answers: Answers, result: Score) -> list[AlertHit]:
    """The risk alerts a response raises (FACTS.md §1.1 item 9, §1.5 C-SSRS, §8).

    Alerts look at the answers themselves, not the total: an incomplete PHQ-9 whose item 9 is
    answered 2 still raises one."""
    hits: list[AlertHit] = []
    params = result.params
    short = definition.get("short_title") or definition["title"]
    for rule in definition.get("alerts", []):
        if "item" in rule:
            value = answers.get(rule["item"])
            if value is not None and value >= _value(rule["at_least"], params):
                label = _answer_label(definition, rule["item"], value)
                hits.append(
                    AlertHit(
                        key=rule["key"],
                        label=rule["label"],
                        level="",
                        summary=f"{short} item {rule['item']} answered {value} ({label})",
                    )
                )
        elif "triage_at_least" in rule:
            level = result.risk_level or _triage(definition, answers)
            floor = _value(rule["triage_at_least"], params)
            if RISK_ORDER.index(level) >= RISK_ORDER.index(floor):
                hits.append(
                    AlertHit(
                        key=rule["key"],
                        label=rule["label"],
                        level=level,
                        summary=f"{short}: {level} risk on triage",
                    )
                )
    return hits


def total_range(definition: Mapping) -> tuple[int, int] | None:
    total = definition["scoring"].get("total")
    return tuple(total["range"]) if total else None  # type: ignore[return-value]
