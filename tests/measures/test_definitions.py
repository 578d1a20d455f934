"""Instrument definition files: the shipped ones are valid and honour the licence rules
(FACTS.md §1.7); a broken definition is refused with a reason before it can be used."""

import copy

import pytest

from kapcare.measures.definitions import definition_errors, parameter_errors, shipped_definitions

DEFS = {d["code"]: d for d in shipped_definitions()}


def test_every_shipped_definition_is_valid():
    assert {code: definition_errors(d) for code, d in DEFS.items()} == {
        code: [] for code in ("phq9", "gad7", "pcl5", "ocir", "cssrs_screener", "cadss")
    }


@pytest.mark.parametrize(("code", "ships"), [
    ("phq9", True), ("gad7", True), ("pcl5", True),
    ("ocir", False), ("cssrs_screener", False), ("cadss", False),
])  # fmt: skip
def test_item_text_ships_only_where_the_licence_allows(code, ships):
    definition = DEFS[code]
    assert definition["licence"]["ships_item_text"] is ships
    texts = [item.get("text") for item in definition["items"]]
    assert all(texts) if ships else not any(texts)


def test_phq9_item_loinc_codes_match_facts():
    codes = [item.get("loinc") for item in DEFS["phq9"]["items"]]
    assert codes == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8", "69722-7",
    ]  # fmt: skip
    assert DEFS["phq9"]["loinc"] == {"panel": "44249-1", "total": "44261-6"}


def test_gad7_item_loinc_codes_match_facts():
    codes = [item.get("loinc") for item in DEFS["gad7"]["items"][:7]]
    assert codes == ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
    assert "69726-8" not in str(DEFS["gad7"])  # FACTS.md §1.2: a wrong code seen in public repos


def test_pcl5_has_no_invented_bands():
    assert DEFS["pcl5"]["scoring"]["bands"] == []


def _broken(mutate):
    data = copy.deepcopy(DEFS["phq9"])
    mutate(data)
    return definition_errors(data)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.update(code="PHQ 9"), "code"),
        (lambda d: d.pop("source"), "source"),
        (lambda d: d["scoring"]["bands"][1].update(min=6), "bands"),
        (lambda d: d["scoring"]["bands"].pop(), "bands"),
        (lambda d: d["scoring"]["total"].update(range=[0, 30]), "range"),
        (lambda d: d["items"][0].update(answers="nope"), "answer set"),
        (lambda d: d["items"][1].update(key="1"), "unique"),
        (lambda d: d["items"][0].update(text=""), "item text"),
        (lambda d: d["alerts"][0].update(item="42"), "item that does not exist"),
        (lambda d: d["alerts"][0].update(at_least={"param": "missing"}), "undeclared parameter"),
        (lambda d: d["scoring"].update(missing={"rule": "guess"}), "missing"),
        (lambda d: d["parameters"]["item9_alert_threshold"].update(default=9), "min ≤ default"),
        (lambda d: d["answer_sets"]["frequency"].append({"value": 1, "label": "dup"}), "distinct"),
        (lambda d: d["licence"].update(ships_item_text=False), "text must be null"),
    ],
)
def test_broken_definitions_are_refused_with_a_reason(mutate, fragment):
    errors = _broken(mutate)
    assert errors, "expected the definition to be refused"
    assert any(fragment in e for e in errors), errors


def test_not_an_object_is_refused():
    assert definition_errors(["phq9"]) == ["The definition must be a JSON object."]


def test_parameter_overrides_checked_against_declared_limits():
    assert parameter_errors(DEFS["pcl5"], {"cutpoint": 32}) == {}
    assert set(parameter_errors(DEFS["pcl5"], {"cutpoint": 20, "nope": 1})) == {"cutpoint", "nope"}
    assert parameter_errors(DEFS["cssrs_screener"], {"alert_level": "extreme"})
