"""Hostile input at the edge: each case here used to answer 500 (issue 10, item 9)."""

import datetime as dt

import pytest
from django.http import HttpResponse
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.core.downloads import content_disposition, set_download_name
from kapcare.courses.models import TreatmentCourse
from kapcare.ledger.models import Lot
from kapcare.screening.services import ensure_protocol
from tests.ledger.conftest import make_product, receive
from tests.pathway import actor, screened_course

FORMAT_STRINGS = ["%s", "%(x)s %s", "{0}", "{x.__class__}", "%"]


# --- Format strings in posted values ------------------------------------------------------------


@pytest.mark.parametrize("target", FORMAT_STRINGS)
def test_a_format_string_as_the_course_target_is_refused_at_the_page(
    target, clinic, staff, client_record, login
):
    # given a client with a course
    screened_course(clinic=clinic, staff=staff, client=client_record)
    status = TreatmentCourse.objects.get(client=client_record).status
    # when the status-change form is posted with a format string as its target
    response = login(staff[Role.THERAPIST]).post(
        reverse("courses:transition", args=[client_record.pk]), {"to": target, "reason": "x"}
    )
    # then the change is refused with a message, not a 500, and nothing changed
    assert response.status_code in (200, 302, 400)
    assert TreatmentCourse.objects.get(client=client_record).status == status


# --- NUL bytes never reach the database -----------------------------------------------------------


def test_a_nul_byte_in_the_login_email_is_refused_before_any_view(client, db):
    response = client.post(reverse("accounts:login"), {"username": "a\x00@b.test", "password": "x"})
    assert response.status_code == 400


def test_a_nul_byte_in_the_user_agent_is_refused(client, db):
    response = client.get(reverse("accounts:login"), HTTP_USER_AGENT="Mozilla\x00/5.0")
    assert response.status_code == 400


def test_a_nul_byte_in_a_query_string_or_cookie_is_refused(client, db):
    assert client.get(reverse("accounts:login") + "?next=%00").status_code == 400
    client.cookies["kc_probe"] = "a\x00b"
    assert client.get(reverse("accounts:login")).status_code == 400


def test_a_nul_byte_in_a_measure_code_is_refused(staff, client_record, login):
    response = login(staff[Role.THERAPIST]).post(
        reverse("measures:request", args=[client_record.pk]), {"code": "phq9\x00"}
    )
    assert response.status_code == 400


def test_text_without_nul_still_passes(client, db):
    response = client.post(
        reverse("accounts:login"), {"username": "ünïcode@b.test", "password": "x"}
    )
    assert response.status_code == 200


# --- Lot numbers and download names ---------------------------------------------------------------


def _receive_data(product, safe, lot_number):
    return {
        "product": product.pk,
        "lot_number": lot_number,
        "ndc": "0409-2051-05",
        "expires_on": (dt.date.today() + dt.timedelta(days=400)).isoformat(),
        "quantity": "3",
        "unit": "unit",
        "location": safe.pk,
        "supplier_name": "Cardinal Health",
        "reference": "PS-1001",
    }


@pytest.fixture
def kit(clinic):
    from kapcare.ledger.models import Location, LocationKind

    return make_product(clinic), Location.objects.create(
        clinic=clinic, name="Main safe", kind=LocationKind.SAFE
    )


@pytest.mark.parametrize("lot_number", ["K1\r\nSet-Cookie: x=1", "K1\nX", "K1\tX", "K1\x7fX"])
def test_a_lot_number_with_control_characters_is_refused_at_its_field(
    lot_number, staff, kit, login
):
    product, safe = kit
    response = login(staff[Role.NURSE]).post(
        reverse("ledger:receive"), _receive_data(product, safe, lot_number)
    )
    assert response.status_code == 200
    assert "lot_number" in response.context["form"].errors
    assert not Lot.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
@pytest.mark.parametrize(
    "lot_number", ["K1\r\nSet-Cookie: x=1", 'A"; filename="evil.exe', "Lot ünï 東京 \u202e"]
)
def test_a_stored_hostile_lot_number_never_breaks_its_exports(
    lot_number, fmt, clinic, staff, kit, login
):
    # given a lot stored (before this fix, or by another path) with a hostile number
    product, safe = kit
    lot = receive(actor(staff[Role.NURSE], clinic), product, safe, lot_number=lot_number).lot
    # when its history is exported
    response = login(staff[Role.NURSE]).get(reverse("ledger:lot_export", args=[lot.pk, fmt]))
    # then the download works and its header names one safe file
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.count("filename=") == 1 and header.count("filename*=") == 1
    assert "\r" not in header and "\n" not in header and 'evil.exe"' not in header


def test_the_download_name_is_safe_ascii_plus_rfc6266_utf8():
    header = content_disposition('Lot "ünï"\r\n; filename=x.exe 東京.csv')
    ascii_part, utf8_part = header.split("; filename*=")
    assert ascii_part.startswith('attachment; filename="')
    ascii_name = ascii_part.removeprefix('attachment; filename="').removesuffix('"')
    assert ascii_name.isascii() and all(c.isalnum() or c in "._-" for c in ascii_name)
    assert ascii_name.endswith(".csv")
    assert utf8_part.startswith("UTF-8''") and "%E6%9D%B1" in utf8_part
    assert "\r" not in header and "\n" not in header and ";" not in utf8_part
    assert content_disposition("a.pdf", attachment=False).startswith('inline; filename="a.pdf"')


def test_a_name_of_only_unsafe_characters_still_gets_a_name():
    response = set_download_name(HttpResponse(), '\r\n"; .csv')
    assert 'filename="download.csv"' in response["Content-Disposition"]


# --- Tampered formsets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "management", [{"INITIAL_FORMS": "0"}, {"TOTAL_FORMS": "+1"}, {"INITIAL_FORMS": "x"}, {}]
)
def test_the_protocol_form_with_tampered_management_fields_is_refused(
    management, clinic, staff, login
):
    ensure_protocol(clinic=clinic)
    http = login(staff[Role.CLINIC_ADMIN])
    formset = http.get(reverse("protocols:screening_edit")).context["formset"]
    data = {f"rules-{k}": v for k, v in formset.management_form.initial.items()}
    total = int(data["rules-TOTAL_FORMS"])
    for index, form in enumerate(formset.forms):
        data[f"rules-{index}-key"] = form.initial["key"]
        data[f"rules-{index}-kind"] = form.initial["kind"]
    for key, value in management.items():
        data[f"rules-{key}"] = str(total + 1) if value == "+1" else value
    if not management:
        data = {k: v for k, v in data.items() if "FORMS" not in k}
    data["notes"] = "Tampered"

    response = http.post(reverse("protocols:screening_edit"), data)

    assert response.status_code == 200
    assert not response.context["formset"].is_valid()
