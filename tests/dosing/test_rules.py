"""Pure dosing rules, no database: every threshold on both sides of its boundary."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcare.dosing.defaults import PARAMETERS, default
from kapcare.dosing.monitoring_rules import (
    discharge_problems,
    monitoring_prompts,
    observed_minutes,
    reading_alerts,
    vitals_off_baseline,
)
from kapcare.dosing.rules import (
    REVIEW,
    STOP,
    check_blocks,
    flagged_medications,
    infusion_rate_mg_per_hour,
    limit_findings,
    order_problems,
    pre_dose_problems,
    remainder_mg,
    session_dose_mg,
    units_to_open,
)

PROTOCOL = SimpleNamespace(**{p.name: default(p.name) for p in PARAMETERS})
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)

GOOD = {
    "identity_confirmed": True,
    "fasting_hours": Decimal("8"),
    "weight_kg": Decimal("70"),
    "systolic": 120,
    "diastolic": 78,
    "heart_rate": 70,
    "spo2": 98,
    "pregnancy_test": "negative",
    "medication_changes": "",
    "substance_use": "",
    "substance_use_last_24h": False,
    "intentions": "Curiosity.",
    "escort_confirmed": True,
    "ride_home_confirmed": True,
    "phq9_done": True,
    "gad7_done": True,
    "phq9_item9": 0,
}


def problems(route="iv", applicable=True, **changes):
    found = pre_dose_problems(
        {**GOOD, **changes}, route=route, protocol=PROTOCOL, pregnancy_applicable=applicable
    )
    return {(p.field, p.severity) for p in found}


def test_every_default_cites_its_facts_section():
    assert all(p.source.startswith("§") for p in PARAMETERS)


def test_a_good_check_has_no_problems():
    assert problems() == set()


# (field, value just inside, value just outside, severity outside) — FACTS.md §4.3/§4.4
PRE_DOSE_BOUNDARIES = [
    ("systolic", {"systolic": 140}, {"systolic": 141}, ("systolic", REVIEW)),
    ("diastolic review", {"diastolic": 90}, {"diastolic": 91}, ("systolic", REVIEW)),
    ("systolic stop", {"systolic": 159}, {"systolic": 160}, ("systolic", STOP)),
    ("diastolic stop", {"diastolic": 99}, {"diastolic": 100}, ("systolic", STOP)),
    ("heart rate", {"heart_rate": 110}, {"heart_rate": 111}, ("heart_rate", REVIEW)),
    ("spo2", {"spo2": 92}, {"spo2": 91}, ("spo2", STOP)),
    (
        "fasting iv",
        {"fasting_hours": Decimal("6")},
        {"fasting_hours": Decimal("5.9")},
        ("fasting_hours", STOP),
    ),
    ("phq9 item 9", {"phq9_item9": 0}, {"phq9_item9": 1}, ("phq9_item9", REVIEW)),
]


@pytest.mark.parametrize(
    ("inside", "outside", "expected"),
    [case[1:] for case in PRE_DOSE_BOUNDARIES],
    ids=[case[0] for case in PRE_DOSE_BOUNDARIES],
)
def test_pre_dose_thresholds_on_both_sides(inside, outside, expected):
    baseline = {**GOOD, "systolic": 120, "diastolic": 78}
    check_inside = {**baseline, **inside}
    assert expected not in problems(**check_inside)
    assert expected in problems(**{**baseline, **outside})


def test_fasting_depends_on_the_route():
    assert problems(route="intranasal", fasting_hours=Decimal("2")) == set()
    assert ("fasting_hours", STOP) in problems(route="intranasal", fasting_hours=Decimal("1.5"))
    assert ("fasting_hours", STOP) in problems(route="iv", fasting_hours=Decimal("2"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("identity_confirmed", False),
        ("escort_confirmed", False),
        ("ride_home_confirmed", False),
        ("intentions", "  "),
    ],
)
def test_an_incomplete_checklist_stops_dosing(field, value):
    assert (field, STOP) in problems(**{field: value})


def test_pregnancy_test_needed_only_where_it_applies():
    assert ("pregnancy_test", STOP) in problems(pregnancy_test="not_done")
    assert problems(applicable=False, pregnancy_test="not_applicable") == set()
    assert ("pregnancy_test", STOP) in problems(applicable=False, pregnancy_test="positive")


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("lorazepam 0.5 mg at night", True),
        ("Started Lamictal 25 mg", True),
        ("phenelzine", True),
        ("Adderall XR 20 mg", True),
        ("sertraline 100 mg", False),
        ("zolpidem 5 mg", False),  # a CNS depressant: not in the default classes
    ],
)
def test_medication_changes_flag_the_protocols_classes(line, flagged):
    assert bool(flagged_medications(line, PROTOCOL.flagged_medication_classes)) is flagged
    assert (("medication_changes", REVIEW) in problems(medication_changes=line)) is flagged


def test_review_blocks_until_cleared_but_stop_never_clears():
    review = [{"field": "systolic", "message": "BP high", "severity": REVIEW}]
    stop = [{"field": "spo2", "message": "SpO2 low", "severity": STOP}]
    assert check_blocks(review, cleared=False) == ["BP high"]
    assert check_blocks(review, cleared=True) == []
    assert check_blocks(stop, cleared=True) == ["SpO2 low"]


# --- Doses and limits (FACTS.md §4.1) ------------------------------------------------------

IV = {
    "min_mg": None,
    "max_mg": None,
    "min_mg_per_kg": Decimal("0.5"),
    "max_mg_per_kg": Decimal("1.0"),
}


@pytest.mark.parametrize(
    ("per_kg", "outside"),
    [("0.5", False), ("0.499", True), ("1.0", False), ("1.001", True)],
)
def test_iv_mg_per_kg_limits_on_both_sides(per_kg, outside):
    found = limit_findings(route="iv", limits=IV, mg_per_kg=Decimal(per_kg))
    assert bool(found) is outside


@pytest.mark.parametrize(("minutes", "outside"), [(40, False), (39, True)])
def test_an_iv_infusion_faster_than_the_minimum_is_outside_the_limits(minutes, outside):
    found = limit_findings(
        route="iv",
        limits=IV,
        mg_per_kg=Decimal("0.5"),
        infusion_minutes=minutes,
        min_infusion_minutes=40,
    )
    assert bool(found) is outside


@pytest.mark.parametrize(
    ("mg", "outside"), [("56", False), ("55", True), ("84", False), ("85", True)]
)
def test_esketamine_mg_limits_on_both_sides(mg, outside):
    limits = {"min_mg": Decimal("56"), "max_mg": Decimal("84")}
    assert bool(limit_findings(route="intranasal", limits=limits, dose_mg=Decimal(mg))) is outside


def test_a_per_kg_dose_uses_todays_weight():
    assert session_dose_mg(
        dose_mg=None, dose_mg_per_kg=Decimal("0.5"), weight_kg=Decimal("72.3")
    ) == Decimal("36.2")
    assert session_dose_mg(dose_mg=None, dose_mg_per_kg=Decimal("0.5"), weight_kg=None) is None
    assert session_dose_mg(dose_mg=Decimal("84"), dose_mg_per_kg=None, weight_kg=None) == 84


@given(
    amount=st.decimals(min_value=Decimal("0.1"), max_value=Decimal("2000"), places=1),
    unit=st.sampled_from([Decimal("28"), Decimal("100"), Decimal("500")]),
)
def test_opened_units_hold_the_dose_and_the_rest_is_waste(amount, unit):
    waste = remainder_mg(amount, unit)
    assert 0 <= waste < unit
    assert amount + waste == units_to_open(amount, unit) * unit


def test_infusion_rate():
    assert infusion_rate_mg_per_hour(Decimal("36"), 40) == Decimal("54.00")


def _order(**changes):
    return {
        "cancelled": False,
        "cancel_reason": "",
        "valid_until": dt.date(2026, 12, 1),
        "sessions_authorised": 6,
        "route": "iv",
        "dose_mg": None,
        "dose_mg_per_kg": Decimal("0.5"),
        "infusion_minutes": 40,
        "override_reason": "",
        **changes,
    }


def _order_problems(order, weight=Decimal("70"), used=0, today=dt.date(2026, 11, 20)):
    return order_problems(
        order=order,
        today=today,
        sessions_used=used,
        weight_kg=weight,
        limits=IV,
        min_infusion_minutes=40,
        allowed_routes={"iv", "im", "sublingual"},
    )


def test_a_valid_order_covers_todays_dose():
    assert _order_problems(_order()) == []


@pytest.mark.parametrize(
    ("order", "kwargs", "words"),
    [
        (_order(cancelled=True, cancel_reason="Changed plan"), {}, "cancelled"),
        (_order(valid_until=dt.date(2026, 11, 19)), {}, "expired"),
        (_order(), {"used": 6}, "sessions"),
        (_order(route="intranasal"), {}, "route"),
        (_order(), {"weight": None}, "weight"),
        (_order(dose_mg=Decimal("120"), dose_mg_per_kg=None), {}, "override"),
    ],
    ids=["cancelled", "expired", "used up", "route", "no weight", "outside limits"],
)
def test_an_order_that_does_not_cover_the_dose_says_why(order, kwargs, words):
    found = " ".join(_order_problems(order, **kwargs))
    assert words in found


def test_an_override_reason_lets_an_out_of_limit_dose_through():
    order = _order(dose_mg=Decimal("120"), dose_mg_per_kg=None, override_reason="Titrated up")
    assert _order_problems(order) == []


def test_the_order_boundary_day_is_still_valid():
    assert _order_problems(_order(valid_until=dt.date(2026, 11, 20))) == []


# --- Alerts (FACTS.md §4.4): acceptance 3, each threshold on both sides of its boundary ------

BASELINE = {"systolic": 120, "diastolic": 75}
ALERT_BOUNDARIES = [
    ("systolic", {"systolic": 179, "diastolic": 80}, {"systolic": 180, "diastolic": 80}),
    ("diastolic", {"systolic": 150, "diastolic": 99}, {"systolic": 150, "diastolic": 110}),
    ("systolic_rise", {"systolic": 159, "diastolic": 80}, {"systolic": 160, "diastolic": 80}),
    ("diastolic_rise", {"systolic": 140, "diastolic": 99}, {"systolic": 140, "diastolic": 100}),
    ("heart_rate", {"heart_rate": 119}, {"heart_rate": 120}),
    ("spo2", {"spo2": 92}, {"spo2": 91}),
    ("sedation", {"sedation": 3}, {"sedation": 2}),
]


@pytest.mark.parametrize(
    ("kind", "inside", "outside"), ALERT_BOUNDARIES, ids=[c[0] for c in ALERT_BOUNDARIES]
)
def test_each_alert_threshold_on_both_sides_of_its_boundary(kind, inside, outside):
    def kinds(reading):
        return {a.kind for a in reading_alerts(reading, baseline=BASELINE, protocol=PROTOCOL)}

    assert kind not in kinds(inside)
    assert kind in kinds(outside)


def test_diastolic_boundary_is_exactly_the_setting():
    def kinds(d):
        return {
            a.kind
            for a in reading_alerts(
                {"systolic": 150, "diastolic": d}, baseline=None, protocol=PROTOCOL
            )
        }

    assert "diastolic" not in kinds(109) and "diastolic" in kinds(110)


def test_a_clinics_own_threshold_is_used():
    strict = SimpleNamespace(**{**vars(PROTOCOL), "alert_systolic": 160})
    reading = {"systolic": 165, "diastolic": 80}
    assert "systolic" in {a.kind for a in reading_alerts(reading, baseline=None, protocol=strict)}
    assert "systolic" not in {
        a.kind for a in reading_alerts(reading, baseline=None, protocol=PROTOCOL)
    }


# --- Monitoring schedule -------------------------------------------------------------------


def _prompts(readings=(), ratings=()):
    return {
        p.kind: p
        for p in monitoring_prompts(
            dose_started_at=T0,
            interval_minutes=15,
            bp_check_minutes=40,
            dissociation_minutes=40,
            readings=readings,
            ratings=ratings,
        )
    }


def test_vitals_are_due_every_interval_after_the_last_reading():
    assert _prompts()["vitals"].due_at == T0 + dt.timedelta(minutes=15)
    later = _prompts([(T0 + dt.timedelta(minutes=17), True)])
    assert later["vitals"].due_at == T0 + dt.timedelta(minutes=32)
    assert later["vitals"].overdue(T0 + dt.timedelta(minutes=33))
    assert not later["vitals"].overdue(T0 + dt.timedelta(minutes=31))


def test_blood_pressure_is_prompted_near_forty_minutes():
    assert not _prompts([(T0 + dt.timedelta(minutes=30), True)])["bp_peak"].done
    assert _prompts([(T0 + dt.timedelta(minutes=35), True)])["bp_peak"].done
    assert not _prompts([(T0 + dt.timedelta(minutes=41), False)])["bp_peak"].done


def test_dissociation_rating_is_prompted_near_forty_minutes():
    assert _prompts(ratings=[T0 + dt.timedelta(minutes=38)])["dissociation"].done
    assert not _prompts(ratings=[T0 + dt.timedelta(minutes=20)])["dissociation"].done


# --- Discharge (FACTS.md §4.5) -------------------------------------------------------------

ALL_MET = dict.fromkeys(
    [
        "vitals_near_baseline",
        "alert_and_oriented",
        "walking_steadily",
        "no_ongoing_nausea",
        "escort_present",
    ],
    True,
)


@pytest.mark.parametrize(("observed", "refused"), [(119, True), (120, False)])
def test_discharge_minimum_observation_on_both_sides(observed, refused):
    found = discharge_problems(
        observed=observed, minimum=120, criteria=ALL_MET, open_alerts=0, vitals_problems=[]
    )
    assert ("discharged_at" in found) is refused


@pytest.mark.parametrize("criterion", sorted(ALL_MET))
def test_discharge_refused_with_any_criterion_unmet(criterion):
    found = discharge_problems(
        observed=200,
        minimum=120,
        criteria={**ALL_MET, criterion: False},
        open_alerts=0,
        vitals_problems=[],
    )
    assert criterion in found


def test_discharge_refused_with_an_open_alert_or_vitals_off_baseline():
    assert "__all__" in discharge_problems(
        observed=200, minimum=120, criteria=ALL_MET, open_alerts=1, vitals_problems=[]
    )
    found = discharge_problems(
        observed=200, minimum=120, criteria=ALL_MET, open_alerts=0, vitals_problems=["x"]
    )
    assert "vitals_near_baseline" in found


@pytest.mark.parametrize(("systolic", "off"), [(144, False), (145, True)])
def test_vitals_near_baseline_within_twenty_percent(systolic, off):
    baseline = {"systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98}
    latest = {"systolic": systolic, "diastolic": 80, "heart_rate": 70, "spo2": 97}
    found = vitals_off_baseline(baseline=baseline, latest=latest, tolerance_pct=20, spo2_floor=92)
    assert bool(found) is off


def test_observed_minutes_counts_whole_minutes():
    assert observed_minutes(T0, T0 + dt.timedelta(minutes=119, seconds=59)) == 119
