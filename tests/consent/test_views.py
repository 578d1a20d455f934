"""The consent tab, signing in the clinic and through a link, withdrawal, and consent documents."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client as DjangoClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import ClientLink, LinkPurpose
from kapcare.clients.services.links import create_link
from kapcare.consent.defaults import DEFAULT_BODY, DEFAULT_TITLE
from kapcare.consent.gates import consent_gate
from kapcare.consent.models import ConsentDocument, ConsentSignature
from kapcare.consent.selectors import consent_problem
from kapcare.consent.services import ensure_document, publish_document, text_sha256
from kapcare.courses.gates import GateContext
from kapcare.courses.models import CourseStatus
from tests.factories import ClientFactory, make_staff
from tests.pathway import actor, screened_course, sign_current_consent


def _url(client, name="consent:overview"):
    return reverse(name, args=[client.pk])


def _text(response) -> str:
    return response.content.decode()


def _signing(document, **overrides):
    return {
        "typed_name": "Rowan Ashby",
        "agreed": "on",
        "shown_sha256": text_sha256(document),
        **overrides,
    }


@pytest.fixture
def document(clinic):
    return ensure_document(clinic=clinic)


# --- Access --------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client_record, client):
    for name in ("consent:overview", "consent:sign", "consent:withdraw"):
        response = client.get(_url(client_record, name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(_url(client_record, "consent:link")).status_code == 302
    assert not ClientLink.objects.exists()


def test_another_clinics_client_is_not_found(other_clinic, staff, login, document):
    elsewhere = ClientFactory(clinic=other_clinic)
    http = login(staff[Role.FRONT_DESK])
    for name in ("consent:overview", "consent:sign", "consent:withdraw"):
        assert http.get(_url(elsewhere, name)).status_code == 404
    assert http.post(_url(elsewhere, "consent:link")).status_code == 404
    assert http.post(_url(elsewhere, "consent:sign"), _signing(document)).status_code == 404
    assert not ClientLink.objects.exists() and not ConsentSignature.objects.exists()


def test_a_clinician_off_the_care_team_does_not_see_the_client(client_record, clinic, login):
    outsider = make_staff(clinic, Role.THERAPIST)
    assert login(outsider).get(_url(client_record)).status_code == 404


def test_a_user_of_another_clinic_only_is_not_found(client_record, other_clinic, login):
    far_admin = make_staff(other_clinic, Role.CLINIC_ADMIN)
    assert login(far_admin).get(_url(client_record)).status_code == 404


# --- The tab -------------------------------------------------------------------------------------


def test_signing_is_offered_only_while_the_consent_does_not_cover_dosing(
    clinic, staff, client_record, login, document
):
    http = login(staff[Role.FRONT_DESK])
    unsigned = _text(http.get(_url(client_record)))
    assert "Sign in the clinic" in unsigned and "Send a signing link" in unsigned

    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    signed = _text(http.get(_url(client_record)))

    assert "Consent is valid" in signed
    assert "Sign in the clinic" not in signed and "Send a signing link" not in signed
    assert "Record withdrawal" in signed


def test_front_desk_sees_status_and_signature_history(
    clinic, staff, client_record, login, document
):
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    http = login(staff[Role.FRONT_DESK])

    response = http.get(_url(client_record))

    text = _text(response)
    assert response.status_code == 200
    assert "Consent is valid" in text
    signature = ConsentSignature.objects.get()
    assert signature.text_sha256[:12] in text
    assert staff[Role.FRONT_DESK].full_name in text  # witness
    assert f'href="{_url(client_record, "consent:withdraw")}"' in text
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, client=client_record, object_type="client.consent"
        ).count()
        == 1
    )


def test_the_tab_says_why_consent_does_not_cover_dosing(clinic, staff, client_record, login):
    http = login(staff[Role.THERAPIST])
    assert "has not published a consent document" in _text(http.get(_url(client_record)))
    ensure_document(clinic=clinic)
    assert "has not signed the consent" in _text(http.get(_url(client_record)))


def test_the_tab_costs_the_same_queries_however_many_signatures(
    clinic, staff, client_record, login, document
):
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    http = login(staff[Role.FRONT_DESK])
    http.get(_url(client_record))
    with CaptureQueriesContext(connection) as one:
        http.get(_url(client_record))
    for _ in range(5):
        sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    with CaptureQueriesContext(connection) as six:
        response = http.get(_url(client_record))
    assert len(response.context["signatures"]) == 6
    assert len(one) == len(six), [q["sql"] for q in six.captured_queries]
    assert len(six) <= 20


# --- Signing in the clinic -----------------------------------------------------------------------


def test_signing_in_the_clinic_shows_the_text_and_records_a_witnessed_signature(
    clinic, staff, client_record, login, document
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff[Role.NURSE])
    page = http.get(_url(client_record, "consent:sign"))
    text = _text(page)
    assert "Off-label use" in text and DEFAULT_TITLE in text
    assert f'value="{text_sha256(document)}"' in text

    response = http.post(_url(client_record, "consent:sign"), _signing(document))

    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    assert signature.witnessed_by == staff[Role.NURSE]
    assert signature.ip_address == "127.0.0.1"
    course.refresh_from_db()
    assert course.status == CourseStatus.PREPARATION


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"typed_name": "Rowan Ashbee"}, "typed_name"), ({"agreed": ""}, "agreed")],
)
def test_a_wrong_name_or_unticked_box_shows_at_the_field_and_saves_nothing(
    overrides, field, staff, client_record, login, document
):
    response = login(staff[Role.FRONT_DESK]).post(
        _url(client_record, "consent:sign"), _signing(document, **overrides)
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert "is-invalid" in _text(response)
    assert not ConsentSignature.objects.exists()


def test_a_tampered_hash_is_refused_and_the_form_carries_the_real_one(
    staff, client_record, login, document
):
    response = login(staff[Role.FRONT_DESK]).post(
        _url(client_record, "consent:sign"), _signing(document, shown_sha256="f" * 64)
    )

    assert response.status_code == 200
    assert "consent text has changed" in _text(response)
    assert f'value="{text_sha256(document)}"' in _text(response)
    assert not ConsentSignature.objects.exists()


def test_signing_without_a_published_document_sends_staff_back(staff, client_record, login):
    response = login(staff[Role.FRONT_DESK]).get(_url(client_record, "consent:sign"))
    assert response.status_code == 302
    assert response["Location"] == _url(client_record)


# --- Signing links -------------------------------------------------------------------------------


def _made_link(http, client_record, **headers):
    response = http.post(_url(client_record, "consent:link"), follow=True, **headers)
    match = re.search(r'value="(http[^"]+/l/consent/([^/"]+)/)"', _text(response))
    return response, match.group(1), match.group(2)


def test_staff_make_a_link_shown_once_for_the_current_version(
    client_record, staff, login, document
):
    http = login(staff[Role.FRONT_DESK])

    response, url, token = _made_link(http, client_record)

    assert response.status_code == 200
    assert url.startswith("http://testserver/l/consent/")
    assert "no-store" in response["Cache-Control"]
    link = ClientLink.objects.get()
    assert (link.purpose, link.target_id, link.client) == (
        LinkPurpose.CONSENT,
        document.pk,
        client_record,
    )
    assert token not in _text(http.get(_url(client_record)))
    assert 'data-copy="#kc-link-url"' in _text(response)


def test_the_link_button_answers_htmx_with_the_fragment_only(client_record, staff, login, document):
    response, _, _ = _made_link(
        login(staff[Role.FRONT_DESK]), client_record, HTTP_HX_REQUEST="true"
    )

    assert "<html" not in _text(response)
    assert 'id="kc-consent-link"' in _text(response)


def test_a_link_signs_on_a_phone_and_is_spent(clinic, staff, client_record, login, document):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    _, url, token = _made_link(login(staff[Role.FRONT_DESK]), client_record)
    phone = DjangoClient(HTTP_USER_AGENT="Phone/1.0")
    public = reverse("consent_public:sign", args=[token])
    assert url.endswith(public)

    page = phone.get(public)
    assert page.status_code == 200
    assert "Off-label use" in _text(page) and "Ashby" not in _text(page)
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="client.consent_link", client=client_record, actor=None
    ).exists()

    done = phone.post(public, _signing(document), follow=True)

    assert done.redirect_chain == [(reverse("consent_public:signed"), 302)]
    assert "your consent is signed" in _text(done)
    signature = ConsentSignature.objects.get()
    assert signature.witnessed_by is None and signature.user_agent == "Phone/1.0"
    assert ClientLink.objects.get().used_at is not None
    assert consent_gate(GateContext(course=course, at=timezone.now())).passed
    # Reuse, by either method, is a plain 404.
    assert phone.get(public).status_code == 404
    assert phone.post(public, _signing(document)).status_code == 404
    assert ConsentSignature.objects.count() == 1


def test_a_wrong_name_on_the_phone_shows_at_the_field_and_keeps_the_link(
    client_record, staff, login, document
):
    _, _, token = _made_link(login(staff[Role.FRONT_DESK]), client_record)

    response = DjangoClient().post(
        reverse("consent_public:sign", args=[token]), _signing(document, typed_name="R Ashby")
    )

    assert response.status_code == 200
    assert "typed_name" in response.context["form"].errors
    assert "Rowan" not in _text(response)
    assert ClientLink.objects.get().used_at is None


def test_the_signing_page_dates_the_version_in_the_clinic_time_zone(
    client_record, staff, login, document
):
    # 03:00 UTC on Jan 2 is still Jan 1 in Los Angeles, the clinic's zone; no one is signed in
    # on this page to set it.
    ConsentDocument.objects.filter(pk=document.pk).update(
        published_at=dt.datetime(2026, 1, 2, 3, 0, tzinfo=dt.UTC)
    )
    _, _, token = _made_link(login(staff[Role.FRONT_DESK]), client_record)

    page = _text(DjangoClient().get(reverse("consent_public:sign", args=[token])))

    assert "Version 1, published Jan 1, 2026" in page


def test_reloading_the_thank_you_page_does_not_touch_the_spent_link(
    client_record, staff, login, document
):
    _, _, token = _made_link(login(staff[Role.FRONT_DESK]), client_record)
    phone = DjangoClient()
    phone.post(reverse("consent_public:sign", args=[token]), _signing(document))

    again = phone.get(reverse("consent_public:signed"))

    assert again.status_code == 200 and "your consent is signed" in _text(again)
    assert "Ashby" not in _text(again)


def test_expired_and_forged_links_are_not_found(client_record, staff, document):
    _, token = create_link(
        actor=actor(staff[Role.FRONT_DESK], client_record.clinic),
        client=client_record,
        purpose=LinkPurpose.CONSENT,
        target_id=document.pk,
    )
    ClientLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    _, intake_token = create_link(
        actor=actor(staff[Role.FRONT_DESK], client_record.clinic),
        client=client_record,
        purpose=LinkPurpose.INTAKE,
    )
    phone = DjangoClient()

    for attempt in (token, token[:-2] + "xx", "not-a-token", intake_token):
        url = reverse("consent_public:sign", args=[attempt])
        assert phone.get(url).status_code == 404
        assert phone.post(url, _signing(document)).status_code == 404
    assert not ConsentSignature.objects.exists()


def test_a_link_for_a_replaced_version_says_it_is_out_of_date_and_leaks_nothing(
    clinic, client_record, staff, login, document
):
    _, _, token = _made_link(login(staff[Role.FRONT_DESK]), client_record)
    publish_document(
        clinic=clinic,
        title="Consent v2",
        body=DEFAULT_BODY + "\nRecording clause.",
        actor=actor(staff[Role.CLINIC_ADMIN], clinic),
    )
    url = reverse("consent_public:sign", args=[token])

    page = DjangoClient().get(url)
    posted = DjangoClient().post(url, _signing(document))

    for response in (page, posted):
        assert response.status_code == 404
        assert "out of date" in _text(response)
        assert "Ashby" not in _text(response) and "Off-label" not in _text(response)
    assert not ConsentSignature.objects.exists()


def test_the_public_page_costs_a_bounded_number_of_queries(client_record, staff, login, document):
    _, _, token = _made_link(login(staff[Role.FRONT_DESK]), client_record)
    with CaptureQueriesContext(connection) as queries:
        DjangoClient().get(reverse("consent_public:sign", args=[token]))
    # 7: the view's audit row appends to the clinic's hash chain (+2 over the former 5), and the
    # public page shows the clinic's own name and navigation.
    assert len(queries) <= 7


# --- Withdrawal ----------------------------------------------------------------------------------


def test_withdrawal_is_confirmed_then_takes_effect_at_once(
    clinic, staff, client_record, login, document
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    http = login(staff[Role.THERAPIST])

    confirm = http.get(_url(client_record, "consent:withdraw"))
    assert confirm.status_code == 200 and "takes effect immediately" in _text(confirm)
    assert consent_problem(client_record, timezone.now()) is None

    response = http.post(
        _url(client_record, "consent:withdraw"),
        {"requested_via": "in_person", "reason": "Wants to stop", "confirmed": "on"},
    )

    assert response.status_code == 302
    assert not consent_gate(GateContext(course=course, at=timezone.now())).passed
    text = _text(http.get(_url(client_record)))
    assert "Wants to stop" in text and "withdrew consent" in text


def test_withdrawing_with_nothing_signed_says_so(staff, client_record, login, document):
    http = login(staff[Role.FRONT_DESK])
    assert "no standing consent" in _text(http.get(_url(client_record, "consent:withdraw")))
    response = http.post(_url(client_record, "consent:withdraw"), {"reason": ""}, follow=True)
    assert "There was no standing consent to withdraw." in _text(response)


# --- Consent documents ---------------------------------------------------------------------------


def test_consent_documents_need_a_sign_in(client):
    for name in ("consent_docs:list", "consent_docs:publish"):
        response = client.get(reverse(name))
        assert response.status_code == 302


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.NURSE])
def test_consent_documents_are_for_clinic_admins(role, staff, login):
    http = login(staff[role])
    assert http.get(reverse("consent_docs:list")).status_code == 403
    assert http.get(reverse("consent_docs:publish")).status_code == 403
    assert (
        http.post(reverse("consent_docs:publish"), {"title": "t", "body": DEFAULT_BODY}).status_code
        == 403
    )
    assert not ConsentDocument.objects.exists()


def test_the_first_version_starts_from_the_default_text_with_a_warning(staff, login):
    http = login(staff[Role.CLINIC_ADMIN])

    page = http.get(reverse("consent_docs:publish"))

    assert page.context["form"].initial == {"title": DEFAULT_TITLE, "body": DEFAULT_BODY}
    assert "Every client must sign again." in _text(page)


def test_an_admin_publishes_a_version_prefilled_from_the_current_one(
    clinic, staff, login, document
):
    http = login(staff[Role.CLINIC_ADMIN])
    page = http.get(reverse("consent_docs:publish"))
    assert page.context["form"].initial["body"] == document.body

    response = http.post(
        reverse("consent_docs:publish"),
        {"title": "Consent, 2025", "body": document.body + "\n\n12. Recording."},
    )

    assert response.status_code == 302
    v2 = ConsentDocument.objects.get(clinic=clinic, version=2)
    assert v2.published_by == staff[Role.CLINIC_ADMIN]
    listing = _text(http.get(reverse("consent_docs:list")))
    assert "Consent, 2025" in listing and staff[Role.CLINIC_ADMIN].full_name in listing


def test_publishing_errors_show_at_their_fields_and_save_nothing(staff, login):
    response = login(staff[Role.CLINIC_ADMIN]).post(
        reverse("consent_docs:publish"), {"title": "", "body": "Short."}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "body"}
    assert not ConsentDocument.objects.exists()


def test_versions_of_another_clinic_are_not_listed_or_found(
    clinic, other_clinic, staff, login, document
):
    ensure_document(clinic=other_clinic)
    publish_document(
        clinic=other_clinic,
        title="Theirs v2",
        body=DEFAULT_BODY,
        actor=actor(make_staff(other_clinic, Role.CLINIC_ADMIN), other_clinic),
    )
    http = login(staff[Role.CLINIC_ADMIN])

    listing = http.get(reverse("consent_docs:list"))

    assert [d.version for d in listing.context["versions"]] == [1]
    assert http.get(reverse("consent_docs:detail", args=[1])).status_code == 200
    assert http.get(reverse("consent_docs:detail", args=[2])).status_code == 404


def test_the_document_list_costs_the_same_queries_however_many_versions(
    clinic, staff, login, document
):
    http = login(staff[Role.CLINIC_ADMIN])
    http.get(reverse("consent_docs:list"))
    with CaptureQueriesContext(connection) as one:
        http.get(reverse("consent_docs:list"))
    admin = actor(staff[Role.CLINIC_ADMIN], clinic)
    for n in range(4):
        publish_document(clinic=clinic, title=f"v{n + 2}", body=DEFAULT_BODY, actor=admin)
    with CaptureQueriesContext(connection) as five:
        http.get(reverse("consent_docs:list"))
    assert len(one) == len(five)


def test_nav_shows_protocols_and_consent_documents_to_the_right_roles(staff, login):
    admin = _text(login(staff[Role.CLINIC_ADMIN]).get(reverse("home:home")))
    prescriber = _text(login(staff[Role.PRESCRIBER]).get(reverse("home:home")))
    therapist = _text(login(staff[Role.THERAPIST]).get(reverse("home:home")))

    assert reverse("protocols:screening") in admin and reverse("consent_docs:list") in admin
    assert (
        reverse("protocols:screening") in prescriber
        and reverse("consent_docs:list") not in prescriber
    )
    assert reverse("protocols:screening") not in therapist
