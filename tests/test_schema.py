"""Every clinic-owned table carries clinic_id, and its unique constraints include it.

A model is clinic-owned when it has a `clinic` foreign key, or is reached from one through
foreign keys (a course's status changes belong to the course's clinic). Carrying clinic_id on
each such row lets every query be scoped by clinic without a join, and is what distributing
the tables by clinic_id (Citus, docs/scale.md) needs: there, a unique constraint must include
the distribution column.

The exceptions below are today's schema, each with its reason. A new model or constraint that
breaks the rule fails this test; fixing an exception fails it too, until it leaves the list.
"""

from django.apps import apps
from django.db import models

from kapcare.accounts.models import Clinic

# Not clinic-owned at all: shared across clinics by design.
NOT_CLINIC_OWNED = {
    "accounts.Clinic": "the tenant itself",
    "accounts.User": "one person may work at several clinics (Membership carries clinic_id)",
    "audit.AuditChain": "one head per chain scope; the scope is the clinic id or 0 for events "
    "without a clinic (failed sign-ins)",
    "core.RateLimitHit": "counts by address or e-mail before anyone is signed in to a clinic",
}

# Child rows without their own clinic_id: reached only through a parent that has one, and
# always read through it. Before distributing by clinic_id they need the column (docs/scale.md).
REACHED_WITHOUT_CLINIC_ID = {
    "courses.CourseStatusChange": "the history of one course, read only with the course",
    "courses.NoteAddendum": "an addendum to one signed note, read only with the note",
    "courses.NoteCosignature": "a cosignature of one note, read only with the note",
    "dosing.SessionStatusChange": "the history of one dosing session, read only with it",
    "outcomes.InstrumentOutcomeSettings": "a row of one versioned OutcomeSettings",
    "scheduling.AppointmentStatusChange": "the history of one appointment, read only with it",
    "screening.ContraindicationRule": "a rule of one versioned screening protocol",
}

# Unique constraints scoped by a parent row that itself belongs to one clinic: unique within
# the parent is unique within the clinic. Under Citus each needs clinic_id added.
UNIQUE_WITHIN_A_CLINIC_OWNED_PARENT = {
    ("clients.CareTeamMember", ("client", "user", "role")),
    ("clients.Inquiry", ("client",)),
    ("clients.Intake", ("client",)),
    ("courses.NoteCosignature", ("note", "cosigned_by")),
    ("dosing.Administration", ("session",)),
    ("dosing.Discharge", ("session",)),
    ("dosing.DosingSession", ("course",)),
    ("dosing.DosingSession", ("course", "number")),
    ("dosing.MonitoringAlert", ("vital", "kind")),
    ("dosing.RemsRecord", ("session",)),
    ("dosing.ReviewRequest", ("session",)),
    ("dosing.SessionNote", ("session",)),
    ("ledger.Balance", ("lot", "location")),
    ("ledger.LossReport", ("entry",)),
    ("measures.MeasureAssignment", ("course", "instrument_code", "slot")),
    ("measures.Response", ("assignment",)),
    ("measures.RiskAlert", ("response", "rule")),
    ("outcomes.InstrumentOutcomeSettings", ("settings", "instrument_code")),
    ("scheduling.Appointment", ("dosing_session",)),
    ("scheduling.ReminderPreference", ("client",)),
    ("screening.ContraindicationRule", ("protocol", "key")),
}
# Globally unique by construction: a SHA-256 of a random token cannot collide across clinics.
GLOBALLY_UNIQUE = {
    ("clients.ClientLink", ("token_sha256",)),
    ("accounts.ApiToken", ("key_hash",)),
    ("scheduling.CalendarFeed", ("key_hash",)),
}


def _kapcare_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("kapcare.")]


def _has_clinic_id(model) -> bool:
    try:
        field = model._meta.get_field("clinic")
    except Exception:
        return False
    return isinstance(field, models.ForeignKey) and field.related_model is Clinic


def _clinic_owned() -> set[type[models.Model]]:
    owned = {m for m in _kapcare_models() if _has_clinic_id(m)}
    grew = True
    while grew:
        grew = False
        for model in _kapcare_models():
            if model in owned:
                continue
            if any(
                isinstance(f, models.ForeignKey) and f.related_model in owned
                for f in model._meta.local_fields
            ):
                owned.add(model)
                grew = True
    return owned


def _unique_sets(model) -> list[tuple[str, ...]]:
    sets = [
        tuple(c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
    ]
    sets += [tuple(u) for u in model._meta.unique_together]
    sets += [(f.name,) for f in model._meta.local_fields if f.unique and not f.primary_key]
    return sets


def test_every_model_is_either_clinic_owned_or_a_listed_exception():
    owned = _clinic_owned()
    shared = {m._meta.label for m in _kapcare_models()} - {m._meta.label for m in owned}
    assert shared == set(NOT_CLINIC_OWNED)


def test_every_clinic_owned_table_carries_clinic_id():
    missing = {m._meta.label for m in _clinic_owned() if not _has_clinic_id(m)}
    assert missing == set(REACHED_WITHOUT_CLINIC_ID)


def test_every_unique_constraint_on_a_clinic_owned_table_includes_clinic_id():
    without_clinic = {
        (model._meta.label, fields)
        for model in _clinic_owned()
        for fields in _unique_sets(model)
        if "clinic" not in fields and fields != ("clinic",)
    }
    assert without_clinic == UNIQUE_WITHIN_A_CLINIC_OWNED_PARENT | GLOBALLY_UNIQUE
