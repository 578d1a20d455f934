"""Filling in a questionnaire through a single-use link (acceptance 6: reused or expired links are
refused; every missing or out-of-range answer is an error at its item)."""

import datetime as dt

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.clients.models import ClientLink
from kapcare.measures import services
from kapcare.measures.models import Response, RiskAlert
from tests.measures.conftest import phq9


@pytest.fixture
def link(therapist_actor, course, instruments):
    assignment = services.request_measure(
        actor=therapist_actor, course=course, definition=instruments["phq9"]
    )
    link, token = services.create_questionnaire_link(actor=therapist_actor, assignment=assignment)
    return link, reverse("measures_public:fill", args=[token]), assignment


def answers_form(answers):
    return {f"item_{k}": str(v) for k, v in answers.items()}


def test_link_opens_the_questionnaire_without_an_account(link, client_record):
    _link, url, _assignment = link
    page = DjangoClient().get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Feeling down, depressed, or hopeless" in text
    assert "Left blank by the client" not in text  # the client answers; staff record blanks
    assert "988" in text  # crisis line on every questionnaire
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert AuditEvent.objects.filter(client=client_record, object_type="clientlink").exists()


def test_submitting_saves_the_response_and_spends_the_link(link):
    link_row, url, assignment = link
    http = DjangoClient()
    done = http.post(url, answers_form(phq9(7)), follow=True)
    assert done.status_code == 200 and "answers are sent" in done.content.decode()
    # Post/redirect/get: a reload shows the thank-you page again and posts nothing.
    assert done.redirect_chain[0][0] == reverse("measures_public:done")
    assert "answers are sent" in http.get(reverse("measures_public:done")).content.decode()
    response = Response.objects.get()
    assert (response.source, response.total, response.entered_by, response.assignment) == (
        "link",
        7,
        None,
        assignment,
    )
    link_row.refresh_from_db()
    assert link_row.used_at is not None
    # Reused: refused, for GET and POST alike, and nothing more saved.
    assert http.get(url).status_code == 404
    assert http.post(url, answers_form(phq9(7))).status_code == 404
    assert Response.objects.count() == 1


def test_expired_link_refused(link):
    link_row, url, _ = link
    ClientLink.objects.filter(pk=link_row.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert DjangoClient().get(url).status_code == 404
    assert DjangoClient().post(url, answers_form(phq9())).status_code == 404
    assert not Response.objects.exists()


def test_forged_or_wrong_purpose_token_refused(link):
    _, url, _ = link
    assert DjangoClient().get(url[:-3] + "abc/").status_code == 404
    assert DjangoClient().get(url.replace("questionnaire", "consent")).status_code == 404


def test_link_to_an_answered_questionnaire_refused(
    link, therapist_actor, client_record, instruments
):
    _, url, assignment = link
    services.record_response(
        actor=therapist_actor, client=client_record, definition=instruments["phq9"],
        answers=phq9(), assignment=assignment,
    )  # fmt: skip
    assert DjangoClient().get(url).status_code == 404


def test_link_lifetime_follows_clinic_setting(link):
    link_row, _, _ = link
    lifetime = link_row.expires_at - link_row.created_at
    assert dt.timedelta(hours=71, minutes=59) < lifetime <= dt.timedelta(hours=72)


def test_missing_and_out_of_range_answers_rejected_at_their_items(link):
    _, url, _ = link
    data = answers_form(phq9(5)) | {"item_9": "7"}
    del data["item_4"]
    page = DjangoClient().post(url, data)
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"item_4", "item_9"}
    data = answers_form(phq9(5)) | {"item_2": "blank"}  # the staff-only choice
    assert set(DjangoClient().post(url, data).context["form"].errors) == {"item_2"}
    assert not Response.objects.exists()
    # Still usable after a rejected attempt.
    assert DjangoClient().post(url, answers_form(phq9(5))).status_code == 302  # sent


def test_item9_through_a_link_alerts_the_care_team_and_shows_support(link, login, staff):
    _, url, _ = link
    done = DjangoClient().post(url, answers_form(phq9(10, item9=2)), follow=True)
    assert "care team will contact you" in done.content.decode()
    alert = RiskAlert.objects.get()
    home = login(staff["therapist"]).get(reverse("home:home")).content.decode()
    assert f'data-alert="{alert.pk}"' in home
