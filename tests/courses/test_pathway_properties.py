"""Property test over the course state machine: whatever sequence of service calls staff make,
a course is ready for dosing only when every precondition really holds in the database."""

from contextlib import suppress

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.services.pathway import save_intake
from kapcare.consent.models import ConsentDocument, ConsentSignature
from kapcare.consent.services import ensure_document, publish_document, sign_consent, text_sha256
from kapcare.courses.gates import dosing_gates, pathway_complete, ready_for_dosing
from kapcare.courses.models import ClinicalNote, CourseStatus, NoteKind
from kapcare.courses.services import open_course, transition_course
from kapcare.courses.services.notes import create_note, sign_note
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.models import EligibilityDecision, Screening, ScreeningProtocol
from kapcare.screening.services import (
    ensure_protocol,
    override_exclusion,
    publish_protocol,
    review_screening,
    run_screening,
)
from tests.factories import ClientFactory, ClinicFactory, make_staff, put_on_team
from tests.pathway import BENIGN_INTAKE, COMPLETE_PREPARATION

REFUSED = (ValidationError, PermissionDenied)
HISTORY = st.lists(
    st.sampled_from(
        ["aneurysm_avm", "bipolar_disorder", "hepatic_impairment", "psychosis_current"]
    ),
    max_size=2,
    unique=True,
)
PREP_FIELDS = st.sets(st.sampled_from(sorted(COMPLETE_PREPARATION)))


def independently_ready(course) -> list[str]:
    """What the database says is missing, computed without the gate functions."""
    problems = []
    decision = (
        EligibilityDecision.objects.filter(course=course).order_by("-decided_at", "-id").first()
    )
    protocol = ScreeningProtocol.objects.filter(clinic=course.clinic).order_by("-version").first()
    if decision is None or decision.decision != "eligible" or decision.protocol_id != protocol.pk:
        problems.append("eligibility")
    document = ConsentDocument.objects.filter(clinic=course.clinic).order_by("-version").first()
    signature = (
        ConsentSignature.objects.filter(client=course.client).order_by("-signed_at", "-id").first()
    )
    if (
        document is None
        or signature is None
        or signature.document_id != document.pk
        or signature.withdrawn_at
    ):
        problems.append("consent")
    signed = ClinicalNote.objects.filter(course=course, kind="preparation", status="signed")
    needed = [
        "psychoeducation_given",
        "intentions",
        "safety_warning_signs",
        "safety_coping_steps",
        "safety_contacts",
        "safety_crisis_line",
        "escort_name",
        "ride_home_plan",
    ]
    if not all(any(note.content.get(f) for note in signed) for f in needed):
        problems.append("preparation")
    course.refresh_from_db()
    if course.status != CourseStatus.ACTIVE:
        problems.append("status")
    return problems


