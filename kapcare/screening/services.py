"""Writes for screening: protocol versions, running the rules, and eligibility decisions."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.accounts.signatures import typed_name_matches
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import CareTeamMember, Intake
from kapcare.clients.permissions import ClientAction, can
from kapcare.core.site import absolute_url
from kapcare.core.versioning import ensure_current, publish
from kapcare.courses.models import CourseStatus, TreatmentCourse
from kapcare.courses.services import advance_course
from kapcare.courses.states import CLOSED
from kapcare.screening import rules
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.facts import intake_facts
from kapcare.screening.models import (
    ContraindicationRule,
    Decision,
    DecisionBasis,
    EligibilityDecision,
    RuleKind,
    Screening,
    ScreeningOutcome,
    ScreeningProtocol,
)
from kapcare.screening.selectors import current_protocol, latest_screening, rules_as_dicts


def ensure_protocol(*, clinic: Clinic) -> ScreeningProtocol:
    """The clinic's current protocol; version 1 from the FACTS.md defaults if it has none."""
    return ensure_current(
        ScreeningProtocol,
        clinic=clinic,
        publish_defaults=lambda: publish_protocol(
            clinic=clinic,
            rule_dicts=DEFAULT_RULES,
            actor=None,
            notes="kapcare defaults (ketamine screening consensus)",
            only_if_first=True,
        ),
    )


@transaction.atomic
def publish_protocol(
    *,
    clinic: Clinic,
    rule_dicts: list[dict],
    actor: Actor | None,
    notes: str = "",
    based_on_version: str | None = None,
    only_if_first: bool = False,
) -> ScreeningProtocol:
    """Publish a new protocol version. Every condition is validated first; nothing is saved
    if one is malformed. Earlier versions stay as they were. With `based_on_version` (the
    version the editor showed), raises ConcurrentChange when another version was published
    since, rule by rule, instead of silently replacing it. `only_if_first`: see
    kapcare.core.versioning.publish."""
    actor = actor or Actor.system(clinic)

    def build(latest: ScreeningProtocol | None) -> ScreeningProtocol:
        _validate_rules(rule_dicts)
        return ScreeningProtocol(notes=notes)

    def conflict(latest: ScreeningProtocol) -> dict:
        shown = rules_as_dicts(latest)
        return {
            "current": {rule["key"]: _rule_summary(rule) for rule in shown},
            "yours": {rule["key"]: _rule_summary(rule) for rule in rule_dicts},
            "labels": {rule["key"]: rule["label"] for rule in [*shown, *rule_dicts]},
        }

    def save_rules(protocol: ScreeningProtocol) -> None:
        ContraindicationRule.objects.bulk_create(
            ContraindicationRule(
                protocol=protocol,
                position=index,
                **{field: rule[field] for field in RULE_FIELDS},
            )
            for index, rule in enumerate(rule_dicts)
        )

    return publish(
        ScreeningProtocol,
        clinic=clinic,
        actor=actor,
        roles=(Role.CLINIC_ADMIN, Role.PRESCRIBER),
        refusal=_("Clinic admins and prescribers publish screening protocols."),
        build=build,
        expected_version=based_on_version,
        conflict=conflict,
        save_rows=save_rules,
        only_if_first=only_if_first,
    )


def _validate_rules(rule_dicts: list[dict]) -> None:
    if not rule_dicts:
        raise ValidationError(_("A protocol needs at least one rule."))
    seen: set[str] = set()
    for rule in rule_dicts:
        try:
            rules.validate_condition(rule["condition"])
        except rules.InvalidCondition as error:
            raise ValidationError({"condition": f"{rule.get('key')}: {error}"}) from error
        if rule["kind"] not in rules.SEVERITY:
            raise ValidationError({"kind": f"{rule.get('key')}: unknown kind {rule['kind']!r}"})
        if rule["key"] in seen:
            # Would otherwise surface as an IntegrityError from the unique constraint.
            raise ValidationError({"key": _("Rule %(key)s appears twice.") % {"key": rule["key"]}})
        seen.add(rule["key"])


RULE_FIELDS = ("key", "label", "kind", "condition", "rationale", "source", "override_allowed")


