"""Issue 10 item 24: the public site is the clinic's own: its name, address, phone, hours and
fees from the clinic's settings (edited by the clinic admin), with navigation on every page."""

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import LinkPurpose
from kapcare.clients.services.links import create_link

pytestmark = pytest.mark.django_db

SETTINGS = {
    "name": "Harbor Light Wellness",
    "address_line1": "12 Harbor Street",
    "address_line2": "Suite 3",
    "city": "Portland",
    "region": "OR",
    "postal_code": "97201",
    "country": "US",
    "phone": "(503) 555-0199",
    "public_email": "hello@harborlight.example",
    "about": "A small clinic offering ketamine-assisted psychotherapy in Portland.",
    "opening_hours": "Mon–Thu 9:00–17:00\nFri 9:00–13:00",
    "fees": "Consultation: $150\nKetamine session: $650",
    "weight_unit": "lb",
}


def _save_settings(http, **changes):
    return http.post(reverse("accounts:clinic_settings"), {**SETTINGS, **changes})


def test_the_clinic_admin_edits_the_clinics_settings_and_it_is_audited(clinic, staff, login):
    http = login(staff[Role.CLINIC_ADMIN])
    assert http.get(reverse("accounts:clinic_settings")).status_code == 200

    response = _save_settings(http)

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.name, clinic.phone, clinic.weight_unit) == (
        "Harbor Light Wellness",
        "(503) 555-0199",
        "lb",
    )
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="clinic")
    assert "fees" in event.details["fields"]


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.NURSE])
def test_only_the_clinic_admin_changes_the_settings(role, clinic, staff, login):
    http = login(staff[role])
    assert http.get(reverse("accounts:clinic_settings")).status_code == 403
    assert _save_settings(http).status_code == 403
    clinic.refresh_from_db()
    assert clinic.name == "Harbor Light"


def test_bad_settings_are_shown_at_the_field_and_nothing_is_saved(clinic, staff, login):
    response = _save_settings(
        login(staff[Role.CLINIC_ADMIN]), public_email="not an address", name=""
    )

    assert response.status_code == 200
    assert {"public_email", "name"} <= set(response.context["form"].errors)
    assert Clinic.objects.get(pk=clinic.pk).name == "Harbor Light"


def test_the_home_page_is_the_clinics_own_site(clinic, staff, login):
    _save_settings(login(staff[Role.CLINIC_ADMIN]))

    html = DjangoClient().get(reverse("home:landing")).content.decode()

    assert "kapcare helps a clinic" not in html
    for shown in (
        "Harbor Light Wellness",
        "12 Harbor Street",
        "Portland OR 97201",
        "(503) 555-0199",
        "hello@harborlight.example",
        "Fri 9:00–13:00",
        "Ketamine session: $650",
        "A small clinic offering",
    ):
        assert shown in html, shown


def test_every_public_page_has_the_clinics_navigation(clinic, staff, client_record):
    _link, token = create_link(
        actor=Actor.for_user(staff[Role.FRONT_DESK], clinic),
        client=client_record,
        purpose=LinkPurpose.INTAKE,
    )
    pages = [
        reverse("home:landing"),
        reverse("public:about"),
        reverse("public:contact"),
        reverse("public:contact_thanks"),
        reverse("public:intake_link", args=[token]),
        reverse("public:intake_thanks"),
    ]
    for page in pages:
        html = DjangoClient().get(page).content.decode()
        nav = html[html.index('aria-label="Main"') :][:3000]
        assert "Harbor Light" in nav, page
        for target in ("home:landing", "public:about", "public:contact"):
            assert f'href="{reverse(target)}"' in nav, (page, target)
        assert "12 Harbor" not in html or "Harbor Light" in html
