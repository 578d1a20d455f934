"""Suicide-risk alerts (acceptance 2): raised in the same request by PHQ-9 item 9 > 0 or a positive
C-SSRS answer, seen at once by the care team, acknowledged with the action taken, escalated to
the clinic admin after the configured delay — tested with an explicit clock, no sleeping."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django_tasks import default_task_backend

from kapcare.accounts.actor import Actor
from kapcare.measures import services, tasks
from kapcare.measures.models import MeasureSettings, RiskAlert
from kapcare.measures.services import alerts
from kapcare.measures.services.instruments import measure_settings
from tests.measures.conftest import phq9


@pytest.fixture(autouse=True)
def _empty_task_queue():
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def post_phq9(http, client, answers):
    data = {f"item_{k}": str(v) for k, v in answers.items()}
    data["item_10"] = "1"
    data["completed_on"] = client.clinic.today().isoformat()
    return http.post(reverse("measures:enter", args=[client.pk, "phq9"]), data)


def test_item9_above_zero_raises_alert_the_care_team_sees_in_the_same_request(
    login, staff, client_record, course, instruments, django_capture_on_commit_callbacks
):
    therapist = login(staff["therapist"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_phq9(therapist, client_record, phq9(4, item9=1))
    # The alert exists when the request that saved the response returns — nothing deferred.
    alert = RiskAlert.objects.get()
    assert alert.rule == "phq9_item9" and alert.is_open
    assert "item 9 answered 1" in alert.summary
    page = therapist.get(response["Location"])
    assert b"Suicide-risk alert" in page.content
    assert f'data-alert="{alert.pk}"'.encode() in page.content
    # Everyone else on the care team sees it on their next page: home and the client's pages.
    nurse = login(staff["nurse"])
    assert f'data-alert="{alert.pk}"'.encode() in nurse.get(reverse("home:home")).content
    banner = nurse.get(reverse("clients:detail", args=[client_record.pk])).content
    assert b"Open suicide-risk alert" in banner
    # And the tasks: tell the care team now, escalate at the configured delay.
    queued = {r.task.name: r for r in default_task_backend.results}
    assert queued["notify_care_team"].args == [alert.pk]
    assert queued["escalate_alert"].task.run_after == alert.escalate_after
    assert alert.escalate_after - alert.raised_at == dt.timedelta(minutes=120)


def test_item9_zero_raises_no_alert(login, staff, client_record, course, instruments):
    post_phq9(login(staff["therapist"]), client_record, phq9(20, item9=0))
    assert not RiskAlert.objects.exists()


def test_front_desk_and_other_teams_do_not_see_the_alert(
    login, staff, client_record, course, instruments, clinic, therapist_actor
):
    services.record_response(
        actor=therapist_actor, client=client_record, definition=instruments["phq9"],
        answers=phq9(2, item9=2),
    )  # fmt: skip
    for role in ("front_desk", "clinic_admin"):
        assert b"data-alert=" not in login(staff[role]).get(reverse("home:home")).content


def test_positive_cssrs_raises_alert_with_triage_level(
    therapist_actor, client_record, course, instruments
):
    response = services.record_response(
        actor=therapist_actor,
        client=client_record,
        definition=instruments["cssrs_screener"],
        answers={"1": 1, "2": 1, "3": 0, "4": 1, "5": 0, "6": 0},
    )
    alert = response.alerts.get()
    assert (alert.rule, alert.level, response.risk_level) == ("cssrs_positive", "high", "high")


def test_alert_threshold_follows_clinic_parameter(
    clinic, staff, therapist_actor, client_record, course, instruments
):
    from kapcare.measures.services.instruments import set_parameters

    phq = set_parameters(
        actor=Actor.for_user(staff["clinic_admin"], clinic),
        definition=instruments["phq9"],
        values={"item9_alert_threshold": 2},
    )
    services.record_response(
        actor=therapist_actor, client=client_record, definition=phq, answers=phq9(item9=1)
    )
    assert not RiskAlert.objects.exists()


@pytest.fixture
def alert(therapist_actor, client_record, course, instruments):
    response = services.record_response(
        actor=therapist_actor, client=client_record, definition=instruments["phq9"],
        answers=phq9(item9=3),
    )  # fmt: skip
    return response.alerts.get()


def test_escalation_fires_exactly_at_the_configured_delay(
    alert, django_capture_on_commit_callbacks
):
    before = alert.escalate_after - dt.timedelta(seconds=1)
    assert alerts.escalate_alert(alert_id=alert.pk, now=before) is False
    alert.refresh_from_db()
    assert alert.escalated_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.escalate_alert(alert_id=alert.pk, now=alert.escalate_after) is True
    alert.refresh_from_db()
    assert alert.escalated_at == alert.escalate_after
    assert [r.task.name for r in default_task_backend.results] == ["notify_admins_of_escalation"]
    # Idempotent: the sweep, a retry or a second task change nothing.
    later = alert.escalate_after + dt.timedelta(hours=1)
    assert alerts.escalate_alert(alert_id=alert.pk, now=later) is False
    alert.refresh_from_db()
    assert alert.escalated_at == alert.escalate_after


def test_configured_delay_is_used(clinic, therapist_actor, client_record, course, instruments):
    MeasureSettings.objects.filter(pk=measure_settings(clinic).pk).update(
        escalation_delay_minutes=15
    )
    response = services.record_response(
        actor=therapist_actor, client=client_record, definition=instruments["phq9"],
        answers=phq9(item9=1),
    )  # fmt: skip
    alert = response.alerts.get()
    assert alert.escalate_after - alert.raised_at == dt.timedelta(minutes=15)


def test_acknowledged_alert_never_escalates(alert, therapist_actor):
    alerts.acknowledge_alert(actor=therapist_actor, alert=alert, action_taken="Called; safe.")
    assert alerts.escalate_alert(alert_id=alert.pk, now=alert.escalate_after) is False
    assert alerts.escalate_due_alerts(now=alert.escalate_after + dt.timedelta(days=1)) == 0


def test_escalated_alert_shown_to_clinic_admin(alert, login, staff):
    admin = login(staff["clinic_admin"])
    assert b"data-alert=" not in admin.get(reverse("home:home")).content
    alerts.escalate_alert(alert_id=alert.pk, now=alert.escalate_after)
    page = admin.get(reverse("home:home")).content
    assert f'data-alert="{alert.pk}"'.encode() in page
    assert b"escalated" in page
    # The admin is sent to the care team, not to clinical detail they may not see.
    assert reverse("clients:care_team", args=[alert.client_id]).encode() in page


def test_sweep_escalates_only_due_open_alerts(alert):
    assert alerts.escalate_due_alerts(now=alert.escalate_after - dt.timedelta(minutes=1)) == 0
    assert alerts.escalate_due_alerts(now=alert.escalate_after) == 1
    assert alerts.escalate_due_alerts(now=alert.escalate_after) == 0


def test_escalate_command_uses_the_real_clock(alert):
    RiskAlert.objects.filter(pk=alert.pk).update(
        raised_at=alert.raised_at - dt.timedelta(hours=3),
        escalate_after=alert.escalate_after - dt.timedelta(hours=3),
    )
    call_command("escalate_risk_alerts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    alert.refresh_from_db()
    assert alert.escalated_at is not None


def test_acknowledge_needs_the_action_taken(alert, therapist_actor):
    with pytest.raises(ValidationError):
        alerts.acknowledge_alert(actor=therapist_actor, alert=alert, action_taken="  ")
    done = alerts.acknowledge_alert(
        actor=therapist_actor, alert=alert, action_taken="Completed C-SSRS; safety plan reviewed."
    )
    assert done.acknowledged_by == therapist_actor.user and not done.is_open
    with pytest.raises(ValidationError, match="already acknowledged"):
        alerts.acknowledge_alert(actor=therapist_actor, alert=alert, action_taken="again")


def test_front_desk_cannot_acknowledge(alert, clinic, staff):
    with pytest.raises(PermissionDenied):
        alerts.acknowledge_alert(
            actor=Actor.for_user(staff["front_desk"], clinic), alert=alert, action_taken="x"
        )


def test_notification_emails_name_no_client(alert, client_record):
    mail.outbox.clear()
    assert tasks.notify_care_team.call(alert.pk) == 1
    message = mail.outbox[0]
    assert len(message.to) == 3  # therapist, prescriber, nurse
    assert (
        client_record.last_name not in message.body and client_record.first_name not in message.body
    )
    alerts.escalate_alert(alert_id=alert.pk, now=alert.escalate_after)
    assert tasks.notify_admins_of_escalation.call(alert.pk) == 1
    assert mail.outbox[1].to == [
        alert.client.clinic.memberships.get(role="clinic_admin").user.email
    ]


def test_escalation_task_checks_acknowledgement(alert, therapist_actor):
    alerts.acknowledge_alert(actor=therapist_actor, alert=alert, action_taken="Seen today.")
    assert tasks.escalate_alert.call(alert.pk) is False
    assert tasks.notify_care_team.call(alert.pk) == 0


def test_the_home_page_audits_the_client_its_risk_alert_names(
    login, staff, client_record, course, instruments, therapist_actor
):
    from kapcare.audit.models import AuditEvent
    from kapcare.home.selectors import RECENT
    from tests.factories import ClientFactory, put_on_team

    flagged = ClientFactory(clinic=client_record.clinic, last_name="Flagged")
    put_on_team(flagged, staff["nurse"], "nurse")
    put_on_team(flagged, staff["therapist"], "therapist")
    services.record_response(
        actor=therapist_actor, client=flagged, definition=instruments["phq9"],
        answers=phq9(2, item9=2),
    )  # fmt: skip
    # more recently updated clients fill the "your clients" list: only the alert names Flagged
    for _ in range(RECENT + 1):
        put_on_team(ClientFactory(clinic=client_record.clinic), staff["nurse"], "nurse")
    body = login(staff["nurse"]).get(reverse("home:home")).content.decode()

    assert "Flagged" in body
    event = AuditEvent.objects.filter(object_type="home").latest("id")
    assert flagged.pk in event.details["client_ids"]
