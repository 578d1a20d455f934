"""Outcome definitions: FACTS.md defaults until a clinic publishes its own versions."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.outcomes import selectors
from kapcare.outcomes.config import OUTCOME_INSTRUMENTS, default_config
from kapcare.outcomes.models import InstrumentOutcomeSettings, OutcomeSettings
from kapcare.outcomes.services import publish_outcome_settings
from tests.outcomes.test_selectors import publish_with_jacobson_truax

pytestmark = pytest.mark.django_db


def _form_data(**changes) -> dict:
    """The edit page's POST as the browser sends it with the defaults, plus `changes`."""
    data = {
        "instruments-TOTAL_FORMS": str(len(OUTCOME_INSTRUMENTS)),
        "instruments-INITIAL_FORMS": str(len(OUTCOME_INSTRUMENTS)),
        "instruments-MIN_NUM_FORMS": "0",
        "instruments-MAX_NUM_FORMS": "1000",
        "baseline_rule": "pre_dose_1",
        "notes": "Adopt the clinic's norms",
        "pair_ptsd": "pcl5",
        "pair_ocd": "ocir",
        "pair_depression": "gad7",
        "pair_anxiety": "gad7",
        "pair_other": "gad7",
        "instruments-0-jt_criterion": "c",
    }
    config = default_config()
    for index, code in enumerate(OUTCOME_INSTRUMENTS):
        instrument = config.instruments[code]
        prefix = f"instruments-{index}-"
        data[prefix + "response_kind"] = instrument.response.kind.value
        data[prefix + "response_threshold"] = str(instrument.response.threshold)
        data[prefix + "remission_below"] = str(instrument.remission_below or "")
        data[prefix + "nhs_caseness"] = str(instrument.nhs.caseness)
        data[prefix + "nhs_reliable_change"] = str(instrument.nhs.reliable_change)
        data[prefix + "jt_criterion"] = "c"
    data.update(changes)
    return data


def test_defaults_cite_facts_and_leave_jacobson_truax_unconfigured():
    config = default_config()
    phq = config.instruments["phq9"]
    assert config.baseline_rule == "pre_dose_1"
    assert phq.response.threshold == 50 and phq.remission_below == 5
    assert (phq.nhs.caseness, phq.nhs.reliable_change) == (10, 6)
    assert config.instruments["gad7"].nhs.caseness == 8
    assert config.instruments["ocir"].remission_below is None
    assert phq.reliability is None and "FACTS.md" in phq.source
    assert config.anxiety_measure_for("ptsd") == "pcl5"
    assert config.anxiety_measure_for("depression") == "gad7"


def test_publishing_makes_numbered_versions_and_is_audited(clinic, staff):
    first = publish_with_jacobson_truax(clinic, staff["clinic_admin"])
    second = publish_with_jacobson_truax(clinic, staff["clinic_admin"], baseline_rule="intake")

    assert (first.version, second.version) == (1, 2)
    config = selectors.current_config(clinic.pk)
    assert config.version == 2 and config.baseline_rule == "intake"
    assert config.instruments["phq9"].reliability.sd_pre == 5
    assert config.instruments["phq9"].cutoff == pytest.approx(7.5)
    assert (
        AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="outcomesettings").count()
        == 2
    )


def test_only_a_clinic_admin_may_publish(clinic, staff):
    with pytest.raises(ValidationError, match="clinic admin"):
        publish_outcome_settings(
            actor=Actor.for_user(staff["prescriber"], clinic),
            baseline_rule="intake",
            anxiety_by_condition={},
            instruments={},
        )


def test_an_invalid_row_saves_nothing(clinic, staff):
    with pytest.raises(ValidationError):
        publish_outcome_settings(
            actor=Actor.for_user(staff["clinic_admin"], clinic),
            baseline_rule="pre_dose_1",
            anxiety_by_condition={},
            instruments={
                "phq9": {"response_kind": "percent", "response_threshold": Decimal("50")},
                "gad7": {"response_kind": "percent", "response_threshold": Decimal("150")},
            },
        )
    assert not OutcomeSettings.objects.exists()
    assert not InstrumentOutcomeSettings.objects.exists()


def test_another_clinics_settings_do_not_apply(clinic, other_clinic, staff):
    from tests.factories import make_staff

    admin_elsewhere = make_staff(other_clinic, "clinic_admin")
    publish_with_jacobson_truax(other_clinic, admin_elsewhere, baseline_rule="intake")
    assert selectors.current_config(clinic.pk).version == 0