class Pathway(RuleBasedStateMachine):
    ready_seen = 0  # how often a run reached "ready", so the property is not vacuous

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clinic = ClinicFactory()
        self.users = {role: make_staff(self.clinic, role) for role in Role.values}
        self.client = ClientFactory(clinic=self.clinic)
        for role in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE):
            put_on_team(self.client, self.users[role], role)
        self.actors = {role: Actor.for_user(u, self.clinic) for role, u in self.users.items()}
        self.course = open_course(
            actor=self.actors[Role.THERAPIST], client=self.client, condition="depression"
        )
        ensure_protocol(clinic=self.clinic)

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @rule(history=HISTORY, systolic=st.sampled_from([118, 150, 185]))
    def fill_intake(self, history, systolic):
        save_intake(
            actor=self.actors[Role.THERAPIST],
            client=self.client,
            data={**BENIGN_INTAKE, "conditions": history, "baseline_systolic": systolic},
        )

    @rule()
    def walk_the_usual_path(self):
        """Benign intake, screening, consent and a full preparation session, in one step, so
        that runs often reach a ready course and the other rules can then disturb it."""
        self.fill_intake(history=[], systolic=118)
        self.screen()
        self.sign_consent()
        self.preparation_session(complete=True, fields=set())

    @rule()
    def screen(self):
        with suppress(*REFUSED):
            run_screening(actor=self.actors[Role.THERAPIST], course=self.course)

    @rule(approve=st.booleans(), role=st.sampled_from([Role.PRESCRIBER, Role.THERAPIST]))
    def review(self, approve, role):
        screening = Screening.objects.filter(course=self.course).order_by("-id").first()
        if screening is None:
            return
        user = self.users[role]
        with suppress(*REFUSED):
            review_screening(
                actor=self.actors[role],
                screening=screening,
                approve=approve,
                reason="Reviewed with the client",
                signature_name=user.full_name,
            )

    @rule()
    def override(self):
        screening = Screening.objects.filter(course=self.course).order_by("-id").first()
        if screening is None:
            return
        with suppress(*REFUSED):
            override_exclusion(
                actor=self.actors[Role.PRESCRIBER],
                screening=screening,
                reason="BP re-measured",
                signature_name=self.users[Role.PRESCRIBER].full_name,
            )

    @rule()
    def publish_new_protocol(self):
        publish_protocol(
            clinic=self.clinic,
            rule_dicts=DEFAULT_RULES,
            actor=self.actors[Role.CLINIC_ADMIN],
            notes="re-published",
        )

    @rule()
    def sign_consent(self):
        document = ensure_document(clinic=self.clinic)
        with suppress(*REFUSED):
            sign_consent(
                actor=self.actors[Role.FRONT_DESK],
                client=self.client,
                document=document,
                typed_name=self.client.full_name,
                agreed=True,
                shown_sha256=text_sha256(document),
            )

    @rule()
    def withdraw_consent(self):
        from kapcare.consent.services import withdraw_consent

        withdraw_consent(
            actor=self.actors[Role.FRONT_DESK],
            client=self.client,
            requested_via="in_person",
            reason="Changed mind",
            confirmed=True,
        )
        gate = next(g for g in dosing_gates(self.course) if g.key == "consent")
        assert not gate.passed

    @rule()
    def publish_consent_version(self):
        publish_document(
            clinic=self.clinic,
            title="KAP consent",
            body="New wording. " * 30,
            actor=self.actors[Role.CLINIC_ADMIN],
        )
        gate = next(g for g in dosing_gates(self.course) if g.key == "consent")
        assert not gate.passed

    @rule(complete=st.booleans(), fields=PREP_FIELDS)
    def preparation_session(self, complete, fields):
        content = COMPLETE_PREPARATION if complete else {f: COMPLETE_PREPARATION[f] for f in fields}
        with suppress(*REFUSED):
            note = create_note(
                actor=self.actors[Role.THERAPIST],
                course=self.course,
                kind=NoteKind.PREPARATION,
                session_date=self.clinic.today(),
                content=content,
            )
            sign_note(actor=self.actors[Role.THERAPIST], note=note)

    @rule(
        to=st.sampled_from(CourseStatus.values),
        reason=st.sampled_from(["", "Client asked"]),
        role=st.sampled_from([Role.THERAPIST, Role.FRONT_DESK]),
    )
    def change_status(self, to, reason, role):
        with suppress(*REFUSED):
            transition_course(actor=self.actors[role], course=self.course, to=to, reason=reason)

    @invariant()
    def ready_only_when_everything_holds(self):
        self.course.refresh_from_db()
        # The pathway's gates are what these services can satisfy; the gates other apps add
        # (pre-dose checks, order, stock) only make `ready_for_dosing` stricter.
        if pathway_complete(self.course):
            Pathway.ready_seen += 1
            assert independently_ready(self.course) == []
        elif ready_for_dosing(self.course):
            raise AssertionError("ready for dosing while a pathway gate fails")


@pytest.mark.django_db
def test_no_sequence_of_service_calls_bypasses_a_precondition():
    Pathway.ready_seen = 0
    run_state_machine_as_test(
        Pathway,
        settings=settings(
            max_examples=60,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert Pathway.ready_seen > 0, "no run reached a ready course: the rules need tuning"
