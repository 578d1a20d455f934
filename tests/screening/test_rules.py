"""The contraindication rules engine as pure functions: no database, no request."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcare.clients.intake_catalogue import CONDITION_KEYS
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.rules import (
    SEVERITY,
    Finding,
    InvalidCondition,
    describe_condition,
    describe_evidence,
    evaluate_condition,
    outcome_of,
    screen,
    validate_condition,
)

FACTS = {
    "age": 40,
    "conditions": ["hypertension", "sleep_apnoea"],
    "medications": ["Xanax XR 0.5 mg at night", "sertraline 100 mg"],
    "substance_use": "cannabis weekly",
    "pregnancy_status": "breastfeeding",
    "suicide_risk": None,
    "baseline_systolic": 150,
    "baseline_diastolic": 90,
    "weight_kg": "72.5",
}


def rule(key, kind, condition, override_allowed=False):
    return {
        "key": key,
        "label": key.replace("_", " "),
        "kind": kind,
        "condition": condition,
        "rationale": "because",
        "source": "FACTS.md §3",
        "override_allowed": override_allowed,
    }


# --- Operators -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("<", 151, True),
        ("<", 150, False),
        ("<=", 150, True),
        ("<=", 149, False),
        (">", 149, True),
        (">", 150, False),
        (">=", 150, True),
        (">=", 151, False),
        ("==", 150, True),
        ("==", 151, False),
    ],
)
def test_each_comparison_operator_at_its_boundary(op, value, expected):
    condition = {"field": "baseline_systolic", "op": op, "value": value}

    matched, evidence = evaluate_condition(condition, FACTS)

    assert matched is expected
    assert evidence == ({"baseline_systolic": 150} if expected else {})


def test_in_matches_a_listed_value_and_reports_it():
    condition = {"field": "pregnancy_status", "op": "in", "value": ["pregnant", "breastfeeding"]}

    assert evaluate_condition(condition, FACTS) == (True, {"pregnancy_status": "breastfeeding"})
    assert evaluate_condition({**condition, "value": ["pregnant"]}, FACTS) == (False, {})


def test_in_on_a_list_valued_fact_matches_any_item():
    condition = {"field": "conditions", "op": "in", "value": ["sleep_apnoea"]}

    matched, evidence = evaluate_condition(condition, FACTS)

    assert matched
    assert evidence == {"conditions": ["hypertension", "sleep_apnoea"]}


@pytest.mark.parametrize(
    ("fact", "expected"),
    [("substance_use", True), ("suicide_risk", False), ("not_a_fact", False)],
)
def test_present_means_reported_and_not_empty(fact, expected):
    matched, _evidence = evaluate_condition({"field": fact, "op": "present"}, FACTS)
    assert matched is expected


def test_a_missing_fact_never_matches_a_comparison():
    condition = {"field": "baseline_heart_rate", "op": ">", "value": 0}
    assert evaluate_condition(condition, FACTS) == (False, {})


def test_a_decimal_stored_as_text_is_compared_as_a_number():
    # Facts are JSON, so the intake's weight arrives as "72.5"; it must not compare as a string.
    assert evaluate_condition({"field": "weight_kg", "op": ">=", "value": 70}, FACTS)[0]
    assert not evaluate_condition({"field": "weight_kg", "op": ">", "value": 100}, FACTS)[0]
    assert evaluate_condition({"field": "weight_kg", "op": "==", "value": 72.5}, FACTS)[0]


def test_a_text_fact_compared_as_a_number_is_an_error_not_a_silent_pass():
    with pytest.raises(InvalidCondition):
        evaluate_condition({"field": "substance_use", "op": ">", "value": 1}, FACTS)


def test_condition_present_reports_the_history_item():
    assert evaluate_condition({"condition_present": "hypertension"}, FACTS) == (
        True,
        {"history": ["hypertension"]},
    )
    assert evaluate_condition({"condition_present": "aneurysm_avm"}, FACTS) == (False, {})


def test_medications_match_whole_words_case_insensitively_and_show_the_lines():
    matched, evidence = evaluate_condition({"medication_matches": ["xanax", "lorazepam"]}, FACTS)

    assert matched
    assert evidence == {"medications": ["Xanax XR 0.5 mg at night"]}
    assert not evaluate_condition({"medication_matches": ["xan"]}, FACTS)[0]
    assert not evaluate_condition({"medication_matches": ["sertra"]}, FACTS)[0]


# --- any / all -----------------------------------------------------------------------------------


def test_any_matches_when_one_part_does_and_keeps_every_matching_parts_evidence():
    condition = {
        "any": [
            {"condition_present": "hypertension"},
            {"condition_present": "sleep_apnoea"},
            {"condition_present": "aneurysm_avm"},
            {"field": "baseline_systolic", "op": ">", "value": 140},
        ]
    }

    matched, evidence = evaluate_condition(condition, FACTS)

    assert matched
    assert evidence == {"history": ["hypertension", "sleep_apnoea"], "baseline_systolic": 150}


def test_any_with_no_matching_part_does_not_match():
    condition = {
        "any": [{"condition_present": "aneurysm_avm"}, {"field": "age", "op": "<", "value": 18}]
    }
    assert evaluate_condition(condition, FACTS) == (False, {})


def test_all_needs_every_part_and_then_reports_them_all():
    both = {
        "all": [{"condition_present": "hypertension"}, {"field": "age", "op": ">=", "value": 40}]
    }
    one = {
        "all": [{"condition_present": "hypertension"}, {"field": "age", "op": ">=", "value": 65}]
    }

    assert evaluate_condition(both, FACTS) == (True, {"history": ["hypertension"], "age": 40})
    assert evaluate_condition(one, FACTS) == (False, {})


def test_nested_groups_evaluate_inside_out():
    condition = {
        "all": [
            {"any": [{"condition_present": "aneurysm_avm"}, {"medication_matches": ["xanax"]}]},
            {"field": "age", "op": ">=", "value": 18},
        ]
    }
    matched, evidence = evaluate_condition(condition, FACTS)
    assert matched
    assert evidence == {"medications": ["Xanax XR 0.5 mg at night"], "age": 40}


# --- screen and outcome_of -----------------------------------------------------------------------


def test_screen_returns_matching_rules_most_severe_first_with_their_evidence():
    rules = [
        rule("info", "informational", {"field": "substance_use", "op": "present"}),
        rule("rel", "relative", {"field": "baseline_systolic", "op": ">", "value": 140}),
        rule(
            "abs",
            "absolute",
            {"field": "pregnancy_status", "op": "in", "value": ["breastfeeding"]},
            True,
        ),
        rule("nope", "absolute", {"condition_present": "aneurysm_avm"}),
    ]

    findings = screen(rules, FACTS)

    assert [f.rule_key for f in findings] == ["abs", "rel", "info"]
    assert findings[0].override_allowed is True
    assert findings[0].as_dict()["evidence"] == {"pregnancy_status": "breastfeeding"}
    assert set(findings[0].as_dict()) == {
        "rule_key",
        "label",
        "kind",
        "evidence",
        "rationale",
        "source",
        "override_allowed",
    }


def _finding(kind):
    return Finding("k", "label", kind, {}, "why", "src", False)


@pytest.mark.parametrize(
    ("kinds", "outcome"),
    [
        ([], "clear"),
        (["informational"], "clear"),
        (["relative", "informational"], "review"),
        (["absolute"], "excluded"),
        (["informational", "relative", "absolute"], "excluded"),
    ],
)
def test_outcome_of_is_decided_by_the_most_severe_finding(kinds, outcome):
    assert outcome_of([_finding(k) for k in kinds]) == outcome


# --- Validation ----------------------------------------------------------------------------------


def _history_items(condition):
    for joiner in ("any", "all"):
        for part in condition.get(joiner, []):
            yield from _history_items(part)
    if "condition_present" in condition:
        yield condition["condition_present"]


def test_every_default_rule_is_valid_and_names_known_history_items():
    for default in DEFAULT_RULES:
        validate_condition(default["condition"])
        assert default["kind"] in SEVERITY
        assert set(_history_items(default["condition"])) <= CONDITION_KEYS, default["key"]


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {},
        [],
        {"any": []},
        {"all": "x"},
        {"any": [{"condition_present": "x"}], "all": [{"condition_present": "y"}]},
        {"condition_present": ""},
        {"condition_present": 3},
        {"medication_matches": []},
        {"medication_matches": ["ok", ""]},
        {"field": "age", "op": "~", "value": 1},
        {"field": "age", "op": "<"},
        {"field": "age", "op": "<", "value": "18"},
        {"field": "age", "op": "in", "value": "pregnant"},
        {"field": "", "op": "present"},
        {"field": "age", "op": "<", "value": 18, "extra": True},
        {"something_else": 1},
        {"any": [{"field": "age", "op": "<", "value": 18}, {"bad": 1}]},
    ],
)
def test_malformed_conditions_are_rejected(condition):
    with pytest.raises(InvalidCondition):
        validate_condition(condition)


# --- Wording ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        ({"condition_present": "aneurysm_avm"}, "history: aneurysm_avm"),
        ({"field": "baseline_systolic", "op": ">=", "value": 180}, "baseline_systolic ≥ 180"),
        ({"field": "age", "op": "<", "value": 18}, "age < 18"),
        ({"field": "age", "op": "<=", "value": 18}, "age ≤ 18"),
        (
            {"field": "pregnancy_status", "op": "in", "value": ["pregnant", "planning"]},
            "pregnancy_status is pregnant or planning",
        ),
        ({"field": "substance_use", "op": "present"}, "substance_use reported"),
        ({"medication_matches": ["lorazepam", "xanax"]}, "medications mention lorazepam, xanax"),
        (
            {
                "any": [
                    {"field": "baseline_systolic", "op": ">=", "value": 180},
                    {"field": "baseline_diastolic", "op": ">=", "value": 110},
                ]
            },
            "baseline_systolic ≥ 180 or baseline_diastolic ≥ 110",
        ),
        (
            {
                "all": [
                    {"condition_present": "bipolar_disorder"},
                    {"any": [{"condition_present": "a"}, {"condition_present": "b"}]},
                ]
            },
            "history: bipolar_disorder and (history: a or history: b)",
        ),
    ],
)
def test_conditions_read_as_words(condition, text):
    assert describe_condition(condition) == text


def test_long_medication_lists_are_shortened_with_a_count():
    text = describe_condition({"medication_matches": [f"drug{i}" for i in range(9)]}, max_terms=3)
    assert text == "medications mention drug0, drug1, drug2… (6 more)"


def test_evidence_reads_history_items_by_their_intake_wording():
    lines = describe_evidence(
        {"history": ["aneurysm_avm", "x"], "medications": ["a 1 mg", "b"], "age": 70},
        {"aneurysm_avm": "Aneurysm or AVM"},
    )
    assert lines == [
        ("history", "Aneurysm or AVM; x"),
        ("medications", "a 1 mg; b"),
        ("age", "70"),
    ]


# --- Properties ----------------------------------------------------------------------------------

HISTORY = sorted(CONDITION_KEYS)[:8]
MEDICATIONS = ["xanax", "lamictal", "adderall", "sertraline"]

leaf = st.one_of(
    st.builds(lambda k: {"condition_present": k}, st.sampled_from(HISTORY)),
    st.builds(
        lambda ms: {"medication_matches": ms},
        st.lists(st.sampled_from(MEDICATIONS), min_size=1, max_size=2),
    ),
    st.builds(
        lambda op, v: {"field": "baseline_systolic", "op": op, "value": v},
        st.sampled_from(["<", "<=", ">", ">=", "=="]),
        st.integers(90, 200),
    ),
)
conditions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)
rule_sets = st.lists(
    st.tuples(st.sampled_from(list(SEVERITY)), conditions), min_size=1, max_size=6
).map(lambda pairs: [rule(f"r{i}", kind, cond) for i, (kind, cond) in enumerate(pairs)])
fact_sets = st.fixed_dictionaries(
    {
        "conditions": st.lists(st.sampled_from(HISTORY), unique=True, max_size=4),
        "medications": st.lists(st.sampled_from(MEDICATIONS), unique=True, max_size=3),
        "baseline_systolic": st.integers(90, 200),
    }
)
RANK = {"clear": 0, "review": 1, "excluded": 2}


def _outcome(rules, facts):
    return RANK[outcome_of(screen(rules, facts))]


@given(rules=rule_sets, facts=fact_sets, added=st.sampled_from(HISTORY))
def test_adding_a_history_item_never_makes_the_outcome_less_severe(rules, facts, added):
    more = {**facts, "conditions": sorted({*facts["conditions"], added})}
    assert _outcome(rules, more) >= _outcome(rules, facts)


@given(rules=rule_sets, facts=fact_sets, added=st.sampled_from(MEDICATIONS))
def test_adding_a_medication_never_makes_the_outcome_less_severe(rules, facts, added):
    more = {**facts, "medications": [*facts["medications"], f"{added} 10 mg"]}
    assert _outcome(rules, more) >= _outcome(rules, facts)


@given(rules=rule_sets, facts=fact_sets, extra=rule_sets)
def test_adding_rules_never_makes_the_outcome_less_severe(rules, facts, extra):
    renamed = [{**r, "key": f"extra{i}"} for i, r in enumerate(extra)]
    assert _outcome(rules + renamed, facts) >= _outcome(rules, facts)
    for rule_dict in rules + renamed:
        validate_condition(rule_dict["condition"])


def test_evidence_from_screenings_saved_before_history_became_a_list_still_reads():
    assert describe_evidence({"history": "aneurysm_avm"}, {"aneurysm_avm": "Aneurysm"}) == [
        ("history", "Aneurysm")
    ]
