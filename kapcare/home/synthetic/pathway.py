"""A client and the pathway up to dosing: the client row and care team, intake, screening
(judged by the protocol's real rules), the eligibility decision, consent, the course with its
status history, and the signed preparation and integration notes."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from kapcare.accounts.models import Role
from kapcare.clients.models import CareTeamMember, Client, ClientStatus, Intake
from kapcare.consent.models import ConsentSignature
from kapcare.courses.models import (
    CourseStatus,
    CourseStatusChange,
    NoteKind,
    TreatmentCourse,
)
from kapcare.home.demo_pathway import PREPARATION
from kapcare.home.synthetic.audit import AuditTrail
from kapcare.home.synthetic.clinics import ClinicSetup, StaffMember
from kapcare.home.synthetic.names import client_identity
from kapcare.home.synthetic.notes import Notes
from kapcare.home.synthetic.sink import Sink
from kapcare.home.synthetic.stories import Story
from kapcare.screening import rules as screening_rules
from kapcare.screening.models import (
    Decision,
    DecisionBasis,
    EligibilityDecision,
    Screening,
)

INTAKES = {
    "clear": {
        "conditions": [],
        "current_medications": "sertraline 100 mg daily",
        "suicide_risk": "low",
    },
    "review": {
        "conditions": [],
        "current_medications": "sertraline 150 mg daily\nlorazepam 0.5 mg as needed",
        "suicide_risk": "low",
    },
    "excluded": {
        "conditions": ["psychosis_current"],
        "current_medications": "",
        "suicide_risk": "moderate",
    },
}
STATUS_OF_CLIENT = {
    CourseStatus.SCREENING: ClientStatus.PROSPECTIVE,
    CourseStatus.AWAITING_CONSENT: ClientStatus.PROSPECTIVE,
    CourseStatus.PREPARATION: ClientStatus.ACTIVE,
    CourseStatus.ACTIVE: ClientStatus.ACTIVE,
    CourseStatus.PAUSED: ClientStatus.ON_HOLD,
    CourseStatus.COMPLETED: ClientStatus.DISCHARGED,
    CourseStatus.DISCONTINUED: ClientStatus.DISCHARGED,
}


@dataclass
class Generated:
    """The ids one client's rows were given, for the domains written after the pathway."""

    client_id: int
    course_id: int
    therapist: StaffMember
    nurse: StaffMember
    prescriber: StaffMember
    weight_kg: Decimal
    baseline_bp: tuple[int, int]
    session_ids: dict[int, int] = field(default_factory=dict)


