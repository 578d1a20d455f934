"""Screening services: running the protocol, the prescriber's review, the override path, and
protocol versions (FACTS.md §3)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.courses.gates import GateContext
from kapcare.courses.models import CourseStatus
from kapcare.courses.services import open_course, transition_course
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.gates import eligibility_gate
from kapcare.screening.models import (
    Decision,
    DecisionBasis,
    EligibilityDecision,
    Screening,
    ScreeningProtocol,
)
from kapcare.screening.selectors import current_protocol, pending_reviews, rules_as_dicts
from kapcare.screening.services import (
    ensure_protocol,
    override_exclusion,
    publish_protocol,
    review_screening,
    run_screening,
)
from tests.factories import ClientFactory, make_staff, put_on_team
from tests.pathway import BENIGN_INTAKE, actor, screened_course

RELATIVE = {"conditions": ["bipolar_disorder"]}
ABSOLUTE_NO_OVERRIDE = {"conditions": ["aneurysm_avm"]}
ABSOLUTE_OVERRIDABLE = {"baseline_systolic": 185, "baseline_diastolic": 95}


def _gate(course):
    from django.utils import timezone

    return eligibility_gate(GateContext(course=course, at=timezone.now()))


def _sign(user):
    return {
        "reason": "Stable on lithium for 3 years; psychiatrist agrees.",
        "signature_name": user.full_name,
    }


# --- Automatic outcomes ----------------------------------------------------------------------------


def test_no_findings_make_the_client_eligible_and_move_the_course_on(clinic, staff, client_record):
    course, screening = screened_course(clinic=clinic, staff=staff, client=client_record)

    assert screening.outcome == "clear"
    decision = screening.decisions.get()
    assert (decision.decision, decision.basis) == (Decision.ELIGIBLE, DecisionBasis.NO_FINDINGS)
    assert _gate(course).passed
    assert course.status == CourseStatus.AWAITING_CONSENT


def test_an_absolute_contraindication_makes_the_client_not_eligible_at_once(
    clinic, staff, client_record
):
    course, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_NO_OVERRIDE
    )

    assert screening.outcome == "excluded"
    decision = screening.decisions.get()
    assert (decision.decision, decision.basis) == (Decision.NOT_ELIGIBLE, DecisionBasis.ABSOLUTE)
    assert not _gate(course).passed
    assert course.status == CourseStatus.SCREENING
    finding = screening.findings[0]
    assert finding["rule_key"] == "aneurysm_avm"
    assert finding["kind"] == "absolute"
    assert finding["evidence"] == {"history": ["aneurysm_avm"]}
    assert finding["rationale"] and finding["source"].startswith("FACTS.md §3.1")


def test_a_relative_contraindication_waits_for_a_prescriber(clinic, staff, client_record):
    course, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )

    assert screening.outcome == "review"
    assert not screening.decisions.exists()
    gate = _gate(course)
    assert not gate.passed and "No eligibility decision" in gate.reason
    assert list(pending_reviews(clinic.pk)) == [screening]


def test_screening_needs_an_intake(clinic, staff, client_record):
    therapist = actor(staff["therapist"], clinic)
    course = open_course(actor=therapist, client=client_record, condition="depression")

    with pytest.raises(ValidationError) as refused:
        run_screening(actor=therapist, course=course)

    assert refused.value.code == "intake_missing"
    assert not Screening.objects.exists()


def test_only_the_care_team_screens(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    outsider = make_staff(clinic, Role.PRESCRIBER)

    with pytest.raises(PermissionDenied):
        run_screening(actor=actor(outsider, clinic), course=course)
    with pytest.raises(PermissionDenied):
        run_screening(actor=actor(staff["front_desk"], clinic), course=course)


def test_a_closed_course_is_not_screened(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    therapist = actor(staff["therapist"], clinic)
    transition_course(actor=therapist, course=course, to="discontinued", reason="Moved away")

    with pytest.raises(ValidationError):
        run_screening(actor=therapist, course=course)


# --- Prescriber review ---------------------------------------------------------------------------


def test_a_prescriber_approves_after_review_and_the_decision_records_the_protocol_version(
    clinic, staff, client_record
):
    course, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = staff["prescriber"]

    decision = review_screening(
        actor=actor(prescriber, clinic), screening=screening, approve=True, **_sign(prescriber)
    )

    assert (decision.decision, decision.basis) == (
        Decision.ELIGIBLE,
        DecisionBasis.PRESCRIBER_REVIEW,
    )
    assert decision.protocol == screening.protocol
    assert decision.protocol.version == 1
    assert decision.decided_by == prescriber
    assert decision.signature_name == prescriber.full_name
    course.refresh_from_db()
    assert course.status == CourseStatus.AWAITING_CONSENT
    assert _gate(course).passed
    event = AuditEvent.objects.get(object_type="eligibilitydecision", object_id=str(decision.pk))
    assert event.actor == prescriber and event.client == client_record
    assert event.details["protocol_version"] == 1


def test_a_prescriber_may_decline_after_review(clinic, staff, client_record):
    course, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = staff["prescriber"]

    review_screening(
        actor=actor(prescriber, clinic), screening=screening, approve=False, **_sign(prescriber)
    )

    assert not _gate(course).passed
    assert course.status == CourseStatus.SCREENING


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.NURSE, Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_only_a_prescriber_decides_after_review(role, clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )

    with pytest.raises(PermissionDenied):
        review_screening(
            actor=actor(staff[role], clinic),
            screening=screening,
            approve=True,
            **_sign(staff[role]),
        )

    assert not EligibilityDecision.objects.exists()


def test_a_prescriber_off_the_care_team_cannot_decide(clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    outsider = make_staff(clinic, Role.PRESCRIBER)

    with pytest.raises(PermissionDenied):
        review_screening(
            actor=actor(outsider, clinic), screening=screening, approve=True, **_sign(outsider)
        )


def test_a_review_needs_a_reason_and_the_prescribers_own_name(clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )

    with pytest.raises(ValidationError) as refused:
        review_screening(
            actor=actor(staff["prescriber"], clinic),
            screening=screening,
            approve=True,
            reason="  ",
            signature_name="Somebody Else",
        )

    assert set(refused.value.message_dict) == {"reason", "signature_name"}
    assert not EligibilityDecision.objects.exists()


def test_a_screening_is_reviewed_once(clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = actor(staff["prescriber"], clinic)
    review_screening(
        actor=prescriber, screening=screening, approve=False, **_sign(staff["prescriber"])
    )

    with pytest.raises(ValidationError):
        review_screening(
            actor=prescriber, screening=screening, approve=True, **_sign(staff["prescriber"])
        )


def test_a_superseded_screening_cannot_be_decided(clinic, staff, client_record):
    # Given a screening awaiting review, then a re-screening after the intake revealed an aneurysm
    from kapcare.clients.services.pathway import save_intake

    course, old = screened_course(clinic=clinic, staff=staff, client=client_record, intake=RELATIVE)
    therapist = actor(staff["therapist"], clinic)
    save_intake(
        actor=therapist,
        client=client_record,
        data={**BENIGN_INTAKE, "conditions": ["bipolar_disorder", "aneurysm_avm"]},
    )
    newer = run_screening(actor=therapist, course=course)
    assert newer.outcome == "excluded"

    # When the prescriber tries to approve the older screening, then it is refused
    with pytest.raises(ValidationError):
        review_screening(
            actor=actor(staff["prescriber"], clinic),
            screening=old,
            approve=True,
            **_sign(staff["prescriber"]),
        )
    assert not _gate(course).passed
    assert list(pending_reviews(clinic.pk)) == []


# --- Override: the protocol's only path from excluded to eligible --------------------------------


def test_an_exclusion_is_not_reversed_by_a_review(clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_OVERRIDABLE
    )

    with pytest.raises(ValidationError):
        review_screening(
            actor=actor(staff["prescriber"], clinic),
            screening=screening,
            approve=True,
            **_sign(staff["prescriber"]),
        )


def test_a_prescriber_overrides_an_exclusion_the_protocol_allows_with_reason_and_signature(
    clinic, staff, client_record
):
    course, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_OVERRIDABLE
    )
    assert {f["rule_key"] for f in screening.findings} >= {"bp_very_high", "bp_elevated"}
    prescriber = staff["prescriber"]

    decision = override_exclusion(
        actor=actor(prescriber, clinic),
        screening=screening,
        reason="Repeat readings 132/84 after white-coat effect.",
        signature_name=prescriber.full_name,
    )

    assert (decision.decision, decision.basis) == (Decision.ELIGIBLE, DecisionBasis.OVERRIDE)
    assert _gate(course).passed
    # The automatic exclusion stays on record, superseded by the signed override.
    assert list(
        screening.decisions.order_by("decided_at", "id").values_list("basis", flat=True)
    ) == [
        DecisionBasis.ABSOLUTE,
        DecisionBasis.OVERRIDE,
    ]
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE,
        object_type="eligibilitydecision",
        object_id=str(decision.pk),
        actor=prescriber,
        details__reason="Repeat readings 132/84 after white-coat effect.",
    ).exists()


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.NURSE])
def test_only_a_prescriber_overrides(role, clinic, staff, client_record):
    course, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_OVERRIDABLE
    )

    with pytest.raises(PermissionDenied):
        override_exclusion(
            actor=actor(staff[role], clinic), screening=screening, **_sign(staff[role])
        )

    assert not _gate(course).passed


def test_override_is_refused_when_a_rule_allows_none(clinic, staff, client_record):
    course, screening = screened_course(
        clinic=clinic,
        staff=staff,
        client=client_record,
        intake={**ABSOLUTE_OVERRIDABLE, **ABSOLUTE_NO_OVERRIDE},
    )

    with pytest.raises(PermissionDenied, match="no override"):
        override_exclusion(
            actor=actor(staff["prescriber"], clinic),
            screening=screening,
            **_sign(staff["prescriber"]),
        )

    assert not _gate(course).passed
    assert screening.decisions.count() == 1


def test_an_override_needs_a_reason_and_signature(clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_OVERRIDABLE
    )

    with pytest.raises(ValidationError) as refused:
        override_exclusion(
            actor=actor(staff["prescriber"], clinic),
            screening=screening,
            reason="",
            signature_name="",
        )

    assert set(refused.value.message_dict) == {"reason", "signature_name"}
    assert screening.decisions.count() == 1


# --- Protocol versions ---------------------------------------------------------------------------


def _next_version_rules(protocol, **changes):
    rules = rules_as_dicts(protocol)
    for rule in rules:
        if rule["key"] in changes:
            rule.update(changes[rule["key"]])
    return rules


def test_a_new_protocol_version_fails_the_gate_until_the_client_is_screened_again(
    clinic, staff, client_record
):
    course, screening = screened_course(clinic=clinic, staff=staff, client=client_record)
    assert _gate(course).passed
    admin = actor(staff["clinic_admin"], clinic)

    v2 = publish_protocol(
        clinic=clinic,
        actor=admin,
        notes="Age 65+ is absolute here",
        rule_dicts=_next_version_rules(screening.protocol, age_65_plus={"kind": "absolute"}),
    )

    # The old decision keeps its version; the gate now asks for a new screening.
    old = screening.decisions.get()
    assert old.protocol.version == 1 and v2.version == 2
    gate = _gate(course)
    assert not gate.passed and "v1" in gate.reason and "v2" in gate.reason
    again = run_screening(actor=actor(staff["therapist"], clinic), course=course)
    assert again.protocol == v2
    assert _gate(course).passed


def test_deciding_on_a_screening_from_an_older_protocol_is_refused(clinic, staff, client_record):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    publish_protocol(
        clinic=clinic,
        actor=actor(staff["clinic_admin"], clinic),
        notes="tweak",
        rule_dicts=_next_version_rules(screening.protocol, cystitis={"kind": "absolute"}),
    )

    with pytest.raises(ValidationError, match="protocol has changed"):
        review_screening(
            actor=actor(staff["prescriber"], clinic),
            screening=screening,
            approve=True,
            **_sign(staff["prescriber"]),
        )


def test_publishing_checks_every_rule_and_saves_nothing_on_error(clinic, staff):
    admin = actor(staff["clinic_admin"], clinic)
    protocol = ensure_protocol(clinic=clinic)
    broken = _next_version_rules(protocol, cystitis={"condition": {"field": "age", "op": "~"}})
    duplicated = [*rules_as_dicts(protocol), rules_as_dicts(protocol)[0]]

    for rules in (broken, duplicated, []):
        with pytest.raises(ValidationError):
            publish_protocol(clinic=clinic, actor=admin, rule_dicts=rules, notes="x")

    assert list(ScreeningProtocol.objects.values_list("version", flat=True)) == [1]


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.NURSE, Role.FRONT_DESK])
def test_only_admins_and_prescribers_publish_protocols(role, clinic, staff):
    with pytest.raises(PermissionDenied):
        publish_protocol(clinic=clinic, actor=actor(staff[role], clinic), rule_dicts=DEFAULT_RULES)


def test_an_admin_cannot_publish_for_another_clinic(clinic, other_clinic, staff):
    with pytest.raises(PermissionDenied):
        publish_protocol(
            clinic=other_clinic,
            actor=actor(staff["clinic_admin"], clinic),
            rule_dicts=DEFAULT_RULES,
        )
    assert current_protocol(other_clinic.pk) is None


def test_each_clinic_has_its_own_protocol_versions(clinic, other_clinic, staff):
    mine = ensure_protocol(clinic=clinic)
    theirs = ensure_protocol(clinic=other_clinic)
    publish_protocol(
        clinic=clinic,
        actor=actor(staff["clinic_admin"], clinic),
        notes="v2",
        rule_dicts=_next_version_rules(mine, cystitis={"kind": "absolute"}),
    )

    assert current_protocol(clinic.pk).version == 2
    assert current_protocol(other_clinic.pk) == theirs


def test_clients_at_another_clinic_are_screened_under_their_own_clinics_protocol(other_clinic):
    prescriber = make_staff(other_clinic, Role.PRESCRIBER)
    someone = ClientFactory(clinic=other_clinic)
    put_on_team(someone, prescriber, Role.PRESCRIBER)
    staff = {"therapist": prescriber}

    _, screening = screened_course(clinic=other_clinic, staff=staff, client=someone)

    assert screening.protocol.clinic == other_clinic


def test_a_re_screening_that_needs_review_fails_the_gate_until_a_prescriber_decides(
    clinic, staff, client_record
):
    # Given a client found eligible with no findings
    from kapcare.clients.services.pathway import save_intake

    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    assert _gate(course).passed

    # When the intake later reveals a relative contraindication and the client is screened again
    therapist = actor(staff["therapist"], clinic)
    save_intake(actor=therapist, client=client_record, data={**BENIGN_INTAKE, **RELATIVE})
    again = run_screening(actor=therapist, course=course)

    # Then the earlier "eligible" no longer counts: the gate waits for the prescriber
    assert again.outcome == "review"
    gate = _gate(course)
    assert not gate.passed and "No eligibility decision" in gate.reason
    review_screening(
        actor=actor(staff["prescriber"], clinic),
        screening=again,
        approve=True,
        **_sign(staff["prescriber"]),
    )
    assert _gate(course).passed