# --- pages ----------------------------------------------------------------------------------


def test_settings_pages_need_the_right_role(client, staff, login):
    page, edit = reverse("outcomes:settings"), reverse("outcomes:settings_edit")
    assert "/accounts/login/" in client.get(page)["Location"]
    assert login(staff["therapist"]).get(page).status_code == 403
    assert login(staff["prescriber"]).get(page).status_code == 200
    assert login(staff["prescriber"]).get(edit).status_code == 403
    assert login(staff["clinic_admin"]).get(edit).status_code == 200


def test_settings_page_shows_defaults_and_sources(staff, login):
    body = login(staff["prescriber"]).get(reverse("outcomes:settings")).content.decode()
    assert "has not published outcome definitions yet" in body
    # the source by its title, not the internal FACTS.md reference (issue 10, item 25)
    assert "not configured" in body and "Response and remission definitions" in body
    assert "FACTS.md" not in body


def test_admin_publishes_through_the_form(clinic, staff, login):
    data = _form_data(
        **{
            "instruments-0-remission_below": "4.5",
            "instruments-0-jt_sd_pre": "5",
            "instruments-0-jt_reliability": "0.84",
            "instruments-0-jt_clinical_mean": "15",
            "instruments-0-jt_clinical_sd": "5",
            "instruments-0-jt_normal_mean": "3",
            "instruments-0-jt_normal_sd": "3",
            "instruments-0-jt_source": "Clinic norms memo 2026",
        }
    )
    response = login(staff["clinic_admin"]).post(reverse("outcomes:settings_edit"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    config = selectors.current_config(clinic.pk)
    assert config.version == 1
    assert config.instruments["phq9"].remission_below == Decimal("4.5")
    assert config.instruments["phq9"].jt_source == "Clinic norms memo 2026"
    assert config.anxiety_by_condition == {"ptsd": "pcl5", "ocd": "ocir"}
    body = login(staff["prescriber"]).get(reverse("outcomes:settings")).content.decode()
    assert "Clinic norms memo 2026" in body and "version 1" in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("instruments-0-jt_reliability", "1.2", "between 0 and 1"),
        ("instruments-1-response_threshold", "150", "at most 100"),
        ("instruments-0-nhs_reliable_change", "", "both NHS TT values"),
    ],
)
def test_bad_values_are_errors_at_their_fields(clinic, staff, login, field, value, message):
    data = _form_data(**{field: value})
    if field == "instruments-0-jt_reliability":
        data["instruments-0-jt_sd_pre"] = "5"
        data["instruments-0-jt_source"] = "x"
    response = login(staff["clinic_admin"]).post(reverse("outcomes:settings_edit"), data)

    assert response.status_code == 200
    form = dict(zip(OUTCOME_INSTRUMENTS, response.context["formset"].forms, strict=True))
    name = field.split("-", 2)[2]
    code = OUTCOME_INSTRUMENTS[int(field.split("-")[1])]
    assert message in " ".join(form[code].errors[name])
    assert not OutcomeSettings.objects.exists()


def test_jacobson_truax_values_need_their_source(clinic, staff, login):
    data = _form_data(**{"instruments-0-jt_sd_pre": "5", "instruments-0-jt_reliability": "0.8"})
    response = login(staff["clinic_admin"]).post(reverse("outcomes:settings_edit"), data)
    assert response.status_code == 200
    assert "Name the normative study" in " ".join(
        response.context["formset"].forms[0].errors["jt_source"]
    )


def test_a_tampered_form_count_is_refused(clinic, staff, login):
    data = _form_data(**{"instruments-TOTAL_FORMS": "2"})
    response = login(staff["clinic_admin"]).post(reverse("outcomes:settings_edit"), data)
    assert response.status_code == 200 and not OutcomeSettings.objects.exists()
    assert "Please submit at least 4 forms." in response.content.decode()


def test_an_unknown_version_is_not_found(staff, login):
    response = login(staff["prescriber"]).get(reverse("outcomes:settings") + "?version=9")
    assert response.status_code == 404


def test_settings_pages_run_a_fixed_number_of_queries(
    clinic, staff, login, django_assert_max_num_queries
):
    for _ in range(5):
        publish_with_jacobson_truax(clinic, staff["clinic_admin"])
    http = login(staff["clinic_admin"])
    with django_assert_max_num_queries(14):
        assert http.get(reverse("outcomes:settings")).status_code == 200
    with django_assert_max_num_queries(14):
        assert http.get(reverse("outcomes:settings_edit")).status_code == 200
