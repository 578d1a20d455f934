"""Issue 10 item 20: a rule that needs a measurement the intake lacks says "not measured yet";
it neither matches nor passes silently."""

from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.rules import outcome_of, screen, unmeasured

BP_HIGH = {
    "key": "bp",
    "label": "BP ≥ 180/110",
    "kind": "absolute",
    "condition": {
        "any": [
            {"field": "baseline_systolic", "op": ">=", "value": 180},
            {"field": "baseline_diastolic", "op": ">=", "value": 110},
        ]
    },
    "rationale": "",
    "source": "",
}
FACTS = {
    "age": 40,
    "conditions": [],
    "medications": [],
    "substance_use": "",
    "pregnancy_status": "not_applicable",
    "suicide_risk": "low",
    "baseline_systolic": None,
    "baseline_diastolic": None,
    "baseline_heart_rate": None,
    "weight_kg": None,
}


def test_a_missing_blood_pressure_is_not_measured_yet_rather_than_passed():
    assert screen([BP_HIGH], FACTS) == []
    waiting = unmeasured([BP_HIGH], FACTS)
    assert [(w.rule_key, w.missing) for w in waiting] == [
        ("bp", ["baseline_diastolic", "baseline_systolic"])
    ]
    assert outcome_of([], waiting) == "incomplete"


def test_a_reading_that_decides_the_rule_leaves_nothing_waiting():
    one_high = {**FACTS, "baseline_systolic": 190}
    assert unmeasured([BP_HIGH], one_high) == []  # `any` is already true
    assert [f.rule_key for f in screen([BP_HIGH], one_high)] == ["bp"]
    measured = {**FACTS, "baseline_systolic": 120, "baseline_diastolic": 80}
    assert unmeasured([BP_HIGH], measured) == [] and screen([BP_HIGH], measured) == []


def test_an_all_that_fails_on_a_known_fact_does_not_wait():
    rule = {
        **BP_HIGH,
        "condition": {
            "all": [
                {"condition_present": "hypertension"},
                {"field": "baseline_systolic", "op": ">", "value": 140},
            ]
        },
    }
    assert unmeasured([rule], FACTS) == []
    waiting = unmeasured([rule], {**FACTS, "conditions": ["hypertension"]})
    assert [w.missing for w in waiting] == [["baseline_systolic"]]


def test_an_absolute_finding_still_excludes_while_something_is_unmeasured():
    assert (
        outcome_of(
            screen(DEFAULT_RULES, {**FACTS, "conditions": ["aneurysm_avm"]}),
            unmeasured(DEFAULT_RULES, FACTS),
        )
        == "excluded"
    )


def test_the_default_rules_wait_only_on_the_vitals():
    keys = {w.rule_key for w in unmeasured(DEFAULT_RULES, FACTS)}
    assert keys == {"bp_very_high", "bp_elevated"}
