"""The one versioned-settings base (kapcare.core.versioning), exercised through each of the six
clinic settings: screening protocol, consent document, care protocol, dosing protocol, outcome
settings and measure settings.

The concurrency tests run on PostgreSQL, where two publishes really run at once (each thread
has its own connection and transaction); SQLite lets one writer in at a time, so there they
are skipped. Run them with DATABASE_URL=postgres://… ."""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.consent.models import ConsentDocument
from kapcare.consent.services import ensure_document, publish_document
from kapcare.core import versioning
from kapcare.courses.models import CareProtocol
from kapcare.courses.selectors import current_care_protocol
from kapcare.courses.services import publish_care_protocol
from kapcare.dosing.models import DosingProtocol
from kapcare.dosing.services.protocol import ensure_dosing_protocol, publish_dosing_protocol
from kapcare.measures.models import MeasureSettings
from kapcare.measures.services.instruments import measure_settings, update_measure_settings
from kapcare.outcomes.models import OutcomeSettings
from kapcare.outcomes.services import publish_outcome_settings
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.models import ScreeningProtocol
from kapcare.screening.services import ensure_protocol, publish_protocol

CONSENT_BODY = "I understand the treatment, its risks and its alternatives. " * 5

MODELS = [
    ScreeningProtocol,
    ConsentDocument,
    CareProtocol,
    DosingProtocol,
    OutcomeSettings,
    MeasureSettings,
]


def _measure_data(delay: int) -> dict:
    return {
        "instruments_by_condition": {"other": []},
        "before_each_dose": True,
        "end_of_course": True,
        "follow_up_months": [1, 3],
        "pre_dose_window_days": 3,
        "grace_days": 14,
        "escalation_delay_minutes": delay,
        "link_lifetime_hours": 72,
    }


def publishers(clinic) -> dict[type, Callable[[Actor, int], object]]:
    """Each setting's own publish service, as its editor calls it; `n` varies the values."""
    return {
        ScreeningProtocol: lambda actor, n: publish_protocol(
            clinic=clinic, rule_dicts=DEFAULT_RULES, actor=actor, notes=f"edit {n}"
        ),
        ConsentDocument: lambda actor, n: publish_document(
            clinic=clinic, title=f"Consent {n}", body=CONSENT_BODY, actor=actor
        ),
        CareProtocol: lambda actor, n: publish_care_protocol(
            actor=actor,
            min_preparation_sessions=n,
            required_elements=["intentions"],
            integration_window_hours=72,
        ),
        DosingProtocol: lambda actor, n: publish_dosing_protocol(
            actor=actor, values={"alert_systolic": 150 + n}, notes=f"edit {n}"
        ),
        OutcomeSettings: lambda actor, n: publish_outcome_settings(
            actor=actor,
            baseline_rule="intake" if n % 2 else "pre_dose_1",
            anxiety_by_condition={},
            instruments={},
            notes=f"edit {n}",
        ),
        MeasureSettings: lambda actor, n: update_measure_settings(
            actor=actor, data=_measure_data(30 + n)
        ),
    }


def _audits(model) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_type=model._meta.model_name
        ).order_by("id")
    )


def _run_at_once(*calls: Callable[[], object]) -> list[str]:
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            start.wait(timeout=10)
            call()
            outcomes.append("published")
        except Exception as error:  # a duplicate, an IntegrityError, a deadlock: all fail
            outcomes.append(f"error: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _skip_unless_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so nothing runs in parallel; run on PostgreSQL")


# --- acceptance 3: the first version, published twice at the same moment ---------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_two_first_publishes_at_once_get_versions_1_and_2(model, clinic):
    _skip_unless_postgres()
    # Given a clinic that has published no version of this setting
    kapcare = Actor.system(clinic)

    def first_version():
        versioning.publish(
            model,
            clinic=clinic,
            actor=kapcare,
            roles=(),
            refusal="",
            build=lambda latest: model.shipped_defaults(clinic.pk),
        )

    # When two publishes of the first version run at the same moment
    outcomes = _run_at_once(first_version, first_version)

    # Then both are published, as versions 1 and 2, each with one audit row
    assert outcomes == ["published", "published"], outcomes
    versions = sorted(model.objects.filter(clinic=clinic).values_list("version", flat=True))
    assert versions == [1, 2]
    audits = _audits(model)
    assert len(audits) == 2 and all("diff" in a.details for a in audits)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_two_admins_publishing_at_once_through_the_editor_service_never_collide(
    model, clinic, staff
):
    _skip_unless_postgres()
    # Given a clinic admin, and no version of the setting yet
    admin = Actor.for_user(staff["clinic_admin"], clinic)
    publish = publishers(clinic)[model]

    # When two of their publishes run at the same moment
    outcomes = _run_at_once(lambda: publish(admin, 1), lambda: publish(admin, 2))

    # Then both are published under consecutive numbers, never a duplicate or an error (the
    # dosing protocol publishes its shipped defaults as version 1 first)
    assert outcomes == ["published", "published"], outcomes
    versions = sorted(model.objects.filter(clinic=clinic).values_list("version", flat=True))
    assert versions == list(range(1, len(versions) + 1))
    assert len(versions) == (3 if model is DosingProtocol else 2)
    assert len(_audits(model)) == len(versions)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "ensure",
    [ensure_protocol, ensure_document, ensure_dosing_protocol, measure_settings],
    ids=lambda f: f.__name__,
)
def test_two_requests_needing_version_1_at_once_make_one(ensure, clinic):
    _skip_unless_postgres()
    outcomes = _run_at_once(lambda: ensure(clinic=clinic), lambda: ensure(clinic=clinic))
    assert outcomes == ["published", "published"], outcomes
    model = type(ensure(clinic=clinic))
    assert list(model.objects.filter(clinic=clinic).values_list("version", flat=True)) == [1]


