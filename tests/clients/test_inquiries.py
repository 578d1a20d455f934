"""The public pages and contact form, and the front desk's inquiry queue, detail and conversion."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import Client, ContactMethod, Inquiry, InquiryStatus
from kapcare.clients.services.pathway import sender_fingerprint
from kapcare.core.models import RateLimitHit
from kapcare.courses.models import CourseStatus, TreatmentCourse

INQUIRIES_PER_HOUR_PER_SENDER = settings.KAPCARE_RATE_LIMITS["inquiries_per_address"][0]

VALID_INQUIRY = {
    "first_name": "Maya",
    "last_name": "Okafor",
    "email": "maya@example.com",
    "phone": "",
    "preferred_contact": ContactMethod.EMAIL,
    "hopes": "To feel less stuck.",
    "consent_to_contact": "on",
    "website": "",
}
CLINICAL_ROLES = [Role.THERAPIST, Role.PRESCRIBER, Role.NURSE]
INQUIRY_ROLES = [Role.FRONT_DESK, Role.CLINIC_ADMIN]


def make_inquiry(clinic, **fields) -> Inquiry:
    values = {
        "first_name": "Jonas",
        "last_name": "Brandt",
        "email": "jonas@example.com",
        "preferred_contact": ContactMethod.EMAIL,
        "consent_to_contact": True,
        **fields,
    }
    return Inquiry.objects.create(clinic=clinic, **values)


def post_inquiry(data: dict, ip: str = "198.51.100.7", http: DjangoClient | None = None):
    return (http or DjangoClient()).post(reverse("public:contact"), data, REMOTE_ADDR=ip)


def assert_csp_clean(response) -> None:
    """No inline script, no style attribute, no style block: the page works under our CSP."""
    html = response.content.decode()
    assert "<style" not in html
    assert " style=" not in html
    assert "<script>" not in html and "<script >" not in html


# --- Public pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_about_page_is_public_and_explains_kap_with_a_call_to_action():
    response = DjangoClient().get(reverse("public:about"))

    assert response.status_code == 200
    html = response.content.decode()
    for phrase in (
        "Preparation",
        "Ketamine sessions",
        "Integration",
        "PTSD",
        "OCD",
        "panic",
        "off-label",
        "Screening comes first",
        "dissociation",
        "nausea",
        "blood pressure",
    ):
        assert phrase.lower() in html.lower(), phrase
    assert f'href="{reverse("public:contact")}"' in html
    assert_csp_clean(response)


@pytest.mark.django_db
def test_landing_page_links_anonymous_visitors_to_the_about_page():
    response = DjangoClient().get(reverse("home:landing"))

    assert response.status_code == 200
    assert f'href="{reverse("public:about")}"' in response.content.decode()


def test_contact_form_has_a_honeypot_hidden_from_people_and_no_clinic_choice(clinic):
    response = DjangoClient().get(reverse("public:contact"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="kc-hp" aria-hidden="true">' in html
    field = html[html.index('name="website"') - 200 : html.index('name="website"') + 200]
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert 'aria-hidden="true"' in field
    assert 'name="clinic"' not in html
    assert_csp_clean(response)


def test_an_inquiry_is_queued_for_the_only_clinic_without_keeping_the_address(clinic):
    response = post_inquiry(VALID_INQUIRY, ip="198.51.100.7")

    assert response.status_code == 302
    assert response.url == reverse("public:contact_thanks")
    inquiry = Inquiry.objects.get()
    assert (inquiry.clinic, inquiry.status) == (clinic, InquiryStatus.NEW)
    assert (inquiry.first_name, inquiry.email, inquiry.hopes) == (
        "Maya",
        "maya@example.com",
        "To feel less stuck.",
    )
    assert inquiry.source_fingerprint == sender_fingerprint("198.51.100.7")
    assert "198.51.100.7" not in inquiry.source_fingerprint
    thanks = DjangoClient().get(response.url)
    assert thanks.status_code == 200
    assert b"Thank you" in thanks.content


def test_a_filled_honeypot_is_thanked_but_nothing_is_saved(clinic):
    response = post_inquiry({**VALID_INQUIRY, "website": "http://spam.example"})

    assert response.status_code == 302
    assert response.url == reverse("public:contact_thanks")
    assert not Inquiry.objects.exists()


def test_a_filled_honeypot_is_thanked_even_when_the_rest_is_nonsense(clinic):
    response = post_inquiry({"website": "buy now", "first_name": ""})

    assert response.status_code == 302
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),  # prefers e-mail but gave none
        ({"preferred_contact": ContactMethod.PHONE}, "phone"),  # prefers phone but gave none
        ({"preferred_contact": ContactMethod.TEXT}, "phone"),
        ({"preferred_contact": "pigeon"}, "preferred_contact"),
        ({"preferred_contact": ""}, "preferred_contact"),
        ({"phone": "5" * 41}, "phone"),
        ({"hopes": "x" * 4001}, "hopes"),
        ({"consent_to_contact": ""}, "consent_to_contact"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(changes, field, clinic):
    response = post_inquiry({**VALID_INQUIRY, **changes})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b'class="alert alert-danger"' in response.content
    assert not Inquiry.objects.exists()


def test_a_phone_only_inquiry_is_accepted(clinic):
    response = post_inquiry(
        {
            **VALID_INQUIRY,
            "email": "",
            "phone": "(503) 555-0100",
            "preferred_contact": ContactMethod.TEXT,
        }
    )

    assert response.status_code == 302
    assert Inquiry.objects.get().phone == "(503) 555-0100"


def test_with_several_clinics_the_visitor_must_choose_one(clinic, other_clinic):
    form_page = DjangoClient().get(reverse("public:contact"))
    assert 'name="clinic"' in form_page.content.decode()

    missing = post_inquiry(VALID_INQUIRY)
    assert missing.status_code == 200
    assert "clinic" in missing.context["form"].errors
    assert not Inquiry.objects.exists()

    chosen = post_inquiry({**VALID_INQUIRY, "clinic": other_clinic.pk})
    assert chosen.status_code == 302
    assert Inquiry.objects.get().clinic == other_clinic


def test_the_sixth_inquiry_in_an_hour_from_one_sender_gets_a_friendly_429(clinic):
    for _ in range(INQUIRIES_PER_HOUR_PER_SENDER):
        assert post_inquiry(VALID_INQUIRY, ip="203.0.113.9").status_code == 302

    response = post_inquiry(VALID_INQUIRY, ip="203.0.113.9")

    assert response.status_code == 429
    assert b"try again in an hour" in response.content
    assert Inquiry.objects.count() == INQUIRIES_PER_HOUR_PER_SENDER
    # Another sender is not affected.
    assert post_inquiry(VALID_INQUIRY, ip="203.0.113.10").status_code == 302


def test_the_rate_limit_forgets_inquiries_older_than_an_hour(clinic):
    for _ in range(INQUIRIES_PER_HOUR_PER_SENDER):
        post_inquiry(VALID_INQUIRY, ip="203.0.113.9")
    Inquiry.objects.update(received_at=timezone.now() - dt.timedelta(minutes=61))
    RateLimitHit.objects.update(at=timezone.now() - dt.timedelta(minutes=61))

    assert post_inquiry(VALID_INQUIRY, ip="203.0.113.9").status_code == 302


# --- Queue -------------------------------------------------------------------------------------


def test_queue_needs_sign_in(clinic):
    response = DjangoClient().get(reverse("inquiries:queue"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", CLINICAL_ROLES)
def test_queue_is_refused_to_clinicians(role, staff, login):
    assert login(staff[role]).get(reverse("inquiries:queue")).status_code == 403


@pytest.mark.parametrize("role", INQUIRY_ROLES)
def test_queue_lists_this_clinics_open_inquiries_newest_first(
    role, clinic, other_clinic, staff, login
):
    now = timezone.now()
    older = make_inquiry(clinic, first_name="Older", received_at=now - dt.timedelta(days=2))
    newer = make_inquiry(
        clinic,
        first_name="Newer",
        status=InquiryStatus.CONTACTED,
        received_at=now - dt.timedelta(hours=1),
    )
    make_inquiry(clinic, first_name="Closed", status=InquiryStatus.CLOSED)
    make_inquiry(other_clinic, first_name="Elsewhere")

    response = login(staff[role]).get(reverse("inquiries:queue"))

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [newer, older]
    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="inquiry.list")
    assert event.details["inquiry_ids"] == [newer.pk, older.pk]
    assert_csp_clean(response)


def test_queue_shows_how_to_reach_each_person_by_their_preferred_method(clinic, staff, login):
    make_inquiry(clinic, first_name="Mail", email="mail@example.com", phone="555-0100")
    make_inquiry(
        clinic,
        first_name="Caller",
        email="caller@example.com",
        phone="555-0199",
        preferred_contact=ContactMethod.PHONE,
    )

    html = login(staff[Role.FRONT_DESK]).get(reverse("inquiries:queue")).content.decode()

    assert "mail@example.com" in html and "555-0100" not in html
    assert "555-0199" in html and "caller@example.com" not in html


def test_queue_filters_by_status_and_answers_htmx_with_the_table_only(clinic, staff, login):
    make_inquiry(clinic, first_name="Open")
    closed = make_inquiry(clinic, first_name="Shut", status=InquiryStatus.CLOSED)
    http = login(staff[Role.FRONT_DESK])

    response = http.get(reverse("inquiries:queue"), {"status": "closed"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [closed]
    assert b"<html" not in response.content


def test_queue_pages_cost_a_bounded_number_of_queries(
    clinic, staff, login, django_assert_max_num_queries
):
    handler = staff[Role.FRONT_DESK]
    Inquiry.objects.bulk_create(
        Inquiry(
            clinic=clinic,
            first_name=f"P{i}",
            last_name="Q",
            email=f"p{i}@example.com",
            preferred_contact=ContactMethod.EMAIL,
            consent_to_contact=True,
            status=InquiryStatus.CONTACTED,
            handled_by=handler,
        )
        for i in range(60)
    )
    http = login(handler)
    http.get(reverse("inquiries:queue"))  # warm up: session, content types

    with django_assert_max_num_queries(12):
        response = http.get(reverse("inquiries:queue"), {"page": 2})

    assert len(response.context["page_obj"]) == 25


def test_main_nav_shows_inquiries_to_the_front_desk_only(staff, login):
    url = reverse("inquiries:queue")
    assert (
        f'href="{url}"' in login(staff[Role.FRONT_DESK]).get(reverse("home:home")).content.decode()
    )
    assert (
        f'href="{url}"'
        in login(staff[Role.CLINIC_ADMIN]).get(reverse("home:home")).content.decode()
    )
    assert (
        f'href="{url}"'
        not in login(staff[Role.THERAPIST]).get(reverse("home:home")).content.decode()
    )


# --- Detail ------------------------------------------------------------------------------------


def test_detail_needs_sign_in(clinic):
    inquiry = make_inquiry(clinic)
    response = DjangoClient().get(reverse("inquiries:detail", args=[inquiry.pk]))
    assert response.status_code == 302


def test_detail_is_refused_to_a_therapist(clinic, staff, login):
    inquiry = make_inquiry(clinic)
    response = login(staff[Role.THERAPIST]).get(reverse("inquiries:detail", args=[inquiry.pk]))
    assert response.status_code == 403


def test_another_clinics_or_an_unknown_inquiry_is_not_found(clinic, other_clinic, staff, login):
    theirs = make_inquiry(other_clinic)
    http = login(staff[Role.FRONT_DESK])

    assert http.get(reverse("inquiries:detail", args=[theirs.pk])).status_code == 404
    assert http.get(reverse("inquiries:detail", args=[theirs.pk + 1000])).status_code == 404
    assert not AuditEvent.objects.filter(object_type="inquiry").exists()


def test_detail_shows_the_inquiry_and_audits_the_view(
    clinic, staff, login, django_assert_max_num_queries
):
    inquiry = make_inquiry(clinic, hopes="Sleep through the night.", phone="(503) 555-0142")
    http = login(staff[Role.FRONT_DESK])
    http.get(reverse("home:home"))

    # 12: the audit row appends to the clinic's hash chain (head created, then locked and moved).
    with django_assert_max_num_queries(12):
        response = http.get(reverse("inquiries:detail", args=[inquiry.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Sleep through the night." in html and "(503) 555-0142" in html
    assert reverse("inquiries:convert", args=[inquiry.pk]) in html
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="inquiry")
    assert (event.object_id, event.client, event.actor) == (
        str(inquiry.pk),
        None,
        staff[Role.FRONT_DESK],
    )
    assert_csp_clean(response)


# --- Status ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [InquiryStatus.CONTACTED, InquiryStatus.CLOSED])
def test_front_desk_marks_an_inquiry_contacted_or_closed(status, clinic, staff, login):
    inquiry = make_inquiry(clinic)
    http = login(staff[Role.FRONT_DESK])

    response = http.post(reverse("inquiries:status", args=[inquiry.pk]), {"status": status})

    assert response.status_code == 302
    assert response.url == reverse("inquiries:detail", args=[inquiry.pk])
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.handled_by) == (status, staff[Role.FRONT_DESK])
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="inquiry")
    assert event.details == {"from": "new", "to": status}


def test_status_change_needs_sign_in_post_and_the_right_role(clinic, other_clinic, staff, login):
    inquiry = make_inquiry(clinic)
    theirs = make_inquiry(other_clinic)
    url = reverse("inquiries:status", args=[inquiry.pk])
    data = {"status": InquiryStatus.CLOSED}

    assert DjangoClient().post(url, data).status_code == 302  # to sign-in
    assert login(staff[Role.THERAPIST]).post(url, data).status_code == 403
    # A GET (reload, Back) leads to the inquiry page that holds the form (no dead 405 page).
    assert login(staff[Role.FRONT_DESK]).get(url)["Location"] == reverse(
        "inquiries:detail", args=[inquiry.pk]
    )
    other = reverse("inquiries:status", args=[theirs.pk])
    assert login(staff[Role.FRONT_DESK]).post(other, data).status_code == 404
    inquiry.refresh_from_db()
    theirs.refresh_from_db()
    assert inquiry.status == theirs.status == InquiryStatus.NEW


@pytest.mark.parametrize("status", [InquiryStatus.CONVERTED, InquiryStatus.NEW, "bogus"])
def test_status_change_refuses_anything_but_contacted_or_closed(status, clinic, staff, login):
    inquiry = make_inquiry(clinic, status=InquiryStatus.CONTACTED)

    response = login(staff[Role.FRONT_DESK]).post(
        reverse("inquiries:status", args=[inquiry.pk]), {"status": status}, follow=True
    )

    assert response.status_code == 200
    assert b"alert-danger" in response.content
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CONTACTED


# --- Conversion --------------------------------------------------------------------------------


def test_convert_needs_sign_in_the_right_role_and_this_clinic(clinic, other_clinic, staff, login):
    inquiry = make_inquiry(clinic)
    theirs = make_inquiry(other_clinic)

    assert DjangoClient().get(reverse("inquiries:convert", args=[inquiry.pk])).status_code == 302
    therapist = login(staff[Role.THERAPIST])
    assert therapist.get(reverse("inquiries:convert", args=[inquiry.pk])).status_code == 403
    front_desk = login(staff[Role.FRONT_DESK])
    assert front_desk.get(reverse("inquiries:convert", args=[theirs.pk])).status_code == 404
    response = front_desk.post(
        reverse("inquiries:convert", args=[theirs.pk]),
        {"date_of_birth": "1990-01-01", "condition": "depression"},
    )
    assert response.status_code == 404
    assert not Client.objects.exists()


def test_convert_page_shows_the_name_and_is_audited(
    clinic, staff, login, django_assert_max_num_queries
):
    inquiry = make_inquiry(clinic, first_name="Ines", last_name="Duarte")
    http = login(staff[Role.FRONT_DESK])
    http.get(reverse("home:home"))

    # 12: the audit row appends to the clinic's hash chain (head created, then locked and moved).
    with django_assert_max_num_queries(12):
        response = http.get(reverse("inquiries:convert", args=[inquiry.pk]))

    assert response.status_code == 200
    assert b"Register Ines Duarte as a client" in response.content
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="inquiry").count() == 1
    assert_csp_clean(response)


@pytest.mark.parametrize("role", INQUIRY_ROLES)
def test_conversion_creates_a_client_with_a_course_in_screening(role, clinic, staff, login):
    inquiry = make_inquiry(clinic, first_name="Ines", last_name="Duarte", phone="(503) 555-0111")
    http = login(staff[role])

    response = http.post(
        reverse("inquiries:convert", args=[inquiry.pk]),
        {"date_of_birth": "1988-03-14", "condition": "ptsd"},
    )

    client = Client.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("clients:detail", args=[client.pk])
    assert (client.clinic, client.first_name, client.last_name, client.email, client.phone) == (
        clinic,
        "Ines",
        "Duarte",
        "jonas@example.com",
        "(503) 555-0111",
    )
    assert client.date_of_birth == dt.date(1988, 3, 14)
    course = TreatmentCourse.objects.get(client=client)
    assert (course.status, course.condition) == (CourseStatus.SCREENING, "ptsd")
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.client, inquiry.handled_by) == (
        InquiryStatus.CONVERTED,
        client,
        staff[role],
    )
    page = http.get(response.url)
    assert b"is now a client" in page.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date_of_birth": "", "condition": "depression"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-31", "condition": "depression"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01", "condition": "depression"}, "date_of_birth"),
        ({"date_of_birth": "1850-01-01", "condition": "depression"}, "date_of_birth"),
        ({"date_of_birth": "1990-01-01", "condition": ""}, "condition"),
        ({"date_of_birth": "1990-01-01", "condition": "boredom"}, "condition"),
    ],
)
def test_conversion_with_bad_input_shows_the_error_and_creates_nothing(
    data, field, clinic, staff, login
):
    inquiry = make_inquiry(clinic)

    response = login(staff[Role.FRONT_DESK]).post(
        reverse("inquiries:convert", args=[inquiry.pk]), data
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Client.objects.exists() and not TreatmentCourse.objects.exists()
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.NEW


def test_converting_twice_goes_to_the_existing_client(clinic, staff, login):
    inquiry = make_inquiry(clinic)
    http = login(staff[Role.FRONT_DESK])
    data = {"date_of_birth": "1990-01-01", "condition": "depression"}
    http.post(reverse("inquiries:convert", args=[inquiry.pk]), data)

    again = http.post(reverse("inquiries:convert", args=[inquiry.pk]), data)

    client = Client.objects.get()
    assert again.status_code == 302
    assert again.url == reverse("clients:detail", args=[client.pk])
    assert TreatmentCourse.objects.count() == 1
    # A converted inquiry can no longer be marked contacted or closed.
    http.post(reverse("inquiries:status", args=[inquiry.pk]), {"status": "closed"})
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CONVERTED
