"""Issue 10 item 3: the nurse asks the prescriber from the chair; the care team's prescriber is
told (home page, nav badge, an e-mail without clinical details), decides with a signed
approve/decline, and the nurse's polled status panel shows the decision."""

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks import default_task_backend

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditEvent
from kapcare.courses.gates import dosing_gates
from kapcare.dosing import services, tasks
from kapcare.dosing.models import PreDoseCheck, ReviewRequest, ReviewStatus
from kapcare.dosing.services.review import ask_prescriber, decide_review_request
from tests.dosing.helpers import GOOD_CHECK, ago, chair
from tests.factories import ClinicFactory, make_staff
from tests.pathway import actor

pytestmark = pytest.mark.django_db

HIGH_BP = {"systolic": 146, "diastolic": 84}  # above the review line, below the stop line


@pytest.fixture(autouse=True)
def _empty_task_queue():
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def _url(name, client, session, **kwargs):
    return reverse(f"dosing:{name}", args=[client.pk, session.pk, *kwargs.values()])


def _ask(login, staff, client, session, note="Anxious on arrival", capture=None):
    http = login(staff["nurse"])
    if capture is None:
        return http, http.post(_url("ask_review", client, session), {"note": note})
    with capture(execute=True):
        response = http.post(_url("ask_review", client, session), {"note": note})
    return http, response


def _decide(http, client, session, request, **data):
    address = _url("review", client, session, request_id=request.pk)
    return http.post(address, data)


def test_the_nurse_asks_and_the_care_team_prescriber_is_told(
    clinic, staff, client_record, login, django_capture_on_commit_callbacks
):
    # Given a client at the chair whose checks need prescriber review
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    page = login(staff["nurse"]).get(_url("live", client_record, ctx["session"])).content.decode()
    assert "Ask the prescriber" in page
    # When the nurse asks
    _http, response = _ask(
        login, staff, client_record, ctx["session"], capture=django_capture_on_commit_callbacks
    )
    # Then the request waits for the prescriber, audited, and an e-mail task is queued
    assert response.status_code == 302
    request = ReviewRequest.objects.get()
    assert request.status == ReviewStatus.WAITING and request.note == "Anxious on arrival"
    assert request.pre_dose_check == PreDoseCheck.objects.get()
    assert AuditEvent.objects.filter(object_type="reviewrequest", client=client_record).exists()
    queued = [
        r for r in default_task_backend.results if r.task.name == "notify_prescribers_of_review"
    ]
    assert len(queued) == 1 and queued[0].args[0] == request.pk
    assert queued[0].args[1].endswith(reverse("dosing_clinic:review", args=[request.pk]))
    # The prescriber's home page leads with it, and the nav shows a badge
    home = login(staff["prescriber"]).get(reverse("home:home")).content.decode()
    assert f'data-chair-review="{request.pk}"' in home and "Waiting in the chair" in home
    assert "data-chair-reviews-badge" in home
    assert _url("review", client_record, ctx["session"], request_id=request.pk) in home
    # A prescriber who is not on this client's care team is not asked
    outsider = make_staff(clinic, Role.PRESCRIBER, full_name="Other Prescriber")
    other_home = login(outsider).get(reverse("home:home")).content.decode()
    assert "data-chair-review=" not in other_home and "data-chair-reviews-badge" not in other_home


def test_the_email_names_no_client_and_no_value(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, check={**HIGH_BP, "phq9_item9": 1})
    request = ask_prescriber(
        actor=ctx["nurse"], session=ctx["session"], link_base="https://clinic.example/"
    )
    link = "https://clinic.example" + reverse("dosing_clinic:review", args=[request.pk])

    assert tasks.notify_prescribers_of_review.call(request.pk, link) == 1

    message = mail.outbox[0]
    assert message.to == [staff["prescriber"].email]
    assert "a client at the chair needs your review" in message.subject
    assert link in message.body
    for secret in ("Rowan", "Ashby", "146", "84", "PHQ", "item 9", "Anxious"):
        assert secret not in message.body and secret not in message.subject


