"""Encounter: the sessions of a treatment course, from two kinds of record.

- A dosing session (kapcare.dosing DosingSession) in every state, from scheduled to discharged
  or aborted: id "dosing-<session id>".
- A preparation or integration session. kapcare keeps no separate row for these: the session
  is recorded by the therapist's note of it (kapcare.courses ClinicalNote, kind preparation or
  integration, with its session date). Only a signed note stands for a session that happened
  (the clinic's own gates count signed preparation notes only; a draft may still be changed or
  thrown away), so each signed note is one finished Encounter: id "prep-<note id>" or
  "integration-<note id>". Its content is not shown here: the Encounter says that the session
  took place, when, and who held it.

Visible only for clients the token's user may see clinically (the dosing and course pages'
rule); an integration token (system/ scopes) sees the clinic.
"""

from __future__ import annotations

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.courses.models import ClinicalNote, NoteKind, NoteStatus
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    DosingSession,
    DosingStatus,
    SessionStatusChange,
)
from kapcare.dosing.permissions import sessions_visible_to
from kapcare.fhir import search
from kapcare.fhir.composite import CompositeType, Part, spread
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import register

TYPE_SYSTEM = "urn:kapcare:encounter-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DOSING, PREPARATION, INTEGRATION = "dosing", "preparation", "integration"
TYPES = {
    PREPARATION: "Preparation session",
    DOSING: "Dosing session",
    INTEGRATION: "Integration session",
}
# Encounter.status (R4) for each step of a session. Pre-dose checks are already clinical work
# with the client (vital signs, tests), so in-progress, like dosing and monitoring. An abort
# ends the session early with a reason: R4 has no "stopped" for an Encounter, and a registry
# counting sessions must not count an aborted one as done, so it is cancelled.
S = DosingStatus
DOSING_STATUS = {
    S.SCHEDULED: "planned",
    S.CHECKED_IN: "arrived",
    S.PRE_DOSE_CHECKS: "in-progress",
    S.DOSING: "in-progress",
    S.MONITORING: "in-progress",
    S.DISCHARGED: "finished",
    S.ABORTED: "cancelled",
}
STATUS_CODES = frozenset(
    {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled"}
    | {"entered-in-error", "unknown"}
)


def dosing_reference(session_id: int) -> dict:
    """The reference other resources (doses, adverse events) make to a dosing session."""
    return {"reference": f"Encounter/{DOSING}-{session_id}"}


def dosing_session_param(name: str, documentation: str, field: str) -> search.SearchParam:
    """A reference search on a dosing session: `Encounter/dosing-<id>` (or the bare id, or a
    full URL). Another kind of Encounter matches nothing; another resource type is a 400."""

    def one(value: str) -> Q:
        *path, ident = value.split("/")
        if path and path[-1] != "Encounter":
            raise FhirError(
                400, f"{name} refers to an Encounter, not a {path[-1]}.", expression=name
            )
        pk = DOSING_PART.pk_of(ident)
        return Q(**{field: pk}) if pk is not None else Q(pk__in=[])

    def match(values: list[str]) -> Q:
        found = Q(pk__in=[])
        for value in values:
            found |= one(value)
        return found

    return search.SearchParam(name, "reference", documentation, match)


def _practitioner(user_id: int) -> dict:
    return {"reference": f"Practitioner/{user_id}"}


def _status_q(field: str, of: dict[str, list[str]]) -> search.SearchParam:
    """`status`: any Encounter status code; those kapcare never uses match nothing."""

    def match(system: str | None, code: str) -> Q:
        if code not in STATUS_CODES:
            known = ", ".join(sorted(STATUS_CODES))
            raise FhirError(400, f"status={code} is not one of: {known}.", expression="status")
        stored = of.get(code, [])
        return Q(**{f"{field}__in": stored}) if stored else Q(pk__in=[])

    return search.token("status", "", match)


def _type_q(kind: str) -> search.SearchParam:
    def match(system: str | None, code: str) -> Q:
        if system not in (None, TYPE_SYSTEM):
            return Q(pk__in=[])
        if code not in TYPES:
            known = ", ".join(TYPES)
            raise FhirError(400, f"type={code} is not one of: {known}.", expression="type")
        return Q() if code == kind else Q(pk__in=[])

    return search.token("type", "", match)


def _common(kind: str, *, date_field: str, is_date: bool) -> dict[str, search.SearchParam]:
    params = {
        "type": _type_q(kind),
        "date": search.date("date", "", date_field, is_date=is_date),
        "episode-of-care": search.reference("episode-of-care", "", "course_id", "EpisodeOfCare"),
    }
    for name in ("patient", "subject"):
        params[name] = search.reference(name, "", "client_id", "Patient")
    return params


def _type(kind: str, text: str) -> list[dict]:
    coding = {"system": TYPE_SYSTEM, "code": kind, "display": TYPES[kind]}
    return [{"coding": [coding], "text": text}]


def _base(row, kind: str, text: str) -> dict:
    return {
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": _type(kind, text),
        "subject": {"reference": f"Patient/{row.client_id}"},
        "episodeOfCare": [{"reference": f"EpisodeOfCare/{row.course_id}"}],
        "serviceProvider": {"reference": f"Organization/{row.clinic_id}"},
    }


# --- dosing sessions ------------------------------------------------------------------------


def _dosing_rows(access: ApiAccess) -> QuerySet[DosingSession]:
    doses = Prefetch(
        "administrations",
        queryset=Administration.objects.filter(kind=AdministrationKind.DOSE),
        to_attr="doses",
    )
    return (
        sessions_visible_to(access.actor)
        .select_related("dose_order", "discharge", "therapist_note")
        .prefetch_related(
            Prefetch("history", queryset=SessionStatusChange.objects.order_by("changed_at", "id")),
            doses,
        )
        # The start of the encounter: arrival, or the booked time while it is still planned.
        .annotate(period_start=Coalesce(F("checked_in_at"), F("scheduled_for")))
    )


def _role(code: str | None, text: str) -> dict:
    if code is None:
        return {"text": text}
    display = {"ADM": "admitter", "PPRF": "primary performer", "DIS": "discharger"}
    display["PART"] = "Participation"
    return {"coding": [{"system": PARTICIPATION, "code": code, "display": display[code]}]}


def _participants(session: DosingSession) -> list[dict]:
    """Who took part, each once with every part they played: who checked the client in
    (admitter), took a step of the session, gave the dose (primary performer), discharged
    (discharger); the prescriber whose order was used; the therapist who kept the note."""
    roles: dict[int, list[dict]] = {}

    def add(user_id: int | None, code: str | None, text: str = "") -> None:
        if user_id is None:
            return
        role = _role(code, text)
        if role not in roles.setdefault(user_id, []):
            roles[user_id].append(role)

    for change in session.history.all():
        add(change.changed_by_id, "ADM" if change.to_status == S.CHECKED_IN else "PART")
    for dose in session.doses:
        add(dose.administered_by_id, "PPRF")
    discharge = getattr(session, "discharge", None)
    if discharge is not None:
        add(discharge.discharged_by_id, "DIS")
    if session.dose_order_id:
        add(session.dose_order.signed_by_id, None, "Prescriber of the dose order")
    note = getattr(session, "therapist_note", None)
    if note is not None:
        add(note.updated_by_id, None, "Therapist (session note)")
    return [
        {"type": types, "individual": _practitioner(user_id)} for user_id, types in roles.items()
    ]


def _status_history(session: DosingSession) -> list[dict]:
    """Each Encounter status the session has had, with when it held: planned from booking,
    then one entry per change (steps that are all in-progress run together)."""
    entries = [{"status": "planned", "period": {"start": session.created_at.isoformat()}}]
    for change in session.history.all():
        status = DOSING_STATUS[change.to_status]
        if status == entries[-1]["status"]:
            continue
        entries[-1]["period"]["end"] = change.changed_at.isoformat()
        entries.append({"status": status, "period": {"start": change.changed_at.isoformat()}})
    return entries


def _dosing_fhir(session: DosingSession) -> dict:
    period = {"start": session.period_start.isoformat()}
    ended = session.discharged_at or session.aborted_at
    if ended is not None:
        period["end"] = ended.isoformat()
    resource = {
        "status": DOSING_STATUS[session.status],
        "statusHistory": _status_history(session),
        **_base(session, DOSING, f"Dosing session {session.number}"),
        "participant": _participants(session) or None,
        "period": period,
    }
    return {k: v for k, v in resource.items() if v is not None}


DOSING_PART = Part(
    prefix=DOSING,
    rows=_dosing_rows,
    to_fhir=_dosing_fhir,
    params={
        **_common(DOSING, date_field="period_start", is_date=False),
        "status": _status_q(
            "status",
            {fhir: [k for k, v in DOSING_STATUS.items() if v == fhir] for fhir in STATUS_CODES},
        ),
    },
    sorts={"date": "period_start"},
)


# --- preparation and integration sessions (signed notes) ------------------------------------


def _note_rows(kind: str):
    def rows(access: ApiAccess) -> QuerySet[ClinicalNote]:
        visible = clients_visible_to(access.actor, ClientAction.VIEW_CLINICAL)
        return ClinicalNote.objects.filter(
            clinic=access.actor.clinic, client__in=visible, kind=kind, status=NoteStatus.SIGNED
        )

    return rows


def _note_fhir(kind: str):
    def to_fhir(note: ClinicalNote) -> dict:
        day = note.session_date.isoformat()
        return {
            "status": "finished",
            **_base(note, kind, TYPES[kind]),
            "participant": [
                {"type": [_role("PPRF", "")], "individual": _practitioner(note.author_id)}
            ],
            "period": {"start": day, "end": day},
        }

    return to_fhir


def _note_part(prefix: str, kind: str) -> Part:
    return Part(
        prefix=prefix,
        rows=_note_rows(kind),
        to_fhir=_note_fhir(kind),
        params={
            **_common(kind, date_field="session_date", is_date=True),
            "status": _status_q("status", {"finished": [NoteStatus.SIGNED]}),
        },
        sorts={"date": "session_date"},
    )


@register
class EncounterType(CompositeType):
    name = "Encounter"
    documentation = (
        "A session of a treatment course: a dosing session (id dosing-<n>, every state), or a "
        "preparation (prep-<n>) or integration (integration-<n>) session, recorded by its "
        "signed session note. Visible for the clients the token's user may see clinically."
    )
    parts = (
        _note_part("prep", NoteKind.PREPARATION),
        DOSING_PART,
        _note_part("integration", NoteKind.INTEGRATION),
    )
    params = (
        spread("patient", "reference", "The client (Patient/<id>)."),
        spread("subject", "reference", "The client (Patient/<id>)."),
        spread(
            "date",
            "date",
            "The start of the session: arrival, the booked time while planned, or a note's "
            "session date. Prefixes eq ne gt lt ge le.",
        ),
        spread("status", "token", "planned, arrived, in-progress, finished, cancelled, …"),
        spread("type", "token", f"{TYPE_SYSTEM}|preparation, dosing or integration."),
        spread("episode-of-care", "reference", "The treatment course (EpisodeOfCare/<id>)."),
    )
    sorts = {"date": "date"}
    default_sort = ("-date",)