def _rule_summary(rule: dict) -> str:
    """One rule as the editor sets it, for the side-by-side view of a concurrent change."""
    kind = dict(RuleKind.choices).get(rule["kind"], rule["kind"])
    override = _("override allowed") if rule["override_allowed"] else _("no override")
    return f"{kind} · {override}"


def _require_clinical(actor: Actor, client) -> None:
    if not can(actor, ClientAction.VIEW_CLINICAL, client):
        raise PermissionDenied(_("Only the client's care team screens them."))


@transaction.atomic
def run_screening(*, actor: Actor, course: TreatmentCourse) -> Screening:
    """Evaluate the clinic's current protocol against the client's intake.

    No findings → eligible at once; an absolute finding → not eligible at once (only the
    protocol's override path can change that); relative findings → a prescriber decides; a rule
    that needs a measurement the intake lacks (blood pressure not measured yet) → no decision
    until it is measured and the client is screened again."""
    client = course.client
    _require_clinical(actor, client)
    if course.status in CLOSED:
        raise ValidationError(_("This course is closed; open a new one to screen again."))
    intake = Intake.objects.filter(client=client).first()
    if intake is None:
        raise ValidationError(_("Complete the intake before screening."), code="intake_missing")
    return _screen(actor=actor, course=course, intake=intake)


def _screen(*, actor: Actor, course: TreatmentCourse, intake: Intake) -> Screening:
    client = course.client
    protocol = ensure_protocol(clinic=client.clinic)
    facts = intake_facts(intake, client, client.clinic.today())
    protocol_rules = rules_as_dicts(protocol)
    findings = rules.screen(protocol_rules, facts)
    waiting = rules.unmeasured(protocol_rules, facts)
    outcome = rules.outcome_of(findings, waiting)
    screening = Screening.objects.create(
        clinic=client.clinic,
        client=client,
        course=course,
        protocol=protocol,
        facts=facts,
        findings=[f.as_dict() for f in findings],
        unmeasured=[w.as_dict() for w in waiting],
        outcome=outcome,
        screened_by=actor.user,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=screening,
        summary=(
            _("Screened under protocol v%(v)s: %(outcome)s")
            if actor.user
            else _("Screened automatically under protocol v%(v)s: %(outcome)s")
        )
        % {"v": protocol.version, "outcome": outcome},
        details={
            "findings": [f.rule_key for f in findings],
            "unmeasured": [w.rule_key for w in waiting],
        },
    )
    if outcome == ScreeningOutcome.CLEAR:
        _decide(actor, screening, Decision.ELIGIBLE, DecisionBasis.NO_FINDINGS)
    elif outcome == ScreeningOutcome.EXCLUDED:
        _decide(actor, screening, Decision.NOT_ELIGIBLE, DecisionBasis.ABSOLUTE)
    return screening


@transaction.atomic
def screen_completed_intake(*, actor: Actor, intake: Intake) -> Screening | None:
    """Registered with kapcare.clients.intake_hooks: a completed intake (by the client through
    a link, or entered by staff) is screened at once under the clinic's current protocol, when
    the client has a course waiting for screening, and the client's care team is told — on
    their home page ("Needs you now") and by an e-mail that holds no clinical details.

    kapcare itself screens (no user; the audit row keeps the request's address), so it runs
    whoever completed the intake: front desk entering it, or the client at home."""
    course = (
        TreatmentCourse.objects.select_for_update()
        .filter(client=intake.client, status=CourseStatus.SCREENING)
        .order_by("-opened_at", "-id")
        .first()
    )
    if course is None:
        return None
    kapcare = dataclasses.replace(
        Actor.system(intake.client.clinic),
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        request_id=actor.request_id or "system",
    )
    screening = _screen(actor=kapcare, course=course, intake=intake)
    _email_care_team_intake_screened(screening)
    return screening


def _email_care_team_intake_screened(screening: Screening) -> None:
    """After commit: tell the care team where to look. No name, answer or result: an e-mail
    is not a safe place for health information."""
    addresses = sorted(
        set(
            CareTeamMember.objects.filter(
                client_id=screening.client_id, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    )
    if not addresses:
        return
    path = absolute_url(reverse("screening:overview", args=[screening.client_id]))
    subject = _("kapcare: an intake form is complete")
    body = _(
        "A client on your care team at %(clinic)s has completed their intake form, and kapcare "
        "has screened it. Please sign in to kapcare to see what needs you: %(path)s\n\n"
        "This message holds no client details on purpose."
    ) % {"clinic": screening.clinic.name, "path": path}
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses))