# --- one audit row per publish, with a readable diff -----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_publish_writes_one_audit_row_with_its_diff(model, clinic, staff):
    # Given a clinic admin publishing the setting twice with different values
    admin = Actor.for_user(staff["clinic_admin"], clinic)
    publish = publishers(clinic)[model]
    first = publish(admin, 1)
    second = publish(admin, 2)

    # Then each version has exactly one audit row, by the admin, and the second one's diff
    # names what changed as "field: old → new"
    rows = {a.object_id: a for a in _audits(model)}
    versions = model.objects.filter(clinic=clinic)
    assert len(rows) == versions.count()
    for version in versions:
        assert str(version.pk) in rows
    last = rows[str(second.pk)]
    assert last.actor == staff["clinic_admin"]
    assert f"version {second.version}" in last.summary
    if model is not ScreeningProtocol:  # the same rules twice: "no setting changed"
        assert last.details["diff"], last.summary
        change = last.details["diff"][0]
        assert set(change) == {"field", "old", "new"} and change["old"] != change["new"]
        assert f"{change['field']}: {change['old']} → {change['new']}" in last.summary
    assert first.version < second.version


@pytest.mark.django_db
def test_the_diff_says_which_setting_changed_from_what_to_what(clinic, staff):
    admin = Actor.for_user(staff["clinic_admin"], clinic)
    measure_settings(clinic)  # version 1: the shipped defaults, by kapcare
    update_measure_settings(actor=admin, data=_measure_data(45))
    audit = _audits(MeasureSettings)[-1]
    delay = "Escalate an unacknowledged risk alert after (minutes)"
    assert {"field": delay, "old": "120", "new": "45"} in audit.details["diff"]
    assert f"{delay}: 120 → 45" in audit.summary


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ensure",
    [ensure_protocol, ensure_document, ensure_dosing_protocol, measure_settings],
    ids=lambda f: f.__name__,
)
def test_kapcare_publishing_the_defaults_is_audited_too(ensure, clinic):
    version = ensure(clinic=clinic)
    [audit] = _audits(type(version))
    assert audit.actor is None and audit.actor_label == "kapcare"
    assert audit.object_id == str(version.pk) and "diff" in audit.details


# --- one error type for refusals; one policy for "no version yet" ----------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_refused_publish_raises_settings_refused_and_saves_nothing(model, clinic, staff):
    therapist = Actor.for_user(staff["therapist"], clinic)
    with pytest.raises(versioning.SettingsRefused) as refused:
        publishers(clinic)[model](therapist, 1)
    # one type, which both the 403 handler and a form mapping service errors understand
    assert isinstance(refused.value, PermissionDenied)
    assert isinstance(refused.value, ValidationError)
    assert not model.objects.filter(clinic=clinic, published_by__isnull=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_before_any_version_current_is_the_shipped_defaults_unsaved(model, clinic):
    settings = versioning.current(model, clinic.pk)
    assert settings.pk is None and settings.version == 0
    assert not model.objects.filter(clinic=clinic).exists()  # reading never writes


@pytest.mark.django_db
def test_current_care_protocol_uses_the_shared_policy(clinic, staff):
    assert current_care_protocol(clinic.pk).min_preparation_sessions == 1  # FACTS.md §6.1
    admin = Actor.for_user(staff["clinic_admin"], clinic)
    published = publish_care_protocol(
        actor=admin,
        min_preparation_sessions=2,
        required_elements=["intentions"],
        integration_window_hours=48,
    )
    assert versioning.current(CareProtocol, clinic.pk) == published
