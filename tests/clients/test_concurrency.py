"""No lost updates on a client record: a save based on an older version is refused and shows
both versions, field by field (kapcare.core.concurrency)."""

import re

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.services import client_version, update_client
from kapcare.core.concurrency import VERSION_FIELD, ConcurrentChange
from tests.clients.test_views import VALID_CLIENT


def _opened_version(response) -> str:
    match = re.search(rf'name="{VERSION_FIELD}" value="([0-9a-f]+)"', response.content.decode())
    assert match, "the edit form carries the version it was opened at"
    return match.group(1)


@pytest.fixture
def two_desks(client_record, staff, clinic, login):
    from tests.factories import make_staff

    return login(staff["front_desk"]), login(make_staff(clinic, "front_desk"))


def test_the_second_save_of_a_client_opened_twice_shows_both_versions_and_overwrites_nothing(
    client_record, two_desks
):
    first, second = two_desks
    url = reverse("clients:edit", args=[client_record.pk])
    data = {**VALID_CLIENT, "first_name": "Rowan", "last_name": "Ashby"}
    # Given two staff members who opened the same client's edit form
    seen_first, seen_second = _opened_version(first.get(url)), _opened_version(second.get(url))

    # When the first changes the phone number and saves
    saved = first.post(url, {**data, "phone": "(503) 555-1111", VERSION_FIELD: seen_first})
    assert saved.status_code == 302
    # …and the second, whose form still shows the old number, changes the e-mail and saves
    response = second.post(url, {**data, "email": "new@example.com", VERSION_FIELD: seen_second})

    # Then the second save is refused, the first's change stands, and nothing else was written
    assert response.status_code == 200
    client_record.refresh_from_db()
    assert (client_record.phone, client_record.email) == ("(503) 555-1111", "imogen@example.com")
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE).count() == 1
    # …and both versions are shown, field by field
    conflict = response.context["form"].conflict
    rows = {c.name: (c.theirs, c.yours) for c in conflict.conflicts}
    assert rows["phone"] == ("(503) 555-1111", VALID_CLIENT["phone"])
    assert rows["email"] == ("imogen@example.com", "new@example.com")
    body = response.content.decode()
    assert "Theirs (saved now)" in body and "Yours (not saved)" in body
    assert "(503) 555-1111" in body

    # When the second, having seen theirs, saves again from the form as shown
    again = second.post(
        url, {**data, "email": "new@example.com", VERSION_FIELD: _opened_version(response)}
    )

    # Then that save is deliberate and goes through
    assert again.status_code == 302
    client_record.refresh_from_db()
    assert client_record.email == "new@example.com"


def test_update_client_refuses_a_stale_version_inside_its_transaction(
    client_record, staff, actor_for
):
    actor = actor_for(staff["front_desk"], client_record.clinic)
    opened = client_version(client_record)
    update_client(actor=actor, client=client_record, data={"phone": "1"}, expected_version=opened)

    with pytest.raises(ConcurrentChange) as refused:
        update_client(
            actor=actor, client=client_record, data={"phone": "2"}, expected_version=opened
        )

    assert [(c.name, c.theirs, c.yours) for c in refused.value.conflicts] == [("phone", "1", "2")]
    assert refused.value.token == client_version(client_record)
    client_record.refresh_from_db()
    assert client_record.phone == "1"


def test_a_tampered_version_is_a_field_error_not_a_crash(client_record, staff, login):
    url = reverse("clients:edit", args=[client_record.pk])
    response = login(staff["front_desk"]).post(url, {**VALID_CLIENT, VERSION_FIELD: "x{0}"})
    assert response.status_code == 200
    assert "out of date" in str(response.context["form"].non_field_errors())


def test_the_intake_form_does_not_put_back_an_emergency_contact_changed_meanwhile(
    client_record, two_desks
):
    from tests.clients.test_intake import VALID_INTAKE

    first, second = two_desks
    intake_url = reverse("intake:edit", args=[client_record.pk])
    edit_url = reverse("clients:edit", args=[client_record.pk])
    # Given one desk with the intake form open, and the other with the client's edit form
    intake_opened = _opened_version(first.get(intake_url))
    edit_opened = _opened_version(second.get(edit_url))

    # When the second changes the emergency contact's phone, then the first saves the intake
    data = {**VALID_CLIENT, "first_name": "Rowan", "last_name": "Ashby"}
    changed = second.post(
        edit_url, {**data, "emergency_contact_phone": "(503) 555-7777", VERSION_FIELD: edit_opened}
    )
    assert changed.status_code == 302
    response = first.post(intake_url, {**VALID_INTAKE, VERSION_FIELD: intake_opened})

    # Then the intake save is refused with both phones shown, and the new phone stands
    assert response.status_code == 200
    rows = {c.name: (c.theirs, c.yours) for c in response.context["form"].conflict.conflicts}
    assert rows["emergency_contact_phone"] == (
        "(503) 555-7777",
        VALID_INTAKE["emergency_contact_phone"],
    )
    client_record.refresh_from_db()
    assert client_record.emergency_contact_phone == "(503) 555-7777"