def _decide(actor, screening, decision, basis, reason="", signature_name=""):
    made = EligibilityDecision.objects.create(
        clinic=screening.clinic,
        client=screening.client,
        course=screening.course,
        screening=screening,
        protocol=screening.protocol,
        decision=decision,
        basis=basis,
        reason=reason,
        signature_name=signature_name,
        decided_by=actor.user,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=screening.client,
        obj=made,
        summary=_("Eligibility: %(d)s (%(b)s)") % {"d": decision, "b": basis},
        details={"protocol_version": screening.protocol.version, "reason": reason},
    )
    if decision == Decision.ELIGIBLE:
        advance_course(actor=actor, course=screening.course)
    return made


def _check_still_current(screening: Screening) -> None:
    """A decision is only ever made on the course's latest screening under the clinic's current
    protocol. The eligibility gate reads the newest decision, so deciding on a superseded
    screening would silently replace the newer screening's result (e.g. approve a client whom a
    later screening excluded)."""
    latest = latest_screening(screening.course)
    if latest is None or latest.pk != screening.pk:
        raise ValidationError(_("A newer screening exists for this course; decide on that one."))
    protocol = current_protocol(screening.clinic_id)
    if protocol is None or protocol.pk != screening.protocol_id:
        raise ValidationError(
            _("The screening protocol has changed since this screening. Screen again.")
        )


def _check_prescriber_signature(
    actor: Actor, screening: Screening, reason: str, signature_name: str
) -> None:
    if not actor.has_role(Role.PRESCRIBER):
        raise PermissionDenied(_("Only a prescriber decides eligibility after review."))
    assert actor.user is not None  # a prescriber is a person: the system actor has no roles
    _require_clinical(actor, screening.client)
    errors = {}
    if not reason.strip():
        errors["reason"] = _("Give the clinical reason for this decision.")
    if not typed_name_matches(signature_name, actor.user.full_name):
        errors["signature_name"] = _(
            "Type your full name exactly as on your account (%(name)s)."
        ) % {"name": actor.user.full_name}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def review_screening(
    *, actor: Actor, screening: Screening, approve: bool, reason: str, signature_name: str
) -> EligibilityDecision:
    """A prescriber's signed decision on a screening with relative contraindications."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.outcome != ScreeningOutcome.REVIEW:
        raise ValidationError(_("Only screenings that need review are decided this way."))
    _check_prescriber_signature(actor, screening, reason, signature_name)
    if screening.decisions.exists():
        raise ValidationError(
            _("This screening already has a decision. Screen again to revisit it.")
        )
    _check_still_current(screening)
    return _decide(
        actor,
        screening,
        Decision.ELIGIBLE if approve else Decision.NOT_ELIGIBLE,
        DecisionBasis.PRESCRIBER_REVIEW,
        reason.strip(),
        signature_name.strip(),
    )


@transaction.atomic
def override_exclusion(
    *, actor: Actor, screening: Screening, reason: str, signature_name: str
) -> EligibilityDecision:
    """The protocol's own override path for absolute contraindications: allowed only when every
    absolute finding's rule permits an override, by a prescriber, with a reason; audited."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.outcome != ScreeningOutcome.EXCLUDED:
        raise ValidationError(_("Only an exclusion can be overridden."))
    blocking = [
        f for f in screening.findings if f["kind"] == "absolute" and not f["override_allowed"]
    ]
    if blocking:
        raise PermissionDenied(
            _("The protocol allows no override for: %(rules)s.")
            % {"rules": ", ".join(f["label"] for f in blocking)}
        )
    _check_prescriber_signature(actor, screening, reason, signature_name)
    if screening.decisions.filter(basis=DecisionBasis.OVERRIDE).exists():
        raise ValidationError(_("This exclusion has already been overridden."))
    _check_still_current(screening)
    # The automatic exclusion stays on record, superseded by this later, signed decision.
    return _decide(
        actor,
        screening,
        Decision.ELIGIBLE,
        DecisionBasis.OVERRIDE,
        reason.strip(),
        signature_name.strip(),
    )
