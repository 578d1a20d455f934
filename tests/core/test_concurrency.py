"""One mechanism against lost updates (kapcare.core.concurrency), used by every edit form of a
shared record: the care, screening and dosing protocol editors (each publishes a new version,
which must be based on the version in force) and the care team. The client edit form's own
test is tests/clients/test_concurrency.py."""

import re

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.clients.models import CareTeamMember
from kapcare.core.concurrency import VERSION_FIELD, ConcurrentChange, check_unchanged, state_token
from kapcare.courses.models import CareProtocol
from kapcare.dosing.models import DosingProtocol
from kapcare.screening.models import ScreeningProtocol
from kapcare.screening.selectors import current_protocol, rules_as_dicts
from tests.factories import make_staff


def _version(response) -> str:
    match = re.search(rf'name="{VERSION_FIELD}" value="([0-9a-f]+)"', response.content.decode())
    assert match, "the form carries the version it was opened at"
    return match.group(1)


def _as_post(form) -> dict:
    """A form's initial values as a browser would post them."""
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
    return data


@pytest.fixture
def two_admins(clinic, staff, login):
    return login(staff[Role.CLINIC_ADMIN]), login(make_staff(clinic, Role.CLINIC_ADMIN))


# --- The mechanism ----------------------------------------------------------------------------


def test_check_unchanged_passes_the_same_version_and_names_each_differing_field():
    saved = {"phone": "1", "email": "a@example.com", "address": "x"}
    check_unchanged(expected=state_token(saved), current=saved, yours={**saved, "phone": "2"})
    check_unchanged(expected=None, current=saved, yours={})  # no form: nothing to compare

    with pytest.raises(ConcurrentChange) as refused:
        check_unchanged(
            expected=state_token({**saved, "phone": "0"}),
            current=saved,
            yours={**saved, "email": "b@example.com"},
        )
    assert [(c.name, c.theirs, c.yours) for c in refused.value.conflicts] == [
        ("email", "a@example.com", "b@example.com")
    ]
    assert refused.value.token == state_token(saved)


# --- Care protocol ----------------------------------------------------------------------------


def test_care_protocol_published_twice_from_one_version_shows_both(clinic, two_admins):
    first, second = two_admins
    url = reverse("care_protocol:detail")
    base = {"required_elements": ["intentions", "safety_plan"], "integration_window_hours": 72}
    # Given a protocol in force, and two admins who opened its editor
    first.post(url, {**base, "min_preparation_sessions": 1, VERSION_FIELD: "0"})
    seen_first, seen_second = _version(first.get(url)), _version(second.get(url))

    # When the first publishes 3 preparation sessions, then the second 2 (from the same version)
    assert first.post(url, {**base, "min_preparation_sessions": 3, VERSION_FIELD: seen_first})
    response = second.post(url, {**base, "min_preparation_sessions": 2, VERSION_FIELD: seen_second})

    # Then the second is refused with both versions side by side, and the first's stands
    assert response.status_code == 200
    conflicts = {c.name: (c.theirs, c.yours) for c in response.context["form"].conflict.conflicts}
    assert conflicts == {"min_preparation_sessions": ("3", "2")}
    assert CareProtocol.objects.filter(clinic=clinic).order_by("-version").first().version == 2
    assert "Theirs (saved now)" in response.content.decode()

    # When they publish again from the form as shown, it is based on the version in force
    again = second.post(
        url, {**base, "min_preparation_sessions": 2, VERSION_FIELD: _version(response)}
    )
    assert again.status_code == 302
    assert CareProtocol.objects.filter(clinic=clinic).order_by("-version").first().version == 3


# --- Screening protocol -----------------------------------------------------------------------


