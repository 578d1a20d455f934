"""Scoring exactly as the manuals say (FACTS.md §1): every band boundary from both sides, every
subscale, the provisional-diagnosis rules, C-SSRS triage with its skip logic, and the
missing-item rules. Pure: no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcare.measures.definitions import shipped_definitions
from kapcare.measures.scoring import AnswerError, alerts_for, answer_errors, score

DEFS = {d["code"]: d for d in shipped_definitions()}
PHQ9, GAD7, PCL5, OCIR, CSSRS, CADSS = (
    DEFS[c] for c in ("phq9", "gad7", "pcl5", "ocir", "cssrs_screener", "cadss")
)
SCORED = ("phq9", "gad7", "pcl5", "ocir", "cadss")


def scored_keys(definition):
    return [i["key"] for i in definition["items"] if i.get("scored", True)]


def top(definition):
    return max(o["value"] for o in next(iter(definition["answer_sets"].values())))


def answers_totalling(definition, total: int) -> dict:
    """Answers to every scored item that sum to `total`, filled from item 1 upwards."""
    answers, left = {}, total
    for key in scored_keys(definition):
        answers[key] = min(left, top(definition))
        left -= answers[key]
    assert left == 0
    return answers


# --- severity bands: both sides of every boundary (FACTS.md §1.1, §1.2) ---

PHQ9_BANDS = [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe"),
]  # fmt: skip
GAD7_BANDS = [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "severe"), (21, "severe"),
]  # fmt: skip


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_band_at_each_boundary(total, band):
    result = score(PHQ9, answers_totalling(PHQ9, total))
    assert (result.status, result.total, result.band) == ("complete", total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_band_at_each_boundary(total, band):
    result = score(GAD7, answers_totalling(GAD7, total))
    assert (result.status, result.total, result.band) == ("complete", total, band)


def test_phq9_band_labels_follow_kroenke():
    assert score(PHQ9, answers_totalling(PHQ9, 17)).band_label == "Moderately severe"


def test_phq9_difficulty_item_is_not_scored_and_may_be_blank():
    answers = {**answers_totalling(PHQ9, 12), "10": 3}
    assert score(PHQ9, answers).total == 12
    assert score(PHQ9, {**answers, "10": None}).status == "complete"


@pytest.mark.parametrize("code", ["pcl5", "ocir", "cadss"])
def test_instruments_without_manual_bands_get_none(code):
    result = score(DEFS[code], answers_totalling(DEFS[code], 40))
    assert (result.total, result.band, result.band_label) == (40, "", "")


def test_totals_reach_the_top_of_their_range():
    for code, maximum in [("phq9", 27), ("gad7", 21), ("pcl5", 80), ("ocir", 72), ("cadss", 92)]:
        assert score(DEFS[code], answers_totalling(DEFS[code], maximum)).total == maximum


# --- PCL-5: clusters, cut-point, DSM-5 rule (FACTS.md §1.3) ---


def test_pcl5_clusters_sum_their_items():
    answers = {str(i): 0 for i in range(1, 21)}
    answers |= {"1": 4, "5": 3, "6": 2, "7": 1, "8": 1, "14": 4, "15": 2, "20": 3}
    result = score(PCL5, answers)
    assert result.subscales == {"B": 7, "C": 3, "D": 5, "E": 5}
    assert result.total == 20


def test_pcl5_cluster_ranges_at_maximum():
    result = score(PCL5, {str(i): 4 for i in range(1, 21)})
    assert result.subscales == {"B": 20, "C": 8, "D": 28, "E": 24}


@pytest.mark.parametrize(("total", "positive"), [(32, False), (33, True)])
def test_pcl5_default_cutpoint_is_33(total, positive):
    result = score(PCL5, answers_totalling(PCL5, total))
    assert result.flags["provisional_ptsd_cutpoint"] is positive
    assert result.params["cutpoint"] == 33


@pytest.mark.parametrize(("cutpoint", "positive"), [(31, True), (32, True), (33, False)])
def test_pcl5_cutpoint_is_clinic_configurable(cutpoint, positive):
    result = score(PCL5, answers_totalling(PCL5, 32), {"cutpoint": cutpoint})
    assert result.flags["provisional_ptsd_cutpoint"] is positive


def _dsm5(b=1, c=1, d=2, e=2, level=2):
    """Endorse the first b/c/d/e items of each cluster at `level`, everything else 1."""
    clusters = {"B": range(1, 6), "C": range(6, 8), "D": range(8, 15), "E": range(15, 21)}
    answers = {str(i): 1 for i in range(1, 21)}
    for name, count in zip("BCDE", (b, c, d, e), strict=True):
        for i in list(clusters[name])[:count]:
            answers[str(i)] = level
    return answers


def test_pcl5_dsm5_rule_met_with_minimum_endorsements():
    assert score(PCL5, _dsm5()).flags["provisional_ptsd_dsm5"] is True


@pytest.mark.parametrize(
    "short", [{"b": 0}, {"c": 0}, {"d": 1}, {"e": 1}], ids=["no B", "no C", "one D", "one E"]
)
def test_pcl5_dsm5_rule_fails_when_any_cluster_short(short):
    assert score(PCL5, _dsm5(**short)).flags["provisional_ptsd_dsm5"] is False


def test_pcl5_dsm5_counts_moderately_not_a_little_bit():
    # "Moderately" (2) endorses; "A little bit" (1) does not.
    assert score(PCL5, _dsm5(level=1)).flags["provisional_ptsd_dsm5"] is False


def test_pcl5_dsm5_and_cutpoint_can_disagree():
    # Minimum DSM-5 pattern, total 6×2 + 14×1 = 26: rule met, below the cut-point.
    result = score(PCL5, _dsm5())
    assert result.total == 26
    assert result.flags == {"provisional_ptsd_cutpoint": False, "provisional_ptsd_dsm5": True}


def test_pcl5_blank_item_makes_it_incomplete_without_total_or_cutpoint_flag():
    answers = {**answers_totalling(PCL5, 50), "20": None}
    result = score(PCL5, answers)
    assert (result.status, result.total, result.prorated) == ("incomplete", None, False)
    assert "provisional_ptsd_cutpoint" not in result.flags
    assert result.subscales["E"] is None and result.subscales["B"] == 20
    assert result.missing == ("20",)


def test_pcl5_dsm5_rule_decided_despite_blank_when_blank_cannot_matter():
    answers = {**_dsm5(), "20": None}  # E already has 2 endorsed items
    assert score(PCL5, answers).flags["provisional_ptsd_dsm5"] is True
    undecided = {**_dsm5(e=1), "20": None}  # a 2 on item 20 would meet the rule
    assert "provisional_ptsd_dsm5" not in score(PCL5, undecided).flags


# --- OCI-R: six subscales, OCD-only score, cut-offs (FACTS.md §1.4) ---

OCIR_SUBSCALES = {
    "hoarding": (1, 7, 13),
    "checking": (2, 8, 14),
    "ordering": (3, 9, 15),
    "neutralizing": (4, 10, 16),
    "washing": (5, 11, 17),
    "obsessing": (6, 12, 18),
}


@pytest.mark.parametrize("name", list(OCIR_SUBSCALES))
def test_ocir_each_subscale_sums_exactly_its_three_items(name):
    answers = {str(i): 0 for i in range(1, 19)}
    for value, item in zip((1, 2, 4), OCIR_SUBSCALES[name], strict=True):
        answers[str(item)] = value
    result = score(OCIR, answers)
    assert result.subscales[name] == 7
    assert all(v == 0 for k, v in result.subscales.items() if k not in (name, "ocd_only"))
    assert result.subscales["ocd_only"] == (0 if name == "hoarding" else 7)
    assert result.total == 7


def test_ocir_ocd_only_score_excludes_hoarding():
    answers = {str(i): 4 for i in range(1, 19)}
    result = score(OCIR, answers)
    assert (result.total, result.subscales["ocd_only"], result.subscales["hoarding"]) == (
        72,
        60,
        12,
    )


@pytest.mark.parametrize(("total", "positive"), [(20, False), (21, True)])
def test_ocir_total_cutoff_21(total, positive):
    assert score(OCIR, answers_totalling(OCIR, total)).flags["probable_ocd_total"] is positive


@pytest.mark.parametrize(("value", "positive"), [(11, False), (12, True)])
def test_ocir_ocd_only_cutoff_12(value, positive):
    answers = {str(i): 0 for i in range(1, 19)}
    for item in (2, 3):  # non-hoarding items: 4 + 4 + (value - 8)
        answers[str(item)] = 4
    answers["5"] = value - 8
    assert score(OCIR, answers).flags["probable_ocd_ocd_only"] is positive


@pytest.mark.parametrize(("value", "positive"), [(5, False), (6, True)])
def test_ocir_hoarding_cutoff_6(value, positive):
    answers = {str(i): 0 for i in range(1, 19)} | {"1": 4, "7": value - 4}
    assert score(OCIR, answers).flags["probable_hoarding"] is positive


def test_ocir_total_cutoff_configurable_to_14():
    result = score(OCIR, answers_totalling(OCIR, 14), {"total_cutoff": 14})
    assert result.flags["probable_ocd_total"] is True


def test_ocir_blank_item_is_incomplete_and_only_its_subscales_unknown():
    answers = {str(i): 1 for i in range(1, 19)} | {"2": None}
    result = score(OCIR, answers)
    assert (result.status, result.total) == ("incomplete", None)
    assert result.subscales["checking"] is None and result.subscales["ocd_only"] is None
    assert result.subscales["hoarding"] == 3
    assert "probable_ocd_total" not in result.flags
    assert result.flags["probable_hoarding"] is False


# --- C-SSRS screener triage and skip logic (FACTS.md §1.5) ---


def cssrs(**yes):
    """Answers with the skip logic applied: Q3–5 only after Q2 yes, 6r only after Q6 yes."""
    a = {"1": 0, "2": 0, "6": 0} | {k.lstrip("q"): v for k, v in yes.items()}
    if a["2"] == 1:
        a = {"3": 0, "4": 0, "5": 0} | a
    if a["6"] == 1:
        a.setdefault("6r", 0)
    return a


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        (cssrs(), "none"),
        (cssrs(q1=1), "low"),
        (cssrs(q2=1), "low"),
        (cssrs(q1=1, q2=1), "low"),
        (cssrs(q2=1, q3=1), "moderate"),
        (cssrs(q6=1, q6r=0), "moderate"),
        (cssrs(q2=1, q4=1), "high"),
        (cssrs(q2=1, q5=1), "high"),
        (cssrs(q6=1, q6r=1), "high"),
        (cssrs(q1=1, q6=1, q6r=1), "high"),
    ],
)
def test_cssrs_triage_levels(answers, level):
    result = score(CSSRS, answers)
    assert (result.status, result.risk_level, result.total) == ("complete", level, None)


def test_cssrs_skips_3_to_5_when_2_is_no():
    result = score(CSSRS, {"1": 1, "2": 0, "6": 0})
    assert result.status == "complete" and result.missing == ()


def test_cssrs_answering_a_skipped_question_is_an_error_at_that_item():
    with pytest.raises(AnswerError) as raised:
        score(CSSRS, {"1": 0, "2": 0, "3": 1, "6": 0})
    assert set(raised.value.errors) == {"3"}


def test_cssrs_asked_question_left_blank_is_incomplete():
    result = score(CSSRS, {"1": 0, "2": 1, "3": 0, "4": None, "5": 0, "6": 0})
    assert (result.status, result.risk_level, result.missing) == ("incomplete", "", ("4",))


def test_cssrs_positive_answer_raises_alert_even_when_incomplete():
    answers = {"1": 1, "2": None, "6": None}
    hits = alerts_for(CSSRS, answers, score(CSSRS, answers))
    assert [(h.key, h.level) for h in hits] == [("cssrs_positive", "low")]


def test_cssrs_all_no_raises_no_alert():
    answers = cssrs()
    assert alerts_for(CSSRS, answers, score(CSSRS, answers)) == []


def test_cssrs_alert_level_configurable():
    answers = cssrs(q1=1)
    result = score(CSSRS, answers, {"alert_level": "moderate"})
    assert alerts_for(CSSRS, answers, result) == []


# --- missing-item rules: never a silent wrong total ---


def test_phq9_one_blank_is_prorated_and_rounded_half_up():
    # 8 answered items summing to 13 → 13 × 9 / 8 = 14.625 → 15
    answers = {"1": 3, "2": 3, "3": 3, "4": 3, "5": 1, "6": 0, "7": 0, "8": None, "9": 0}
    result = score(PHQ9, answers)
    assert (result.status, result.total, result.prorated, result.band) == (
        "complete",
        15,
        True,
        "moderately_severe",
    )


def test_phq9_prorating_half_rounds_up():
    # 8 answered items summing to 4: 4 × 9 / 8 = 4.5 → 5 (mild, not minimal)
    answers = {str(i): 0 for i in range(1, 10)} | {"1": 2, "2": 2, "9": None}
    assert score(PHQ9, answers).total == 5


def test_phq9_two_blanks_incomplete_by_default():
    answers = answers_totalling(PHQ9, 10) | {"8": None, "9": None}
    result = score(PHQ9, answers)
    assert (result.status, result.total, result.band, result.prorated) == (
        "incomplete",
        None,
        "",
        False,
    )
    assert result.missing == ("8", "9")


def test_phq9_two_blanks_prorated_when_clinic_allows_two():
    answers = {str(i): 1 for i in range(1, 10)} | {"8": None, "9": None}
    result = score(PHQ9, answers, {"max_prorated_missing": 2})
    assert (result.total, result.prorated) == (9, True)


def test_phq9_no_prorating_when_clinic_sets_zero():
    answers = {str(i): 1 for i in range(1, 10)} | {"9": None}
    assert score(PHQ9, answers, {"max_prorated_missing": 0}).status == "incomplete"


def test_phq9_all_blank_is_incomplete():
    assert score(PHQ9, {str(i): None for i in range(1, 11)}).status == "incomplete"


@pytest.mark.parametrize("code", ["gad7", "pcl5", "ocir", "cadss"])
def test_instruments_without_a_proration_rule_are_incomplete_with_one_blank(code):
    answers = answers_totalling(DEFS[code], 5) | {scored_keys(DEFS[code])[-1]: None}
    result = score(DEFS[code], answers)
    assert (result.status, result.total, result.band) == ("incomplete", None, "")


def test_missing_keys_count_as_blank():
    assert score(GAD7, {"1": 1}).status == "incomplete"


@pytest.mark.parametrize(
    ("answers", "bad"),
    [({"1": 4}, "1"), ({"1": -1}, "1"), ({"1": True}, "1"), ({"99": 1}, "99")],
    ids=["above range", "below range", "boolean", "unknown item"],
)
def test_impossible_answers_rejected_at_their_item(answers, bad):
    assert set(answer_errors(PHQ9, answers)) == {bad}
    with pytest.raises(AnswerError):
        score(PHQ9, answers)


def test_phq9_difficulty_item_has_its_own_answer_values():
    assert answer_errors(PHQ9, {"10": 3}) == {}
    assert set(answer_errors(PCL5, {"1": 5})) == {"1"}


# --- PHQ-9 item 9 alert (FACTS.md §1.1) ---


@pytest.mark.parametrize(("item9", "alerted"), [(0, False), (1, True), (3, True)])
def test_phq9_item9_alert_threshold(item9, alerted):
    answers = {str(i): 0 for i in range(1, 10)} | {"9": item9}
    hits = alerts_for(PHQ9, answers, score(PHQ9, answers))
    assert bool(hits) is alerted
    if alerted:
        assert hits[0].key == "phq9_item9" and f"answered {item9}" in hits[0].summary


def test_phq9_item9_threshold_configurable():
    answers = {str(i): 0 for i in range(1, 10)} | {"9": 1}
    result = score(PHQ9, answers, {"item9_alert_threshold": 2})
    assert alerts_for(PHQ9, answers, result) == []


def test_phq9_item9_alert_even_when_response_incomplete():
    answers = {"9": 2}
    result = score(PHQ9, answers)
    assert result.status == "incomplete"
    assert [h.key for h in alerts_for(PHQ9, answers, result)] == ["phq9_item9"]


# --- properties (acceptance 1): totals in range, never fall when an answer rises ---


@st.composite
def code_answers_and_bump(draw):
    code = draw(st.sampled_from(SCORED))
    definition = DEFS[code]
    keys = scored_keys(definition)
    answers = {k: draw(st.integers(0, top(definition))) for k in keys}
    blank = draw(st.lists(st.sampled_from(keys), max_size=2, unique=True))
    for key in blank:
        answers[key] = None
    answered = [k for k in keys if answers[k] is not None and answers[k] < top(definition)]
    bump = draw(st.sampled_from(answered)) if answered else None
    return code, answers, bump, draw(st.integers(1, top(definition)))


@given(code_answers_and_bump())
def test_totals_in_range_and_never_fall_when_an_answer_rises(case):
    code, answers, bump, step = case
    definition = DEFS[code]
    low, high = definition["scoring"]["total"]["range"]
    before = score(definition, answers)
    if before.total is not None:
        assert low <= before.total <= high
    else:
        assert before.status == "incomplete" and before.band == ""
    for value in before.subscales.values():
        assert value is None or 0 <= value <= high
    if bump is None:
        return
    raised = dict(answers)
    raised[bump] = min(top(definition), answers[bump] + step)
    after = score(definition, raised)
    assert after.status == before.status
    if before.total is not None:
        assert after.total >= before.total
        assert low <= after.total <= high
    for key, value in before.subscales.items():
        if value is not None:
            assert after.subscales[key] >= value


@given(st.sampled_from(SCORED), st.data())
def test_complete_total_equals_sum_of_scored_items(code, data):
    definition = DEFS[code]
    answers = {k: data.draw(st.integers(0, top(definition))) for k in scored_keys(definition)}
    result = score(definition, answers)
    assert (result.status, result.total, result.prorated) == (
        "complete",
        sum(answers.values()),
        False,
    )