def test_nothing_to_ask_when_the_checks_pass_or_stop(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record)  # passing checks
    page = login(staff["nurse"]).get(_url("live", client_record, ctx["session"])).content.decode()
    assert "Ask the prescriber" not in page
    _http, response = _ask(login, staff, client_record, ctx["session"])
    assert response.status_code == 302 and not ReviewRequest.objects.exists()
    # A STOP (systolic ≥ 160) cannot be cleared by anyone, so there is nothing to ask
    services.record_pre_dose_check(
        actor=ctx["nurse"],
        session=ctx["session"],
        data={**GOOD_CHECK, "systolic": 170, "diastolic": 90},
        recorded_at=ago(10),
    )
    _ask(login, staff, client_record, ctx["session"])
    assert not ReviewRequest.objects.exists()


def test_asking_twice_about_one_check_is_refused(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    ask_prescriber(actor=ctx["nurse"], session=ctx["session"])
    with pytest.raises(Exception, match="already asked"):
        ask_prescriber(actor=ctx["nurse"], session=ctx["session"])
    assert ReviewRequest.objects.count() == 1


def test_the_prescriber_approves_and_the_nurses_panel_shows_it(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    session = ctx["session"]
    nurse, _response = _ask(login, staff, client_record, session)
    request = ReviewRequest.objects.get()
    session.refresh_from_db()
    rev = session.revision
    panel = nurse.get(_url("panel", client_record, session), headers={"HX-Request": "true"})
    assert 'data-review-status="waiting"' in panel.content.decode()
    assert "Waiting for the prescriber" in panel.content.decode()

    prescriber = login(staff["prescriber"])
    # The e-mail's link leads to the request's page
    link = prescriber.get(reverse("dosing_clinic:review", args=[request.pk]))
    assert link.status_code == 302
    assert link["Location"] == _url("review", client_record, session, request_id=request.pk)
    shown = prescriber.get(link["Location"]).content.decode()
    assert "146/84" in shown and "Sign the decision" in shown

    # A wrong typed name is refused at the field; nothing is decided
    response = _decide(
        prescriber, client_record, session, request,
        decision="approve", reason="Re-measured 138/84 after rest", signature_name="Someone Else",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["signature_name"]
    assert ReviewRequest.objects.get().status == ReviewStatus.WAITING

    response = _decide(
        prescriber, client_record, session, request,
        decision="approve", reason="Re-measured 138/84 after rest",
        signature_name=staff["prescriber"].full_name,
    )  # fmt: skip
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ReviewStatus.APPROVED
    assert request.decided_by == staff["prescriber"]
    check = PreDoseCheck.objects.get()
    assert check.cleared_by == staff["prescriber"]
    assert check.clearance_reason == "Re-measured 138/84 after rest"
    assert all(g.passed for g in dosing_gates(ctx["course"]))
    assert AuditEvent.objects.filter(summary="Prescriber approved dosing after review").exists()
    # The nurse's polled panel has something new and shows the decision
    panel = nurse.get(
        _url("panel", client_record, session) + f"?rev={rev}&status=pre_dose_checks",
        headers={"HX-Request": "true"},
    )
    text = panel.content.decode()
    assert panel.status_code == 200 and 'data-review-status="approved"' in text
    assert "The prescriber approved the dose" in text and "Re-measured 138/84" in text
    # Home no longer lists it
    home = prescriber.get(reverse("home:home")).content.decode()
    assert "data-chair-review=" not in home


def test_the_prescriber_declines_with_a_reason(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check={"phq9_item9": 2})
    session = ctx["session"]
    nurse, _response = _ask(login, staff, client_record, session)
    request = ReviewRequest.objects.get()
    prescriber = login(staff["prescriber"])
    name = staff["prescriber"].full_name

    response = _decide(
        prescriber, client_record, session, request, decision="decline", reason="  ",
        signature_name=name,
    )  # fmt: skip
    assert response.context["form"].errors["reason"]
    response = _decide(
        prescriber, client_record, session, request, decision="decline",
        reason="Call me; safety plan first, no dose today.", signature_name=name,
    )  # fmt: skip

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ReviewStatus.DECLINED
    assert PreDoseCheck.objects.get().cleared_at is None
    assert not all(g.passed for g in dosing_gates(ctx["course"]))
    text = nurse.get(_url("live", client_record, session)).content.decode()
    assert 'data-review-status="declined"' in text and "safety plan first" in text


def test_only_a_prescriber_decides(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    nurse, _response = _ask(login, staff, client_record, ctx["session"])
    request = ReviewRequest.objects.get()
    response = _decide(
        nurse, client_record, ctx["session"], request,
        decision="approve", reason="Fine", signature_name=staff["nurse"].full_name,
    )  # fmt: skip
    assert response.status_code == 403
    with pytest.raises(Exception, match="prescriber"):
        decide_review_request(
            actor=ctx["nurse"], request=request, approve=True, reason="Fine",
            signature_name=staff["nurse"].full_name,
        )  # fmt: skip
    assert ReviewRequest.objects.get().status == ReviewStatus.WAITING


def test_a_decision_after_a_newer_check_is_no_longer_needed(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    request = ask_prescriber(actor=ctx["nurse"], session=ctx["session"])
    services.record_pre_dose_check(
        actor=ctx["nurse"], session=ctx["session"], data=GOOD_CHECK, recorded_at=ago(5)
    )
    decided = decide_review_request(
        actor=actor(staff["prescriber"], clinic), request=request, approve=True,
        reason="Fine", signature_name=staff["prescriber"].full_name,
    )  # fmt: skip
    assert decided.status == ReviewStatus.SUPERSEDED
    assert PreDoseCheck.objects.filter(cleared_at__isnull=False).count() == 0


def test_another_clinic_cannot_open_the_request(clinic, staff, client_record, login):
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    request = ask_prescriber(actor=ctx["nurse"], session=ctx["session"])
    elsewhere = ClinicFactory(name="Elsewhere")
    stranger = make_staff(elsewhere, Role.PRESCRIBER)
    http = login(stranger)
    assert http.get(reverse("dosing_clinic:review", args=[request.pk])).status_code == 404
    address = _url("review", client_record, ctx["session"], request_id=request.pk)
    assert http.get(address).status_code == 404
    # Anonymous: sent to sign in
    from django.test import Client

    assert Client().get(reverse("dosing_clinic:review", args=[request.pk])).status_code == 302
    # Same clinic, not on the care team, not a clinician with clinical access: 404
    front = login(staff["front_desk"])
    assert front.get(address).status_code in (403, 404)


def test_the_request_page_and_home_have_bounded_queries(
    clinic, staff, client_record, login, django_assert_max_num_queries
):
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    request = ask_prescriber(actor=ctx["nurse"], session=ctx["session"])
    http = login(staff["prescriber"])
    with django_assert_max_num_queries(40):
        assert (
            http.get(
                _url("review", client_record, ctx["session"], request_id=request.pk)
            ).status_code
            == 200
        )


def test_a_clearance_at_the_chair_answers_the_waiting_request(clinic, staff, client_record, login):
    # Given a waiting request, when a prescriber clears the check on the live page instead
    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    ask_prescriber(actor=ctx["nurse"], session=ctx["session"])
    services.clear_pre_dose_check(
        actor=actor(staff["prescriber"], clinic),
        check=PreDoseCheck.objects.get(),
        reason="Seen at the chair; 136/82 on recheck",
    )
    # Then nobody is asked any more, and the nurse's panel says who cleared it
    home = login(staff["prescriber"]).get(reverse("home:home")).content.decode()
    assert "data-chair-review=" not in home and "data-chair-reviews-badge" not in home
    live = login(staff["nurse"]).get(_url("live", client_record, ctx["session"])).content.decode()
    assert "Cleared for dosing" in live and "136/82 on recheck" in live
    assert "Ask the prescriber" not in live


def test_only_someone_at_the_chair_asks(clinic, staff, client_record, login):
    from django.test import Client

    ctx = chair(clinic, staff, client_record, check=HIGH_BP)
    address = _url("ask_review", client_record, ctx["session"])
    assert Client().post(address).status_code == 302  # anonymous: sign in first
    # a GET (a reload after a failed post) leads back to the session's page, never a dead 405
    got = login(staff["nurse"]).get(address)
    assert got.status_code == 302 and got["Location"] == _url("live", client_record, ctx["session"])
    for role in (Role.FRONT_DESK, Role.THERAPIST):
        response = login(staff[role]).post(address, {"note": ""})
        assert response.status_code in (302, 403, 404)
    assert not ReviewRequest.objects.exists()
