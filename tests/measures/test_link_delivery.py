"""Issue 10 item 21: links are sent to the client by the app (e-mail, or text through the SMS
backend) without clinical details; staff choose the channel; it is audited; the page still
shows the link to copy. Covers questionnaires ("Ask now", "Make a link"), intake and consent."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import ClientLink
from kapcare.consent.services import ensure_document
from kapcare.core import sms
from kapcare.measures.models import MeasureAssignment

pytestmark = pytest.mark.django_db

CLINICAL_WORDS = (
    "phq",
    "gad",
    "c-ssrs",
    "cssrs",
    "suicid",
    "depress",
    "score",
    "ketamine",
    "intake",
    "consent",
    "questionnaire",
    "rowan",
    "ashby",
)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def reachable(client_record):
    client_record.email = "rowan@example.org"
    client_record.phone = "+1 503 555 0144"
    client_record.save()
    return client_record


def _shown_link(response) -> str:
    return re.search(r'value="(http[^"]+/l/[^"]+)"', response.content.decode()).group(1)


def _assert_no_clinical_details(text: str) -> None:
    for word in CLINICAL_WORDS:
        assert word not in text.lower(), word


def test_ask_now_emails_the_client_the_link_and_still_shows_it(
    login, staff, reachable, course, instruments, django_capture_on_commit_callbacks
):
    http = login(staff[Role.THERAPIST])

    with django_capture_on_commit_callbacks(execute=True):
        page = http.post(
            reverse("measures:request", args=[reachable.pk]),
            {"code": "phq9", "channel": "email"},
            follow=True,
        )

    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assignment = MeasureAssignment.objects.get(timepoint="ad_hoc")
    link = ClientLink.objects.get(target_id=assignment.pk)
    url = _shown_link(page)
    assert "rowan@example.org" in page.content.decode()  # "sent to …"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rowan@example.org"]
    assert url in message.body and "has a form for you" in message.body
    _assert_no_clinical_details(message.subject + message.body.replace(url, ""))
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(link.pk))
    assert event.client == reachable and event.details["channel"] == "email"


def test_make_a_link_texts_it_through_the_sms_backend(
    login, staff, reachable, course, instruments, django_capture_on_commit_callbacks
):
    from kapcare.measures.services.schedules import sync_schedules

    sync_schedules(clinic=course.clinic, courses=[course])
    assignment = MeasureAssignment.objects.filter(instrument_code="phq9").first()
    http = login(staff[Role.THERAPIST])

    with django_capture_on_commit_callbacks(execute=True):
        page = http.post(
            reverse("measures:send_link", args=[reachable.pk, assignment.pk]),
            {"channel": "sms"},
            follow=True,
        )

    url = _shown_link(page)
    assert [m.to for m in sms.outbox] == ["+1 503 555 0144"]
    assert url in sms.outbox[0].body
    _assert_no_clinical_details(sms.outbox[0].body.replace(url, ""))
    assert mail.outbox == []


def test_copy_sends_nothing_and_a_channel_without_an_address_says_so(
    login, staff, client_record, django_capture_on_commit_callbacks
):
    http = login(staff[Role.FRONT_DESK])

    with django_capture_on_commit_callbacks(execute=True):
        copied = http.post(
            reverse("intake:link", args=[client_record.pk]), {"channel": "copy"}, follow=True
        )
        no_email = http.post(
            reverse("intake:link", args=[client_record.pk]), {"channel": "email"}, follow=True
        )

    assert copied.status_code == no_email.status_code == 200
    assert _shown_link(no_email)  # the link is still there to copy
    assert "no e-mail address on file" in no_email.content.decode()
    assert mail.outbox == [] and sms.outbox == []
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_intake_link_is_emailed_when_staff_choose_email(
    login, staff, reachable, django_capture_on_commit_callbacks
):
    http = login(staff[Role.FRONT_DESK])
    detail = http.get(reverse("intake:detail", args=[reachable.pk])).content.decode()
    assert 'name="channel"' in detail and "rowan@example.org" in detail

    with django_capture_on_commit_callbacks(execute=True):
        page = http.post(
            reverse("intake:link", args=[reachable.pk]), {"channel": "email"}, follow=True
        )

    url = _shown_link(page)
    assert [m.to for m in mail.outbox] == [["rowan@example.org"]]
    assert url in mail.outbox[0].body
    _assert_no_clinical_details(mail.outbox[0].subject + mail.outbox[0].body.replace(url, ""))


def test_the_consent_signing_link_is_sent_too(
    login, staff, reachable, clinic, django_capture_on_commit_callbacks
):
    ensure_document(clinic=clinic)
    http = login(staff[Role.FRONT_DESK])

    with django_capture_on_commit_callbacks(execute=True):
        page = http.post(
            reverse("consent:link", args=[reachable.pk]), {"channel": "sms"}, follow=True
        )

    url = _shown_link(page)
    assert [m.to for m in sms.outbox] == ["+1 503 555 0144"] and url in sms.outbox[0].body
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, client=reachable).exists()
