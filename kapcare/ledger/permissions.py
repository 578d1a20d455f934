"""Who may do what in the ledger: one table, read by services (which refuse) and views (which
hide what a role cannot use).

The ledger is a clinic-wide record (DEA inspection, counts and reconciliation need all of it),
so access is by role, not care team: nurses and prescribers who handle stock, and clinic
admins who oversee it (DESIGN.md). Every read that shows clients' names is audited.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role


class LedgerAction(StrEnum):
    VIEW = "view"  # stock, entries, reports
    RECEIVE = "receive"
    TRANSFER = "transfer"
    ADMINISTER = "administer"
    WASTE = "waste"
    COUNT = "count"
    DISPOSE = "dispose"
    REPORT_LOSS = "report_loss"
    RESOLVE = "resolve"  # close a discrepancy case, with an adjustment or a reason
    CORRECT = "correct"  # a correcting entry for an earlier one
    CONFIGURE = "configure"  # registrant, settings, products, locations


HANDLERS = frozenset({Role.NURSE, Role.PRESCRIBER, Role.CLINIC_ADMIN})
CLINICIANS = frozenset({Role.NURSE, Role.PRESCRIBER})
ADMINS = frozenset({Role.CLINIC_ADMIN})

POLICY: dict[LedgerAction, frozenset[str]] = {
    LedgerAction.VIEW: HANDLERS,
    LedgerAction.RECEIVE: HANDLERS,
    LedgerAction.TRANSFER: HANDLERS,
    # Whoever gives the drug records it, and wastes what is left of the dose they drew.
    LedgerAction.ADMINISTER: CLINICIANS,
    LedgerAction.WASTE: CLINICIANS,
    LedgerAction.COUNT: HANDLERS,
    LedgerAction.DISPOSE: HANDLERS,
    LedgerAction.REPORT_LOSS: HANDLERS,
    LedgerAction.RESOLVE: ADMINS,
    LedgerAction.CORRECT: ADMINS,
    LedgerAction.CONFIGURE: ADMINS,
}


def roles_for(action: LedgerAction) -> tuple[str, ...]:
    return tuple(sorted(POLICY[action]))


def can(actor: Actor, action: LedgerAction) -> bool:
    return actor.user is not None and actor.has_role(*POLICY[action])


def require(actor: Actor, action: LedgerAction) -> None:
    if not can(actor, action):
        raise PermissionDenied(
            _("Your role does not allow this in the controlled-substance ledger.")
        )


def allowed(actor: Actor) -> frozenset[LedgerAction]:
    """Everything `actor` may do here (for buttons and the nav)."""
    return frozenset(action for action in LedgerAction if can(actor, action))
