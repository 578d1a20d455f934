"""Instrument definition files: reading the shipped ones and checking any definition before use.

Pure (no ORM). A definition that passes `definition_errors` can be scored by
kapcare.measures.scoring without a KeyError or a silent wrong total: every item has answer values,
bands cover the total's range without gaps or overlaps, every reference (subscale item, rule
cluster, parameter) points at something that exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
SHIPPED_FILES = [
    "phq9.json",
    "gad7.json",
    "pcl5.json",
    "ocir.json",
    "cssrs_screener.json",
    "cadss.json",
]
FORMAT = 1
CODE_RE = re.compile(r"^[a-z0-9_]{2,40}$")
VERSION_RE = re.compile(r"^[0-9A-Za-z.\-]{1,20}$")
RISK_LEVELS = ["none", "low", "moderate", "high"]


@cache
def _read(name: str) -> str:
    return (INSTRUMENTS_DIR / name).read_text(encoding="utf-8")


def shipped_definitions() -> list[dict]:
    """The definitions kapcare ships, freshly parsed (callers may not mutate a shared copy)."""
    return [json.loads(_read(name)) for name in SHIPPED_FILES]


@cache
def shipped_versions() -> frozenset[tuple[str, str]]:
    """The (code, version) of every shipped definition: what a clinic must hold."""
    return frozenset((d["code"], d["version"]) for d in shipped_definitions())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_ref(ref: Any, params: Mapping, where: str, errors: list[str], kind=_is_int) -> None:
    if isinstance(ref, Mapping):
        if set(ref) != {"param"} or ref["param"] not in params:
            errors.append(f"{where}: refers to an undeclared parameter.")
    elif not kind(ref):
        errors.append(f"{where}: must be a number or {{'param': name}}.")


def _check_condition(cond: Any, keys: set[str], where: str, errors: list[str]) -> None:
    if not isinstance(cond, Mapping):
        errors.append(f"{where}: a condition must be an object.")
    elif "all" in cond or "any" in cond:
        parts = cond.get("all", cond.get("any"))
        if not isinstance(parts, list) or not parts:
            errors.append(f"{where}: 'all'/'any' needs a non-empty list.")
        else:
            for part in parts:
                _check_condition(part, keys, where, errors)
    elif cond.get("item") not in keys or not _is_int(cond.get("equals")):
        errors.append(f"{where}: needs an existing 'item' and an integer 'equals'.")


def _check_parameters(params: Any, errors: list[str]) -> dict:
    if not isinstance(params, Mapping):
        errors.append("parameters: must be an object.")
        return {}
    for name, spec in params.items():
        where = f"parameter {name}"
        if not isinstance(spec, Mapping) or "default" not in spec or not spec.get("label"):
            errors.append(f"{where}: needs a label and a default.")
            continue
        if "choices" in spec:
            if spec["default"] not in spec["choices"]:
                errors.append(f"{where}: the default is not one of its choices.")
        elif not (
            _is_int(spec["default"])
            and _is_int(spec.get("min"))
            and _is_int(spec.get("max"))
            and spec["min"] <= spec["default"] <= spec["max"]
        ):
            errors.append(f"{where}: needs integer min ≤ default ≤ max.")
    return dict(params)


def _check_items(data: Mapping, errors: list[str]) -> set[str]:
    answer_sets = data.get("answer_sets")
    if not isinstance(answer_sets, Mapping) or not answer_sets:
        errors.append("answer_sets: at least one set of answer options is required.")
        answer_sets = {}
    for name, options in answer_sets.items():
        values = [o.get("value") for o in options if isinstance(o, Mapping)]
        if (
            not isinstance(options, list)
            or len(values) < 2
            or len(values) != len(options)
            or not all(_is_int(v) and v >= 0 for v in values)
            or len(set(values)) != len(values)
            or not all(isinstance(o.get("label"), str) and o["label"] for o in options)
        ):
            errors.append(
                f"answer set {name}: needs two or more options, each a label and a distinct "
                "whole-number value of 0 or more."
            )
    items = data.get("items")
    if not isinstance(items, list) or not items:
        errors.append("items: at least one item is required.")
        return set()
    keys: list[str] = []
    ships_text = bool(data.get("licence", {}).get("ships_item_text"))
    for index, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            errors.append(f"item {index}: needs a string key.")
            continue
        keys.append(item["key"])
        if item.get("answers") not in answer_sets:
            errors.append(f"item {item['key']}: names an answer set that does not exist.")
        text = item.get("text")
        if ships_text and not (isinstance(text, str) and text.strip()):
            errors.append(f"item {item['key']}: the licence ships item text, but it has none.")
        if not ships_text and text is not None:
            errors.append(
                f"item {item['key']}: the licence does not ship item text, so text must be null "
                "(load licensed text separately)."
            )
    if len(set(keys)) != len(keys):
        errors.append("items: item keys must be unique.")
    key_set = set(keys)
    for item in items:
        if isinstance(item, Mapping) and "ask_if" in item:
            _check_condition(item["ask_if"], key_set, f"item {item.get('key')} ask_if", errors)
    return key_set


def _max_value(data: Mapping, key: str) -> int:
    item = next(i for i in data["items"] if i["key"] == key)
    return max(o["value"] for o in data["answer_sets"][item["answers"]])


def _check_scoring(data: Mapping, keys: set[str], params: Mapping, errors: list[str]) -> None:
    scoring = data.get("scoring")
    if not isinstance(scoring, Mapping):
        errors.append("scoring: required.")
        return
    missing = scoring.get("missing")
    if not isinstance(missing, Mapping) or missing.get("rule") not in {"prorate", "incomplete"}:
        errors.append("scoring.missing: rule must be 'prorate' or 'incomplete'.")
    elif missing["rule"] == "prorate":
        _check_ref(missing.get("max_missing"), params, "scoring.missing.max_missing", errors)
    scored = [
        i["key"]
        for i in data["items"]
        if isinstance(i, Mapping) and i.get("scored", True) and i.get("key") in keys
    ]
    total = scoring.get("total")
    score_names = {"total"} if total is not None else set()
    if total is not None:
        rng = total.get("range") if isinstance(total, Mapping) else None
        try:
            top = sum(_max_value(data, k) for k in scored)
        except (KeyError, StopIteration, TypeError, ValueError):
            top = None
        if not (isinstance(rng, list) and len(rng) == 2 and rng == [0, top]):
            errors.append(f"scoring.total.range: must be [0, {top}] (the items' maximum sum).")
        bands = scoring.get("bands", [])
        if bands and isinstance(rng, list) and len(rng) == 2:
            expected = rng[0]
            for band in bands:
                if band.get("min") != expected or band.get("max", -1) < band["min"]:
                    errors.append("scoring.bands: must cover the total's range in order.")
                    break
                if not band.get("key") or not band.get("label"):
                    errors.append("scoring.bands: each band needs a key and a label.")
                expected = band["max"] + 1
            else:
                if expected != rng[1] + 1:
                    errors.append("scoring.bands: must end at the top of the total's range.")
    elif scoring.get("bands"):
        errors.append("scoring.bands: bands need a total.")
    sub_keys: set[str] = set()
    for sub in scoring.get("subscales", []):
        if not sub.get("key") or not sub.get("label") or not set(sub.get("items", [])) <= keys:
            errors.append(f"subscale {sub.get('key')}: needs a key, a label and existing items.")
        sub_keys.add(sub.get("key"))
    score_names |= sub_keys
    for threshold in scoring.get("thresholds", []):
        if threshold.get("score") not in score_names or not threshold.get("key"):
            errors.append(f"threshold {threshold.get('key')}: names a score that does not exist.")
        _check_ref(threshold.get("at_least"), params, f"threshold {threshold.get('key')}", errors)
    for rule in scoring.get("cluster_rules", []):
        if not rule.get("key") or not set(rule.get("require", {})) <= sub_keys:
            errors.append(f"cluster rule {rule.get('key')}: needs a key and existing subscales.")
        if not _is_int(rule.get("endorse_at_least")):
            errors.append(f"cluster rule {rule.get('key')}: endorse_at_least must be a number.")
    for level in scoring.get("triage", []):
        if level.get("level") not in RISK_LEVELS[1:]:
            errors.append("scoring.triage: each level must be low, moderate or high.")
        _check_condition(level.get("when"), keys, "scoring.triage", errors)


def _check_alerts(data: Mapping, keys: set[str], params: Mapping, errors: list[str]) -> None:
    for rule in data.get("alerts", []):
        where = f"alert {rule.get('key')}"
        if not rule.get("key") or not rule.get("label"):
            errors.append(f"{where}: needs a key and a label.")
        if "item" in rule:
            if rule["item"] not in keys:
                errors.append(f"{where}: names an item that does not exist.")
            _check_ref(rule.get("at_least"), params, where, errors)
        elif "triage_at_least" in rule:
            if not data.get("scoring", {}).get("triage"):
                errors.append(f"{where}: a triage alert needs triage rules.")
            _check_ref(
                rule["triage_at_least"],
                params,
                where,
                errors,
                kind=lambda v: v in RISK_LEVELS[1:],
            )
        else:
            errors.append(f"{where}: needs 'item' or 'triage_at_least'.")


def definition_errors(data: Any) -> list[str]:
    """Everything wrong with a definition, in words a clinic admin can act on; [] when valid."""
    if not isinstance(data, Mapping):
        return ["The definition must be a JSON object."]
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(f"format: must be {FORMAT}.")
    if not isinstance(data.get("code"), str) or not CODE_RE.match(data["code"]):
        errors.append("code: 2–40 lower-case letters, digits or underscores.")
    if not isinstance(data.get("version"), str) or not VERSION_RE.match(data["version"]):
        errors.append("version: 1–20 letters, digits, dots or dashes.")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        errors.append("title: required.")
    if not isinstance(data.get("source"), str) or not data["source"].strip():
        errors.append("source: cite where the scoring comes from.")
    licence = data.get("licence")
    if not isinstance(licence, Mapping) or not licence.get("note"):
        errors.append("licence: needs a note saying under what terms the clinic uses it.")
    params = _check_parameters(data.get("parameters", {}), errors)
    keys = _check_items(data, errors)
    if keys and not errors:
        _check_scoring(data, keys, params, errors)
        _check_alerts(data, keys, params, errors)
    return errors


def parameter_errors(data: Mapping, values: Mapping[str, Any]) -> dict[str, str]:
    """A clinic's parameter overrides checked against the definition's declared limits."""
    errors: dict[str, str] = {}
    declared = data.get("parameters", {})
    for name, value in values.items():
        spec = declared.get(name)
        if spec is None:
            errors[name] = "No such parameter."
        elif "choices" in spec:
            if value not in spec["choices"]:
                errors[name] = "Choose one of: " + ", ".join(spec["choices"]) + "."
        elif not _is_int(value) or not spec["min"] <= value <= spec["max"]:
            errors[name] = f"Give a whole number from {spec['min']} to {spec['max']}."
    return errors
