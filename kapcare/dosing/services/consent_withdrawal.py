"""What a withdrawal of consent does to the client's dosing sessions (issue 10, item 5).

The decision (FACTS.md §6.3, "Right to stop": the client may withdraw at any time; §4.4 and
§4.5: monitoring after a dose and the discharge criteria protect the client whatever happens):

- A session **not yet dosed** (checked in, pre-dose checks) is stopped at once: aborted, with
  the withdrawal as its reason. No dose can follow, and nobody is left at a step that could
  only fail at the consent gate.
- A session **already dosed** (dosing, monitoring) carries on to discharge: vital signs,
  alerts, adverse events, rescue medication and discharge all stay possible, because the client
  still needs them. No further dose can be given: the consent gate fails for every
  administration from the moment of withdrawal. A running infusion is stopped by the nurse at
  the chair (ending the dose or stopping the session as clinically right); the live page shows
  that consent was withdrawn, and the session's revision moves so its polled panel updates.
- A session that is only **scheduled** is left as it is: the consent gate blocks its dose
  unless the client signs again, and the withdrawal page lists nothing to stop for it.

Withdrawing is done by whoever records it (front desk, admin, clinician), so stopping a
session here does not need the chair roles that `abort_session` asks of someone at the chair:
the authority is the withdrawal itself, recorded in the same transaction.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.consent.selectors import latest_signature
from kapcare.consent.withdrawal import LiveSessionNotice, register_withdrawal_effect
from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.dosing.services.common import audit, lock_session, transition_session
from kapcare.dosing.states import AFTER_DOSE, AWAITING_DOSE, LIVE

S = DosingStatus


def _in_progress(client):
    return DosingSession.objects.filter(
        clinic_id=client.clinic_id, client=client, status__in=LIVE
    ).order_by("pk")


def describe(client) -> list[LiveSessionNotice]:
    """Each session in progress for the client, and what withdrawing now would do to it."""
    notices = []
    for session in _in_progress(client):
        label = _("Dosing session %(n)s is in progress: %(s)s.") % {
            "n": session.number,
            "s": session.get_status_display().lower(),
        }
        if session.dose_started_at:
            label += " " + _("The dose started at %(t)s.") % {
                "t": timezone.localtime(session.dose_started_at).strftime("%H:%M")
            }
        if session.status in AWAITING_DOSE:
            effect = _("No dose has been given: withdrawing stops this session now.")
        else:
            effect = _(
                "The dose has been given: monitoring continues until discharge, and no "
                "further dose can be given. Tell the nurse at the chair."
            )
        url = reverse("dosing:live", args=[session.client_id, session.pk])
        notices.append(LiveSessionNotice(label=label, effect=effect, url=url))
    return notices


def apply(actor: Actor, client, reason: str) -> list[str]:
    """Inside the withdrawal's transaction: stop sessions not yet dosed; mark dosed ones."""

    done = []
    for session in _in_progress(client):
        session = lock_session(session)  # bumps the revision: the live page's panel updates
        if session.status in AWAITING_DOSE:
            why = _("Consent withdrawn: %(r)s") % {"r": reason}
            session.aborted_at, session.abort_reason = timezone.now(), why
            session.save(update_fields=["aborted_at", "abort_reason"])
            transition_session(
                actor=actor, session=session, to=S.ABORTED, reason=why, at=session.aborted_at
            )
            done.append(_("Dosing session %(n)s stopped before any dose.") % {"n": session.number})
        elif session.status in AFTER_DOSE:
            audit(
                actor,
                session,
                AuditAction.UPDATE,
                _(
                    "Consent withdrawn during dosing session %(n)s: monitoring continues to "
                    "discharge; no further dose."
                )
                % {"n": session.number},
                {"reason": reason},
            )
            done.append(
                _("Dosing session %(n)s continues monitoring to discharge.") % {"n": session.number}
            )
    return done


def register() -> None:
    register_withdrawal_effect(describe=describe, apply=apply)


def withdrawn_during(session: DosingSession):
    """When consent was withdrawn while this dosed session is still running, else None (for
    the live page's status panel)."""
    if session.status not in AFTER_DOSE:
        return None

    signature = latest_signature(session.client)
    if signature is None or signature.withdrawn_at is None:
        return None
    return signature.withdrawn_at
