"""Every dosing page: anonymous, wrong role, another clinic's record, success, bounded queries;
the live page's HTMX updates (acceptance 6) and bad input refused at the field (acceptance 7)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.dosing import services
from kapcare.dosing.models import (
    AdverseEvent,
    DoseOrder,
    DosingNotification,
    DosingProtocol,
    DosingSession,
    DosingStatus,
    MonitoringAlert,
    PreDoseCheck,
    SessionNote,
    VitalSign,
)
from tests.dosing.helpers import GOOD_CHECK, ago, chair, field_time, in_monitoring
from tests.factories import ClientFactory, make_staff, put_on_team
from tests.pathway import actor, ready_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitoring(clinic, staff, client_record):
    """A session in monitoring with one open alert."""
    ctx = in_monitoring(clinic, staff, client_record)
    ctx["alert"] = MonitoringAlert.objects.filter(kind="systolic").get()
    return ctx


def url(name, client, session=None, **kwargs):
    args = [client.pk] + ([session.pk] if session is not None else [])
    return reverse(f"dosing:{name}", args=args + list(kwargs.values()))


SESSION_GETS = ["live", "panel", "record_pdf"]
SESSION_POSTS = [
    "check_in",
    "checks",
    "administer",
    "end_dosing",
    "vitals",
    "dissociation",
    "note",
    "adverse_event",
    "waste",
    "discharge",
    "abort",
    "rems",
]


def all_urls(client, ctx):
    session = ctx["session"]
    urls = [("get", url("tab", client))]
    urls += [("get", url(name, client, session)) for name in SESSION_GETS]
    urls += [("post", url(name, client, session)) for name in SESSION_POSTS]
    urls += [
        ("post", url("order_new", client)),
        ("post", url("schedule", client)),
        ("post", url("order_cancel", client, order_id=DoseOrder.objects.get().pk)),
        ("post", url("acknowledge_reading", client, session, vital_id=ctx["alert"].vital_id)),
        ("post", url("pre_dose_measure", client, session, code="phq9")),
        ("post", url("clear_check", client, session, check_id=PreDoseCheck.objects.get().pk)),
    ]
    return urls


def test_anonymous_visitors_are_sent_to_sign_in(client, client_record, monitoring):
    for method, address in all_urls(client_record, monitoring):
        response = getattr(client, method)(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address


def test_front_desk_sees_no_dosing_record(staff, client_record, monitoring, login):
    http = login(staff["front_desk"])
    for method, address in all_urls(client_record, monitoring):
        response = getattr(http, method)(address)
        assert response.status_code == 403, address
        assert b"Ashby" not in response.content
    assert VitalSign.objects.count() == 1


def test_another_clinics_client_and_another_clients_session_are_not_found(
    clinic, other_clinic, staff, client_record, monitoring, login
):
    http = login(staff["nurse"])
    foreign = ClientFactory(clinic=other_clinic, last_name="Foreigner")
    for method, address in all_urls(foreign, monitoring):
        response = getattr(http, method)(address)
        assert response.status_code == 404, address
        assert b"Foreigner" not in response.content
    # a session of a client the nurse may see, under another client's address
    neighbour = ClientFactory(clinic=clinic, last_name="Neighbour")
    put_on_team(neighbour, staff["nurse"], Role.NURSE)
    response = http.get(url("live", neighbour, monitoring["session"]))
    assert response.status_code == 404


def test_a_nurse_off_the_care_team_cannot_open_the_session(
    clinic, client_record, monitoring, login
):
    outsider = make_staff(clinic, Role.NURSE)
    response = login(outsider).get(url("live", client_record, monitoring["session"]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "name", "data"),
    [
        ("therapist", "vitals", {"recorded_at": "", "systolic": "120", "diastolic": "80"}),
        ("therapist", "abort", {"reason": "x"}),
        ("nurse", "note", {"prompts_offered": "x", "revision": "0"}),
        ("nurse", "order_new", {}),
    ],
)
def test_roles_that_do_not_do_the_work_are_refused(
    clinic, staff, client_record, monitoring, login, role, name, data
):
    session = None if name == "order_new" else monitoring["session"]
    if "recorded_at" in data:
        data["recorded_at"] = field_time(clinic, ago(1))
    response = login(staff[role]).post(url(name, client_record, session), data)
    assert response.status_code == 403
    assert VitalSign.objects.count() == 1 and not SessionNote.objects.exists()


def test_the_dosing_tab_lists_sessions_and_orders_in_bounded_queries(
    clinic, staff, client_record, monitoring, login, django_assert_max_num_queries
):
    nurse = actor(staff["nurse"], clinic)
    for _ in range(5):
        services.schedule_session(actor=nurse, course=monitoring["course"], scheduled_for=ago(-600))
    http = login(staff["prescriber"])
    with django_assert_max_num_queries(25):
        body = http.get(url("tab", client_record)).content.decode()
    assert "Session 6" in body and "0.5 mg/kg" in body and "Sign the order" in body
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="client.dosing").exists()


def test_a_prescriber_signs_an_order_from_the_tab_and_an_override_is_asked_for_at_its_field(
    clinic, staff, client_record, login
):
    ready_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["prescriber"])
    data = {
        "product": "racemic",
        "route": "iv",
        "dose": "1.5",
        "dose_unit": "mg_per_kg",
        "infusion_minutes": "40",
        "sessions_authorised": "6",
        "valid_until": clinic.today().isoformat(),
        "signature_name": staff["prescriber"].full_name,
    }
    response = http.post(url("order_new", client_record), data)
    assert response.status_code == 200 and not DoseOrder.objects.exists()
    assert (
        "above the maximum 1 mg/kg" in response.context["order_form"].errors["override_reason"][0]
    )
    response = http.post(
        url("order_new", client_record),
        {**data, "override_reason": "Titration after a partial response at 1.0 mg/kg"},
    )
    assert response.status_code == 302 and DoseOrder.objects.get().outside_limits


def test_schedule_check_in_and_checks_through_the_pages(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check=False)
    http = login(staff["nurse"])
    response = http.post(
        url("schedule", client_record), {"scheduled_for": field_time(clinic, ago(-60))}
    )
    assert response.status_code == 302 and DosingSession.objects.count() == 2
    later = DosingSession.objects.get(number=2)
    data = {k: ("on" if v is True else "" if v is False else v) for k, v in GOOD_CHECK.items()}
    data["recorded_at"] = field_time(clinic, ago(1))
    response = http.post(url("checks", client_record, ctx["session"]), data)
    assert response.status_code == 302
    assert DosingSession.objects.get(pk=ctx["session"].pk).status == DosingStatus.PRE_DOSE_CHECKS
    # the second session cannot check in while the first is under way
    response = http.post(
        url("check_in", client_record, later), {"checked_in_at": field_time(clinic, ago(0))}
    )
    assert response.status_code == 200 and "under way" in response.content.decode()


# --- Acceptance 7: impossible values refused at the field, nothing saved ---------------------


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("spo2", "140", "less than or equal to 100"),
        ("heart_rate", "-20", "greater than or equal to 20"),
        ("recorded_at", "future", "in the future"),
        ("systolic", "abc", "whole number"),
    ],
)
def test_impossible_vitals_are_refused_at_the_field_and_nothing_is_saved(
    clinic, staff, client_record, monitoring, login, field, value, words
):
    data = {
        "recorded_at": field_time(clinic, ago(1)),
        "systolic": "128",
        "diastolic": "80",
        "heart_rate": "72",
        "spo2": "97",
    }
    data[field] = field_time(clinic, ago(-30)) if value == "future" else value
    response = login(staff["nurse"]).post(
        url("vitals", client_record, monitoring["session"]), data, headers={"HX-Request": "true"}
    )
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    assert "<html" not in response.content.decode()
    assert VitalSign.objects.count() == 1


def test_a_negative_dose_and_a_future_start_are_refused_at_their_fields(
    clinic, staff, client_record, login
):
    ctx = chair(clinic, staff, client_record)
    http = login(staff["nurse"])
    stock = f"{ctx['lot'].pk}:{ctx['kit']['safe'].pk}"
    response = http.post(
        url("administer", client_record, ctx["session"]),
        {"stock": stock, "amount_mg": "-36", "started_at": field_time(clinic, ago(-20))},
    )
    form = response.context["administer_form"]
    assert "greater than or equal to 0.1" in form.errors["amount_mg"][0]
    assert "in the future" in form.errors["started_at"][0]
    assert DosingSession.objects.get().status == DosingStatus.PRE_DOSE_CHECKS


def test_impossible_pre_dose_values_are_refused_at_the_field(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check=False)
    data = {k: ("on" if v is True else "" if v is False else v) for k, v in GOOD_CHECK.items()}
    data.update(recorded_at=field_time(clinic, ago(1)), spo2="140", weight_kg="-70")
    response = login(staff["nurse"]).post(url("checks", client_record, ctx["session"]), data)
    form = response.context["check_form"]
    assert set(form.errors) >= {"spo2", "weight_kg"}
    assert not PreDoseCheck.objects.exists()


def test_a_negative_order_dose_is_refused_at_the_field(clinic, staff, client_record, login):
    ready_course(clinic=clinic, staff=staff, client=client_record)
    response = login(staff["prescriber"]).post(
        url("order_new", client_record),
        {
            "product": "racemic",
            "route": "im",
            "dose": "-50",
            "dose_unit": "mg",
            "sessions_authorised": "4",
            "valid_until": clinic.today().isoformat(),
            "signature_name": staff["prescriber"].full_name,
        },
    )
    assert "dose" in response.context["order_form"].errors and not DoseOrder.objects.exists()


# --- Acceptance 6: the live page updates by HTMX, in bounded queries --------------------------


def test_the_live_page_polls_its_panel_and_runs_bounded_queries(
    clinic, staff, client_record, monitoring, login, django_assert_max_num_queries
):
    session = monitoring["session"]
    for minutes in (29, 25, 20, 15, 10):
        services.record_vitals(
            actor=monitoring["nurse"],
            session=session,
            recorded_at=ago(minutes),
            values={"systolic": 130, "diastolic": 80, "heart_rate": 70, "spo2": 97},
        )
    session.refresh_from_db()
    http = login(staff["nurse"])
    # 21 today: the live view's reads, one care-team read for the page's permissions, audit.
    with django_assert_max_num_queries(30):
        page = http.get(url("live", client_record, session)).content.decode()
    assert 'hx-trigger="every 4s' in page and 'id="kc-live-panel"' in page
    assert "data-clock-since=" in page and "<script>" not in page and 'style="' not in page
    panel = url("panel", client_record, session)
    # 17 today: the panel reads only what it shows (checks, readings, alerts, ratings), the
    # client's consent, to show a withdrawal made during the session, and the audit row's hash
    # chain head is locked and moved.
    with django_assert_max_num_queries(20):
        fresh = http.get(panel, headers={"HX-Request": "true"})
    body = fresh.content.decode()
    assert fresh.status_code == 200 and body.lstrip().startswith('<section id="kc-live-panel"')
    assert "<html" not in body and "Systolic 184" in body


def test_an_unchanged_panel_answers_204_and_is_not_audited(
    clinic, staff, client_record, monitoring, login
):
    session = monitoring["session"]
    http = login(staff["nurse"])
    views_before = AuditEvent.objects.filter(action=AuditAction.VIEW).count()
    poll = f"{url('panel', client_record, session)}?rev={session.revision}&status={session.status}"
    assert http.get(poll, headers={"HX-Request": "true"}).status_code == 204
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() == views_before
    # another nurse records a reading: the same poll now brings the new panel
    services.record_vitals(
        actor=monitoring["nurse"], session=session, recorded_at=ago(1), values={"spo2": 96}
    )
    response = http.get(poll, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "96%" in response.content.decode()
    # the session moved on to another step than the page shows: say so, without reloading
    # (someone may be typing in one of the page's forms)
    stale = f"{url('panel', client_record, session)}?rev=0&status=dosing"
    body = http.get(stale, headers={"HX-Request": "true"}).content.decode()
    assert "data-moved-on" in body and "status=dosing" in body
    assert "data-moved-on" not in response.content.decode()


def test_vitals_posted_by_htmx_swap_the_form_and_tell_the_panel(
    clinic, staff, client_record, monitoring, login
):
    response = login(staff["nurse"]).post(
        url("vitals", client_record, monitoring["session"]),
        {"recorded_at": field_time(clinic, ago(1)), "systolic": "150", "diastolic": "90"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "kc-session-changed"
    assert response.content.decode().lstrip().startswith('<form id="kc-vitals-form"')
    assert VitalSign.objects.count() == 2


def test_an_alert_is_acknowledged_with_the_action_taken(
    clinic, staff, client_record, monitoring, login
):
    http = login(staff["nurse"])
    vital_id = monitoring["alert"].vital_id
    address = url("acknowledge_reading", client_record, monitoring["session"], vital_id=vital_id)
    name = f"ack-r{vital_id}-action_taken"
    # the alerts on screen: every open alert of the reading that raised this one
    on_screen = MonitoringAlert.objects.filter(vital_id=vital_id, acknowledged_at=None)
    shown = {"alert": list(on_screen.values_list("pk", flat=True))}
    response = http.post(address, {name: "", **shown}, headers={"HX-Request": "true"})
    assert "This field is required" in response.content.decode()
    assert MonitoringAlert.objects.get(pk=monitoring["alert"].pk).is_open
    response = http.post(
        address,
        {name: "Rechecked: 168/88; prescriber told", **shown},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Trigger"] == "kc-session-changed"
    alert = MonitoringAlert.objects.get(pk=monitoring["alert"].pk)
    assert alert.action_taken.startswith("Rechecked") and alert.acknowledged_by == staff["nurse"]


def test_dissociation_note_and_adverse_event_pages(
    clinic, staff, client_record, monitoring, login, django_capture_on_commit_callbacks
):
    session = monitoring["session"]
    therapist = login(staff["therapist"])
    response = therapist.post(
        url("dissociation", client_record, session),
        {"rated_at": field_time(clinic, ago(55)), "score": "2", "note": "Floating"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and session.dissociation_ratings.get().score == 2
    response = therapist.post(
        url("note", client_record, session),
        {"prompts_offered": "Breath", "client_reports": "Warmth", "insights": "", "revision": "0"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and SessionNote.objects.get().revision == 1
    stale = therapist.post(
        url("note", client_record, session),
        {"prompts_offered": "Other", "client_reports": "", "insights": "", "revision": "0"},
        headers={"HX-Request": "true"},
    )
    assert "while you were writing" in stale.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(staff["nurse"]).post(
            url("adverse_event", client_record, session),
            {
                "occurred_at": field_time(clinic, ago(40)),
                "kind": "hypertension",
                "severity": "severe",
                "description": "BP 190/112 with headache",
                "action_taken": "Labetalol; prescriber at bedside",
                "outcome": "improving",
                "rescue_medication": "Labetalol",
                "rescue_dose": "10 mg",
                "rescue_route": "IV",
            },
        )
    assert response.status_code == 302 and AdverseEvent.objects.get().serious
    notice = DosingNotification.objects.get()
    today = login(staff["prescriber"]).get(reverse("dosing_clinic:today")).content.decode()
    assert "Serious adverse event" in today
    login(staff["prescriber"]).post(reverse("dosing_clinic:notification_read", args=[notice.pk]))
    assert DosingNotification.objects.get().read_at is not None


def test_discharge_through_the_page_refuses_then_accepts(
    clinic, staff, client_record, monitoring, login
):
    http = login(staff["nurse"])
    for alert in MonitoringAlert.objects.all():
        services.acknowledge_alert(actor=monitoring["nurse"], alert=alert, action_taken="Rechecked")
    services.record_vitals(
        actor=monitoring["nurse"],
        session=monitoring["session"],
        recorded_at=ago(2),
        values={"systolic": 126, "diastolic": 80, "heart_rate": 74, "spo2": 98},
    )
    data = {
        "discharged_at": field_time(clinic, ago(0)),
        "vitals_near_baseline": "on",
        "alert_and_oriented": "on",
        "walking_steadily": "on",
        "no_ongoing_nausea": "on",
        "summary": "Settled.",
        "aftercare_instructions": "No driving today.",
    }
    response = http.post(url("discharge", client_record, monitoring["session"]), data)
    assert response.status_code == 200
    assert "escort_present" in response.context["discharge_form"].errors
    response = http.post(
        url("discharge", client_record, monitoring["session"]), {**data, "escort_present": "on"}
    )
    assert response.status_code == 302
    assert DosingSession.objects.get().status == DosingStatus.DISCHARGED


def test_todays_sessions_lists_only_my_clients_in_bounded_queries(
    clinic, staff, client_record, monitoring, login, django_assert_max_num_queries
):
    other = ClientFactory(clinic=clinic, last_name="Elsewhere")
    colleague = make_staff(clinic, Role.THERAPIST)
    put_on_team(other, colleague, Role.THERAPIST)
    course = ready_course(clinic=clinic, staff={**staff, "therapist": colleague}, client=other)
    services.schedule_session(actor=actor(colleague, clinic), course=course, scheduled_for=ago(-10))
    for _ in range(4):
        services.schedule_session(
            actor=monitoring["nurse"], course=monitoring["course"], scheduled_for=ago(-30)
        )
    http = login(staff["therapist"])
    with django_assert_max_num_queries(20):
        body = http.get(reverse("dosing_clinic:today")).content.decode()
    assert "Ashby" in body and "Elsewhere" not in body
    outsider = make_staff(clinic, Role.NURSE)
    assert "Ashby" not in login(outsider).get(reverse("dosing_clinic:today")).content.decode()
    assert login(staff["front_desk"]).get(reverse("dosing_clinic:today")).status_code == 403


def test_the_nav_shows_todays_sessions_to_clinicians_only(staff, login):
    link = f'href="{reverse("dosing_clinic:today")}"'
    for role in ("nurse", "prescriber", "therapist"):
        assert link in login(staff[role]).get(reverse("home:home")).content.decode()
    for role in ("front_desk", "clinic_admin"):
        assert link not in login(staff[role]).get(reverse("home:home")).content.decode()


def test_the_protocol_page_and_a_new_version(clinic, staff, login, django_assert_max_num_queries):
    http = login(staff["clinic_admin"])
    with django_assert_max_num_queries(20):
        body = http.get(reverse("dosing_protocol:detail")).content.decode()
    # the source by its title, not the internal FACTS.md section (issue 10, item 25)
    assert "Monitoring during and after a dose: SBP ≥ 180" in body and "FACTS.md" not in body
    form = http.get(reverse("dosing_protocol:edit")).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    data.update(alert_systolic="170", notes="Stricter systolic alert")
    response = http.post(reverse("dosing_protocol:edit"), data)
    assert response.status_code == 302, response.context["form"].errors
    latest = DosingProtocol.objects.order_by("-version").first()
    assert latest.version == 2 and latest.alert_systolic == 170
    assert (
        latest.flagged_medication_classes
        == DosingProtocol.objects.get(version=1).flagged_medication_classes
    )
    response = http.post(
        reverse("dosing_protocol:edit"), {**data, "iv_min_mg_per_kg": "2", "notes": "x"}
    )
    assert response.status_code == 200 and "iv_max_mg_per_kg" in response.context["form"].errors
    assert login(staff["nurse"]).get(reverse("dosing_protocol:edit")).status_code == 403
    assert login(staff["front_desk"]).get(reverse("dosing_protocol:detail")).status_code == 403


def test_the_session_record_pdf_is_audited(clinic, staff, client_record, monitoring, login):
    response = login(staff["therapist"]).get(
        url("record_pdf", client_record, monitoring["session"])
    )
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        object_type="dosingsession",
        object_id=str(monitoring["session"].pk),
    ).exists()


def test_an_esketamine_session_records_rems_fields_and_prints_them(
    clinic, staff, client_record, login
):
    from tests.dosing.test_services import esketamine_chair

    ctx = esketamine_chair(clinic, staff, client_record)
    services.administer_dose(
        actor=ctx["nurse"],
        session=ctx["session"],
        lot=ctx["lot"],
        location=ctx["kit"]["safe"],
        amount_mg=Decimal("56"),
        started_at=ago(140),
    )
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(130))
    http = login(staff["nurse"])
    assert http.get(url("rems_pdf", client_record, ctx["session"])).status_code == 404
    response = http.post(
        url("rems", client_record, ctx["session"]),
        {
            "rems_patient_id": "P-12345",
            "dissociation_observed": "on",
            "dissociation_resolved_at": field_time(clinic, ago(60)),
            "sedation_resolved_at": field_time(clinic, ago(60)),
            "ready_to_leave_at": field_time(clinic, ago(5)),
        },
    )
    assert "Only when it was observed" in response.content.decode()
    response = http.post(
        url("rems", client_record, ctx["session"]),
        {
            "rems_patient_id": "P-12345",
            "dissociation_observed": "on",
            "dissociation_resolved_at": field_time(clinic, ago(60)),
            "ready_to_leave_at": field_time(clinic, ago(5)),
        },
    )
    assert response.status_code == 302
    pdf = http.get(url("rems_pdf", client_record, ctx["session"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_the_pre_dose_page_shows_every_gate_in_bounded_queries(
    clinic, staff, client_record, login, django_assert_max_num_queries
):
    ctx = chair(clinic, staff, client_record)
    http = login(staff["nurse"])
    # 63: the audit row's hash chain (+2) and the consent-withdrawal banner (+1).
    with django_assert_max_num_queries(63):
        body = http.get(url("live", client_record, ctx["session"])).content.decode()
    assert body.count("kc-gate-pass") == 7 and "Give the dose" in body


def test_a_prescriber_clears_a_review_check_from_the_page(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check={"systolic": 148, "diastolic": 86})
    check = PreDoseCheck.objects.get()
    address = url("clear_check", client_record, ctx["session"], check_id=check.pk)
    assert login(staff["nurse"]).post(address, {"reason": "ok"}).status_code == 403
    response = login(staff["prescriber"]).post(address, {"reason": "Re-measured 138/84 after rest"})
    assert response.status_code == 302
    assert PreDoseCheck.objects.get().cleared_by == staff["prescriber"]


def test_give_the_dose_with_a_witness_then_end_it_then_waste_and_abort_from_the_page(
    clinic, staff, client_record, login
):
    from kapcare.dosing.models import Administration
    from kapcare.ledger.models import EntryKind, LedgerEntry
    from tests.dosing.helpers import totp_for
    from tests.factories import TEST_PASSWORD

    ctx = chair(clinic, staff, client_record)
    http = login(staff["nurse"])
    stock = f"{ctx['lot'].pk}:{ctx['kit']['safe'].pk}"
    give = {
        "stock": stock,
        "amount_mg": "36.0",
        "started_at": field_time(clinic, ago(10)),
        "site": "left_arm",
        "witness_email": staff["prescriber"].email,
        "witness_password": "wrong",
        "witness_token": "000000",
    }
    response = http.post(url("administer", client_record, ctx["session"]), give)
    assert "not right" in " ".join(response.context["administer_form"].errors["witness_password"])
    assert not Administration.objects.exists()
    give.update(witness_password=TEST_PASSWORD, witness_token=totp_for(staff["prescriber"]))
    response = http.post(url("administer", client_record, ctx["session"]), give)
    assert response.status_code == 302 and Administration.objects.get().waste_entry is not None
    response = http.post(
        url("end_dosing", client_record, ctx["session"]), {"ended_at": field_time(clinic, ago(5))}
    )
    assert response.status_code == 302
    assert DosingSession.objects.get().status == DosingStatus.MONITORING
    response = http.post(url("abort", client_record, ctx["session"]), {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["abort_form"].errors
    response = http.post(url("abort", client_record, ctx["session"]), {"reason": "Vomiting"})
    assert response.status_code == 302
    assert DosingSession.objects.get().status == DosingStatus.ABORTED
    other_nurse = make_staff(clinic, Role.NURSE)
    response = http.post(
        url("waste", client_record, ctx["session"]),
        {
            "quantity_mg": "5",
            "reason": "Flush left in the line",
            "witness_email": other_nurse.email,
            "witness_password": TEST_PASSWORD,
            "witness_token": totp_for(other_nurse),
        },
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(kind=EntryKind.WASTE, witness=other_nurse).exists()


def test_pre_dose_checks_show_and_prefill_todays_phq9_from_measures(
    clinic, staff, client_record, login
):
    import re

    from kapcare.measures.models import InstrumentDefinition
    from kapcare.measures.services import record_response
    from kapcare.measures.services.instruments import ensure_shipped_instruments

    ctx = chair(clinic, staff, client_record, check=False, measures=False)
    ensure_shipped_instruments(clinic=clinic)
    phq9 = InstrumentDefinition.objects.get(clinic=clinic, code="phq9", is_active=True)
    answers = {str(i): 1 for i in range(1, 10)} | {"10": 1}
    record_response(
        actor=actor(staff["therapist"], clinic),
        client=client_record,
        definition=phq9,
        answers=answers,
        course=ctx["course"],
    )

    url = reverse("dosing:live", args=[client_record.pk, ctx["session"].pk])
    body = login(staff["nurse"]).get(url).content.decode()

    assert "Questionnaires before this session (in Measures)" in body
    # done and missing come from Measures, not from boxes to tick
    phq9_done = re.search(r'<li data-measure="phq9" class="kc-ok"', body)
    gad7_missing = re.search(r'<li data-measure="gad7" class="kc-not-ready"', body)
    assert phq9_done and gad7_missing and 'name="gad7_done"' not in body
    assert re.search(r'<input[^>]*name="phq9_item9"[^>]*value="1"', body)
