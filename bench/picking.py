"""Who signs in and which records the pages open, picked from the seeded data (needs Django).

The client is the one the clinical pages are most interesting for: on a therapist's, a nurse's
and a prescriber's care team, with a dosing session (one under way if there is one), a note and
a questionnaire response. The same rule picks at every size, so only the data around it grows.
"""

from __future__ import annotations

import time

from django.db.models import Exists, OuterRef
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.pages import ADMIN, FRONT_DESK, NURSE, PRESCRIBER, THERAPIST
from kapcare.accounts.models import Membership
from kapcare.clients.models import CareTeamMember, Client, Inquiry
from kapcare.courses.models import ClinicalNote
from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.ledger.models import LedgerEntry, Lot
from kapcare.measures.models import Response

UNDER_WAY = [
    DosingStatus.CHECKED_IN,
    DosingStatus.PRE_DOSE_CHECKS,
    DosingStatus.DOSING,
    DosingStatus.MONITORING,
]


def _on_team(role: str) -> Exists:
    return Exists(CareTeamMember.objects.filter(client=OuterRef("pk"), role=role))


def pick_client() -> Client:
    # Exists, not joins: at 100,000 clients a join of sessions, notes and responses multiplies.
    sessions = DosingSession.objects.filter(client=OuterRef("pk"))
    candidates = (
        Client.objects.filter(
            _on_team(THERAPIST),
            _on_team(NURSE),
            _on_team(PRESCRIBER),
            Exists(sessions),
            Exists(ClinicalNote.objects.filter(client=OuterRef("pk"))),
            Exists(Response.objects.filter(client=OuterRef("pk"))),
        )
        .annotate(under_way=Exists(sessions.filter(status__in=UNDER_WAY)))
        .order_by("-under_way", "clinic_id", "pk")
    )
    client = candidates.first()
    if client is None:
        raise SystemExit("No seeded client has a full care team, a session, a note and a response.")
    return client


def pick_staff(client: Client) -> dict[str, int]:
    """A user per role: the client's own clinicians, and the first admin and front desk there."""
    staff = {}
    for role in (THERAPIST, NURSE, PRESCRIBER):
        member = (
            CareTeamMember.objects.filter(client=client, role=role, user__is_active=True)
            .order_by("user_id")
            .first()
        )
        if member is not None:
            staff[role] = member.user_id
    for role in (ADMIN, FRONT_DESK):
        membership = (
            Membership.objects.filter(clinic=client.clinic_id, role=role, user__is_active=True)
            .order_by("user_id")
            .first()
        )
        if membership is not None:
            staff[role] = membership.user_id
    return staff


def pick_ids(client: Client) -> dict[str, object]:
    sessions = DosingSession.objects.filter(client=client)
    session = (
        sessions.filter(status__in=UNDER_WAY).order_by("-pk").first()
        or sessions.order_by("-scheduled_for").first()
    )
    note = ClinicalNote.objects.filter(client=client).order_by("-pk").first()
    response = Response.objects.filter(client=client).order_by("-pk").first()
    lot = Lot.objects.filter(clinic=client.clinic_id).order_by("-pk").first()
    entry = LedgerEntry.objects.filter(clinic=client.clinic_id).order_by("-pk").first()
    inquiry = Inquiry.objects.filter(clinic=client.clinic_id).order_by("-pk").first()
    ids = {
        "client": client.pk,
        "session": session.pk if session else None,
        "session_status": session.status if session else None,
        "note": note.pk if note else None,
        "response": response.pk if response else None,
        "lot": lot.pk if lot else None,
        "entry": entry.pk if entry else None,
        "inquiry": inquiry.pk if inquiry else None,
        # A search that matches a handful of clients at any size: the client's surname prefix.
        "search": client.last_name[:4],
        "clinic_clients": Client.objects.filter(clinic=client.clinic_id).count(),
        "all_clients": Client.objects.count(),
    }
    return ids


def totp_token(user_id: int) -> str:
    """The user's current authenticator code, as the demo's `demo_totp` computes it.

    django-otp refuses a code for a time step at or before the last one used (codes cannot be
    replayed), and accepts `tolerance` steps either side of now: so take the earliest step from now on
    after the last one used, waiting for the next step only when those are used up."""
    while True:
        device = TOTPDevice.objects.filter(user_id=user_id, confirmed=True).first()
        if device is None:
            raise SystemExit(f"Seeded user {user_id} has no confirmed authenticator.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        now_t = totp.t()
        last_t = device.last_t if device.last_t is not None else -1
        # Not a past step: it could roll out of the window before the server checks it.
        for t in range(now_t, now_t + device.tolerance + 1):
            if t > last_t:
                totp.time = device.t0 + t * device.step + 1
                return f"{totp.token():0{device.digits}d}"
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.5)
