import pytest
from django.urls import reverse

from kapcare.courses.gates import dosing_gates
from kapcare.courses.models import CareProtocol
from tests.factories import ClinicFactory, make_staff
from tests.pathway import ready_course

URL = "care_protocol:detail"


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    assert client.get(reverse(URL)).status_code == 302


def test_front_desk_has_no_business_with_the_care_protocol(staff, login):
    assert login(staff["front_desk"]).get(reverse(URL)).status_code == 403


@pytest.mark.parametrize("role", ["therapist", "prescriber", "nurse"])
def test_clinicians_read_but_cannot_publish(staff, login, role):
    http = login(staff[role])
    assert "72" in http.get(reverse(URL)).content.decode()
    data = {
        "min_preparation_sessions": 2,
        "required_elements": ["intentions"],
        "integration_window_hours": 48,
    }
    assert http.post(reverse(URL), data).status_code == 403
    assert not CareProtocol.objects.exists()


def test_admin_publishes_a_stricter_protocol_that_reopens_the_preparation_gate(
    clinic, staff, client_record, login
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    data = {
        "min_preparation_sessions": 2,
        "required_elements": ["psychoeducation", "intentions", "safety_plan", "ride_plan"],
        "integration_window_hours": 48,
    }

    response = login(staff["clinic_admin"]).post(reverse(URL), data)

    assert response.status_code == 302
    protocol = CareProtocol.objects.get(clinic=clinic)
    assert (protocol.version, protocol.integration_window_hours) == (1, 48)
    gate = next(g for g in dosing_gates(course) if g.key == "preparation")
    assert not gate.passed and "1 of 2" in gate.reason


def test_bad_values_are_refused_at_their_fields_and_nothing_is_published(staff, login):
    data = {
        "min_preparation_sessions": 0,
        "required_elements": ["telepathy"],
        "integration_window_hours": "",
    }

    response = login(staff["clinic_admin"]).post(reverse(URL), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "greater than or equal to 1" in body and "not one of the available choices" in body
    assert not CareProtocol.objects.exists()


def test_each_clinic_has_its_own_protocol(staff, login):
    other = ClinicFactory()
    admin = make_staff(other, "clinic_admin")
    login(admin).post(
        reverse(URL),
        {
            "min_preparation_sessions": 3,
            "required_elements": ["intentions"],
            "integration_window_hours": 24,
        },
    )
    assert (
        "version 1" not in login(staff["clinic_admin"]).get(reverse(URL)).content.decode().lower()
    )