def _screening_post(page, *, kind_of=None, notes="Change") -> dict:
    formset = page.context["formset"]
    data = {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
    for index, form in enumerate(formset.forms):
        row = dict(form.initial)
        row.update((kind_of or {}).get(row["key"], {}))
        data[f"rules-{index}-key"] = row["key"]
        data[f"rules-{index}-kind"] = row["kind"]
        if row["enabled"]:
            data[f"rules-{index}-enabled"] = "on"
        if row["override_allowed"]:
            data[f"rules-{index}-override_allowed"] = "on"
    data["notes"] = notes
    data[VERSION_FIELD] = _version(page)
    return data


def test_screening_protocol_published_from_an_old_version_is_refused_rule_by_rule(
    clinic, two_admins
):
    from kapcare.screening.services import ensure_protocol

    ensure_protocol(clinic=clinic)
    first, second = two_admins
    url = reverse("protocols:screening_edit")
    page_first, page_second = first.get(url), second.get(url)

    # When the first makes a rule absolute and publishes, then the second publishes from v1
    assert (
        first.post(url, _screening_post(page_first, kind_of={"bp_elevated": {"kind": "absolute"}}))
    ).status_code == 302
    response = second.post(url, _screening_post(page_second, notes="Unrelated"))

    # Then the second is refused; the rule the first changed is shown, theirs and yours
    assert response.status_code == 200
    conflicts = {c.name: (c.theirs, c.yours) for c in response.context["form"].conflict.conflicts}
    assert set(conflicts) == {"bp_elevated"}
    assert conflicts["bp_elevated"][0].startswith("Absolute")
    assert ScreeningProtocol.objects.filter(clinic=clinic).count() == 2
    rules = {r["key"]: r for r in rules_as_dicts(current_protocol(clinic.pk))}
    assert rules["bp_elevated"]["kind"] == "absolute"


# --- Dosing protocol --------------------------------------------------------------------------


def test_dosing_protocol_published_from_an_old_version_is_refused(clinic, two_admins):
    first, second = two_admins
    url = reverse("dosing_protocol:edit")
    data_first = _as_post(first.get(url).context["form"])
    data_second = _as_post(second.get(url).context["form"])

    # When the first lowers the systolic alert and publishes, then the second publishes from v1
    saved = first.post(url, {**data_first, "alert_systolic": "170", "notes": "Stricter alert"})
    assert saved.status_code == 302
    response = second.post(url, {**data_second, "alert_diastolic": "105", "notes": "Other"})

    # Then the second is refused: both settings shown, theirs and yours; only v2 was published
    assert response.status_code == 200
    conflicts = {c.name: (c.theirs, c.yours) for c in response.context["form"].conflict.conflicts}
    assert conflicts["alert_systolic"] == ("170", data_second["alert_systolic"])
    assert "alert_diastolic" in conflicts
    assert DosingProtocol.objects.filter(clinic=clinic).order_by("-version").first().version == 2
    assert DosingProtocol.objects.get(clinic=clinic, version=2).alert_systolic == 170


# --- Care team --------------------------------------------------------------------------------


def test_care_team_changed_since_the_page_was_opened_is_shown_not_overwritten(
    client_record, clinic, staff, two_admins
):
    first, second = two_admins
    url = reverse("clients:care_team", args=[client_record.pk])
    seen_first, seen_second = _version(first.get(url)), _version(second.get(url))
    therapist = make_staff(clinic, Role.THERAPIST, full_name="Tess Newcomb")
    nurse = make_staff(clinic, Role.NURSE, full_name="Noor Lately")

    # When the first adds a therapist, then the second (page opened before) adds a nurse
    added = first.post(url, {"user": therapist.pk, "role": "therapist", VERSION_FIELD: seen_first})
    assert added.status_code == 302
    response = second.post(url, {"user": nurse.pk, "role": "nurse", VERSION_FIELD: seen_second})

    # Then the second sees the team as it is now beside theirs, and nothing was added
    assert response.status_code == 200
    [conflict] = response.context["form"].conflict.conflicts
    assert "Tess Newcomb" in conflict.theirs and "Noor Lately" not in conflict.theirs
    assert "Noor Lately" in conflict.yours
    assert not CareTeamMember.objects.filter(user=nurse).exists()

    # A removal from a page opened before the team changed is refused the same way
    member = CareTeamMember.objects.get(client=client_record, user=staff[Role.NURSE])
    remove = reverse("clients:care_team_remove", args=[client_record.pk, member.pk])
    refused = second.post(remove, {VERSION_FIELD: seen_second}, follow=True)
    assert CareTeamMember.objects.filter(pk=member.pk).exists()
    assert "changed since you opened" in refused.content.decode()
    removed = second.post(remove, {VERSION_FIELD: _version(refused)})
    assert removed.status_code == 302
    assert not CareTeamMember.objects.filter(pk=member.pk).exists()