class Pathway:
    def __init__(self, setup: ClinicSetup, sink: Sink, trail: AuditTrail, rng: random.Random):
        self.setup, self.sink, self.trail, self.rng = setup, sink, trail, rng
        self.therapists = setup.of_role("therapist")
        self.nurses = setup.of_role("nurse")
        self.prescribers = setup.of_role("prescriber")
        self.frontdesk = setup.staff["frontdesk"]
        self._screen_cache: dict[tuple, tuple] = {}
        self.notes = Notes(setup, sink, trail, rng)

    def client(self, story: Story, index: int) -> Generated:
        rng, sink, trail, setup = self.rng, self.sink, self.trail, self.setup
        clinic_id = setup.clinic.pk
        who = client_identity(rng, index)
        client_id = sink.add(
            Client,
            clinic_id=clinic_id,
            first_name=who.first_name,
            last_name=who.last_name,
            preferred_name="",
            date_of_birth=who.date_of_birth,
            pronouns=who.pronouns,
            email=who.email,
            phone=who.phone,
            address="",
            emergency_contact_name=who.emergency_name,
            emergency_contact_relationship=who.emergency_relationship,
            emergency_contact_phone=who.emergency_phone,
            status=STATUS_OF_CLIENT[story.status],
            created_at=story.opened_at - dt.timedelta(days=1),
            updated_at=story.closed_at or story.opened_at,
        )
        trail.created(
            story.opened_at - dt.timedelta(days=1),
            self.frontdesk.id,
            "client",
            client_id,
            "Added a client",
            client_id,
        )
        made = Generated(
            client_id=client_id,
            course_id=0,
            therapist=self.therapists[index % len(self.therapists)],
            nurse=self.nurses[index % len(self.nurses)],
            prescriber=self.prescribers[index % len(self.prescribers)],
            weight_kg=Decimal(rng.randint(480, 1100)) / 10,
            baseline_bp=(rng.randint(108, 134), rng.randint(66, 84)),
        )
        for member, role in (
            (made.therapist, Role.THERAPIST),
            (made.prescriber, Role.PRESCRIBER),
            (made.nurse, Role.NURSE),
        ):
            sink.add(
                CareTeamMember,
                clinic_id=clinic_id,
                client_id=client_id,
                user_id=member.id,
                role=role,
                added_at=story.opened_at,
            )
        made.course_id = self._course(story, made)
        self._screening(story, made, who.date_of_birth)
        if story.consent_at:
            self._consent(story, made, f"{who.first_name} {who.last_name}")
        if story.prep_note_at:
            self.notes.note(
                story,
                made,
                NoteKind.PREPARATION,
                story.prep_note_at,
                PREPARATION,
                signed=story.prep_note_signed,
            )
        return made

    def _course(self, story: Story, made: Generated) -> int:
        sink, setup = self.sink, self.setup
        course_id = sink.add(
            TreatmentCourse,
            clinic_id=setup.clinic.pk,
            client_id=made.client_id,
            condition=story.condition,
            status=story.status,
            opened_at=story.opened_at,
            closed_at=story.closed_at if story.status in ("completed", "discontinued") else None,
        )
        self.trail.created(
            story.opened_at,
            self.frontdesk.id,
            "treatmentcourse",
            course_id,
            "Opened a treatment course",
            made.client_id,
        )
        steps = [("", CourseStatus.SCREENING, story.opened_at, self.frontdesk.id, "")]
        if (story.decided_at and story.status != CourseStatus.DISCONTINUED) or story.consent_at:
            steps.append(
                (CourseStatus.SCREENING, CourseStatus.AWAITING_CONSENT, story.decided_at, None, "")
            )
        if story.consent_at:
            steps.append(
                (
                    CourseStatus.AWAITING_CONSENT,
                    CourseStatus.PREPARATION,
                    story.consent_at,
                    None,
                    "",
                )
            )
        if story.active_at:
            steps.append((CourseStatus.PREPARATION, CourseStatus.ACTIVE, story.active_at, None, ""))
        last = steps[-1][1]
        if story.status == CourseStatus.PAUSED:
            steps.append(
                (last, CourseStatus.PAUSED, story.paused_at, made.therapist.id, story.close_reason)
            )
        elif story.status in (CourseStatus.COMPLETED, CourseStatus.DISCONTINUED):
            steps.append(
                (last, story.status, story.closed_at, made.therapist.id, story.close_reason)
            )
        for from_status, to_status, at, by, reason in steps:
            sink.add(
                CourseStatusChange,
                course_id=course_id,
                from_status=from_status,
                to_status=to_status,
                reason=reason,
                changed_by_id=by,
                changed_at=at,
            )
            if from_status:
                self.trail.add(
                    at,
                    by,
                    "update",
                    "treatmentcourse",
                    course_id,
                    f"Course {from_status} → {to_status}",
                    made.client_id,
                    {"from": from_status, "to": to_status},
                )
        return course_id

    def _screening(self, story: Story, made: Generated, born: dt.date) -> None:
        if story.intake_at is None:
            return
        sink, setup = self.sink, self.setup
        template = INTAKES[story.screening_kind]
        # The intake's blood pressure is the template's: screening judges one of a few intakes
        # (cached by age), the sessions' readings vary around the client's own baseline.
        systolic, diastolic = (146, 88) if story.screening_kind == "review" else (124, 80)
        sink.add(
            Intake,
            clinic_id=setup.clinic.pk,
            client_id=made.client_id,
            conditions=template["conditions"],
            medical_history_notes="",
            psychiatric_history_notes="Major depressive disorder, recurrent.",
            current_medications=template["current_medications"],
            allergies="none known",
            substance_use="",
            pregnancy_status="not_applicable",
            suicide_risk=template["suicide_risk"],
            baseline_systolic=systolic,
            baseline_diastolic=diastolic,
            baseline_heart_rate=72,
            weight_kg=made.weight_kg,
            completed_at=story.intake_at,
            completed_by_client=False,
            completed_by_id=made.therapist.id,
        )
        age = screening_rules.age_on(born, story.screened_at.date())
        facts = {
            "age": age,
            "conditions": sorted(template["conditions"]),
            "medications": [m for m in template["current_medications"].splitlines() if m],
            "substance_use": "",
            "pregnancy_status": "not_applicable",
            "suicide_risk": template["suicide_risk"],
            "baseline_systolic": systolic,
            "baseline_diastolic": diastolic,
            "baseline_heart_rate": 72,
            "weight_kg": str(made.weight_kg),
        }
        findings, waiting, outcome = self._screen(story.screening_kind, facts)
        protocol_id = setup.screening_protocol.pk
        screening_id = sink.add(
            Screening,
            clinic_id=setup.clinic.pk,
            client_id=made.client_id,
            course_id=made.course_id,
            protocol_id=protocol_id,
            facts=facts,
            findings=findings,
            unmeasured=waiting,
            outcome=outcome,
            screened_at=story.screened_at,
            screened_by_id=made.therapist.id,
        )
        self.trail.created(
            story.screened_at,
            made.therapist.id,
            "screening",
            screening_id,
            f"Screened under protocol v{setup.screening_protocol.version}: {outcome}",
            made.client_id,
        )
        if story.decided_at is None:
            return
        if outcome == "excluded":
            decision, basis, by, reason, signed = (
                Decision.NOT_ELIGIBLE,
                DecisionBasis.ABSOLUTE,
                made.therapist,
                "",
                "",
            )
        elif outcome == "clear":
            decision, basis, by, reason, signed = (
                Decision.ELIGIBLE,
                DecisionBasis.NO_FINDINGS,
                made.therapist,
                "",
                "",
            )
        else:
            by = made.prescriber
            decision, basis = Decision.ELIGIBLE, DecisionBasis.PRESCRIBER_REVIEW
            reason, signed = "Reviewed; benefits outweigh risks.", by.full_name
        decision_id = sink.add(
            EligibilityDecision,
            clinic_id=setup.clinic.pk,
            client_id=made.client_id,
            course_id=made.course_id,
            screening_id=screening_id,
            protocol_id=protocol_id,
            decision=decision,
            basis=basis,
            reason=reason,
            decided_by_id=by.id,
            signature_name=signed,
            decided_at=story.decided_at,
        )
        self.trail.created(
            story.decided_at,
            by.id,
            "eligibilitydecision",
            decision_id,
            f"Eligibility: {decision} ({basis})",
            made.client_id,
        )

    def _screen(self, kind: str, facts: dict) -> tuple[list, list, str]:
        key = (kind, facts["age"], facts["baseline_systolic"], facts["baseline_diastolic"])
        if key not in self._screen_cache:
            rules = self.setup.screening_rules
            findings = screening_rules.screen(rules, facts)
            waiting = screening_rules.unmeasured(rules, facts)
            self._screen_cache[key] = (
                [f.as_dict() for f in findings],
                [w.as_dict() for w in waiting],
                screening_rules.outcome_of(findings, waiting),
            )
        return self._screen_cache[key]

    def _consent(self, story: Story, made: Generated, full_name: str) -> None:
        setup = self.setup
        signature_id = self.sink.add(
            ConsentSignature,
            clinic_id=setup.clinic.pk,
            client_id=made.client_id,
            document_id=setup.consent.pk,
            typed_name=full_name,
            agreed=True,
            text_sha256=setup.consent_sha256,
            signed_at=story.consent_at,
            ip_address=None,
            user_agent="",
            witnessed_by_id=self.frontdesk.id,
        )
        self.trail.created(
            story.consent_at,
            self.frontdesk.id,
            "consentsignature",
            signature_id,
            f"Consent version {setup.consent.version} signed",
            made.client_id,
            {"sha256": setup.consent_sha256},
        )
