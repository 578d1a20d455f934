"""The screening tab (run, review, override) and the clinic's screening protocol pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.services.pathway import save_intake
from kapcare.courses.services import open_course
from kapcare.screening.models import (
    DecisionBasis,
    EligibilityDecision,
    Screening,
    ScreeningProtocol,
)
from kapcare.screening.selectors import current_protocol, rules_as_dicts
from kapcare.screening.services import ensure_protocol, publish_protocol, run_screening
from tests.factories import ClientFactory, make_staff, put_on_team
from tests.pathway import BENIGN_INTAKE, actor, screened_course

RELATIVE = {"conditions": ["bipolar_disorder"], "current_medications": "Xanax 0.5 mg\nsertraline"}
ABSOLUTE_OVERRIDABLE = {"baseline_systolic": 185, "baseline_diastolic": 95}
ABSOLUTE_NO_OVERRIDE = {"conditions": ["aneurysm_avm"]}


def _url(client, name="screening:overview", *args):
    return reverse(name, args=[client.pk, *args])


def _text(response) -> str:
    return response.content.decode()


# --- Access --------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client_record, client):
    for url in (_url(client_record), _url(client_record, "screening:run")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_roles_without_clinical_access_are_refused(role, client_record, staff, login):
    http = login(staff[role])
    assert http.get(_url(client_record)).status_code == 403
    assert http.post(_url(client_record, "screening:run")).status_code == 403
    assert not Screening.objects.exists()


def test_a_clinician_off_the_care_team_does_not_see_the_client(client_record, clinic, login):
    outsider = make_staff(clinic, Role.PRESCRIBER)
    assert login(outsider).get(_url(client_record)).status_code == 404


def test_another_clinics_client_is_not_found(other_clinic, staff, login):
    elsewhere = ClientFactory(clinic=other_clinic)
    http = login(staff[Role.PRESCRIBER])
    assert http.get(_url(elsewhere)).status_code == 404
    assert http.post(_url(elsewhere, "screening:run")).status_code == 404


def test_another_clients_or_clinics_screening_is_not_found(
    clinic, other_clinic, staff, client_record, login
):
    # Given a screening for another client at the same clinic, and one at another clinic
    neighbour = ClientFactory(clinic=clinic)
    for role in (Role.THERAPIST, Role.PRESCRIBER):
        put_on_team(neighbour, staff[role], role)
    _, theirs = screened_course(clinic=clinic, staff=staff, client=neighbour, intake=RELATIVE)
    far_prescriber = make_staff(other_clinic, Role.PRESCRIBER)
    far_client = ClientFactory(clinic=other_clinic)
    put_on_team(far_client, far_prescriber, Role.PRESCRIBER)
    _, far = screened_course(
        clinic=other_clinic, staff={"therapist": far_prescriber}, client=far_client, intake=RELATIVE
    )
    screened_course(clinic=clinic, staff=staff, client=client_record, intake=RELATIVE)
    http = login(staff[Role.PRESCRIBER])
    signed = {
        "decision": "approve",
        "reason": "ok",
        "signature_name": staff[Role.PRESCRIBER].full_name,
    }

    # When the prescriber posts decisions on them through this client's address, then 404
    for screening in (theirs, far):
        assert (
            http.post(_url(client_record, "screening:review", screening.pk), signed).status_code
            == 404
        )
        assert (
            http.post(_url(client_record, "screening:override", screening.pk), signed).status_code
            == 404
        )
    assert not EligibilityDecision.objects.filter(basis=DecisionBasis.PRESCRIBER_REVIEW).exists()


def test_a_screening_that_needs_review_is_reported_as_a_warning_not_a_success(
    clinic, staff, client_record, login
):
    therapist = actor(staff[Role.THERAPIST], clinic)
    open_course(actor=therapist, client=client_record, condition="depression")
    save_intake(actor=therapist, client=client_record, data={**BENIGN_INTAKE, **RELATIVE})

    response = login(staff[Role.THERAPIST]).post(_url(client_record, "screening:run"), follow=True)

    [message] = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert "prescriber review required" in message.message


def test_once_reviewed_the_screening_says_so_instead_of_asking_for_review(
    clinic, staff, client_record, login
):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = staff[Role.PRESCRIBER]
    http = login(prescriber)
    http.post(
        _url(client_record, "screening:review", screening.pk),
        {"decision": "approve", "reason": "Stable.", "signature_name": prescriber.full_name},
    )

    page = _text(http.get(_url(client_record)))

    assert "Reviewed: eligible" in page
    assert "Prescriber review required" not in page
    assert 'name="signature_name"' not in page
    assert "passes — eligible under the current protocol." in page


def test_evidence_is_shown_in_the_intake_words_not_the_engine_keys(
    clinic, staff, client_record, login
):
    screened_course(
        clinic=clinic,
        staff=staff,
        client=client_record,
        intake={"pregnancy_status": "breastfeeding", "baseline_systolic": 150},
    )

    page = _text(login(staff[Role.THERAPIST]).get(_url(client_record)))

    assert "Pregnancy:</span> Breastfeeding</span>" in page
    assert "Systolic BP (mmHg):</span> 150</span>" in page
    assert "pregnancy_status" not in page and "baseline_systolic" not in page


def test_the_signature_field_tells_the_prescriber_what_to_type(clinic, staff, client_record, login):
    screened_course(clinic=clinic, staff=staff, client=client_record, intake=RELATIVE)
    prescriber = staff[Role.PRESCRIBER]

    response = login(prescriber).get(_url(client_record))

    help_text = response.context["review_form"].fields["signature_name"].help_text
    assert help_text == f"Type it exactly as on your account: {prescriber.full_name}."
    assert 'aria-describedby="id_signature_name_helptext"' in _text(response)


# --- The tab -------------------------------------------------------------------------------------


def test_the_tab_shows_each_finding_with_its_evidence_rationale_and_source(
    clinic, staff, client_record, login
):
    screened_course(clinic=clinic, staff=staff, client=client_record, intake=RELATIVE)

    response = login(staff[Role.THERAPIST]).get(_url(client_record))

    assert response.status_code == 200
    text = _text(response)
    assert "Prescriber review required" in text
    assert "Bipolar disorder (not currently manic)" in text  # rule label
    assert "History:</span> Bipolar disorder</span>" in text  # evidence, in the intake's words
    assert "Xanax 0.5 mg" in text  # the medication line that triggered the benzodiazepine rule
    assert "Bipolar depression was treated in trials" in text  # rationale
    # source: the published source's title, not the internal FACTS.md reference (issue 10, 25)
    assert "Ketamine screening consensus: Mania" in text and "FACTS.md" not in text
    assert "kc-kind-relative" in text
    assert f'href="{_url(client_record)}"' in text  # the Screening tab is listed
    # A therapist sees that a prescriber is needed, not the form.
    assert 'name="signature_name"' not in text
    assert "Waiting for a prescriber" in text


def test_opening_the_tab_is_audited_once(clinic, staff, client_record, login):
    screened_course(clinic=clinic, staff=staff, client=client_record)
    before = AuditEvent.objects.filter(action=AuditAction.VIEW).count()

    login(staff[Role.NURSE]).get(_url(client_record))

    views = AuditEvent.objects.filter(action=AuditAction.VIEW)
    assert views.count() == before + 1
    event = views.latest("id")
    assert (event.client, event.object_type) == (client_record, "client.screening")


def test_the_tab_without_a_course_says_so(client_record, staff, login):
    response = login(staff[Role.THERAPIST]).get(_url(client_record))
    assert response.status_code == 200
    assert "no treatment course" in _text(response)


def test_run_screening_creates_a_screening_and_shows_the_outcome(
    clinic, staff, client_record, login
):
    therapist = actor(staff[Role.THERAPIST], clinic)
    open_course(actor=therapist, client=client_record, condition="depression")
    save_intake(actor=therapist, client=client_record, data=BENIGN_INTAKE)
    http = login(staff[Role.NURSE])

    response = http.post(_url(client_record, "screening:run"))

    assert response.status_code == 302
    screening = Screening.objects.get()
    assert screening.outcome == "clear" and screening.screened_by == staff[Role.NURSE]
    page = _text(http.get(response["Location"]))
    assert "No contraindication found" in page or "Clear" in page
    assert "No contraindications" in page  # the automatic decision in the history


def test_run_screening_without_an_intake_says_the_intake_is_needed(
    clinic, staff, client_record, login
):
    open_course(
        actor=actor(staff[Role.THERAPIST], clinic), client=client_record, condition="depression"
    )

    response = login(staff[Role.THERAPIST]).post(_url(client_record, "screening:run"))

    assert response.status_code == 200
    text = _text(response)
    assert "Complete the intake before screening." in text
    try:
        assert f'href="{reverse("intake:detail", args=[client_record.pk])}"' in text
    except NoReverseMatch:
        assert "intake tab" in text
    assert not Screening.objects.exists()


# --- Review --------------------------------------------------------------------------------------


def test_a_prescriber_sees_the_review_form_and_signs_a_decision(
    clinic, staff, client_record, login
):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = staff[Role.PRESCRIBER]
    http = login(prescriber)
    assert 'name="signature_name"' in _text(http.get(_url(client_record)))

    response = http.post(
        _url(client_record, "screening:review", screening.pk),
        {
            "decision": "approve",
            "reason": "Euthymic for 2 years.",
            "signature_name": prescriber.full_name,
        },
    )

    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.basis == DecisionBasis.PRESCRIBER_REVIEW and decision.decided_by == prescriber
    page = _text(http.get(_url(client_record)))
    assert "Euthymic for 2 years." in page
    assert prescriber.full_name in page
    assert "v1" in page


def test_review_errors_show_at_their_fields_and_save_nothing(clinic, staff, client_record, login):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )

    response = login(staff[Role.PRESCRIBER]).post(
        _url(client_record, "screening:review", screening.pk),
        {"decision": "approve", "reason": "", "signature_name": "Not Me"},
    )

    assert response.status_code == 200
    form = response.context["review_form"]
    assert "reason" in form.errors and "signature_name" in form.errors
    assert "is-invalid" in _text(response)
    assert not EligibilityDecision.objects.exists()


def test_review_without_a_decision_is_a_field_error(clinic, staff, client_record, login):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = staff[Role.PRESCRIBER]

    response = login(prescriber).post(
        _url(client_record, "screening:review", screening.pk),
        {"reason": "x", "signature_name": prescriber.full_name},
    )

    assert "decision" in response.context["review_form"].errors
    assert not EligibilityDecision.objects.exists()


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.NURSE])
def test_non_prescribers_cannot_decide(role, clinic, staff, client_record, login):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )

    response = login(staff[role]).post(
        _url(client_record, "screening:review", screening.pk),
        {"decision": "approve", "reason": "x", "signature_name": staff[role].full_name},
    )

    assert response.status_code == 403
    assert not EligibilityDecision.objects.exists()


# --- Override ------------------------------------------------------------------------------------


def test_an_overridable_exclusion_offers_the_override_and_records_it(
    clinic, staff, client_record, login
):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_OVERRIDABLE
    )
    prescriber = staff[Role.PRESCRIBER]
    http = login(prescriber)
    page = _text(http.get(_url(client_record)))
    assert "Absolute contraindication" in page
    assert _url(client_record, "screening:override", screening.pk) in page

    response = http.post(
        _url(client_record, "screening:override", screening.pk),
        {"reason": "Repeat BP 130/80.", "signature_name": prescriber.full_name},
    )

    assert response.status_code == 302
    assert screening.decisions.filter(basis=DecisionBasis.OVERRIDE).exists()
    assert "overridden by a prescriber" in _text(http.get(_url(client_record)))


def test_override_errors_show_at_their_fields(clinic, staff, client_record, login):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_OVERRIDABLE
    )

    response = login(staff[Role.PRESCRIBER]).post(
        _url(client_record, "screening:override", screening.pk),
        {"reason": "", "signature_name": ""},
    )

    assert response.status_code == 200
    assert set(response.context["override_form"].errors) == {"reason", "signature_name"}
    assert not screening.decisions.filter(basis=DecisionBasis.OVERRIDE).exists()


def test_an_exclusion_without_an_override_says_so_and_refuses_one(
    clinic, staff, client_record, login
):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=ABSOLUTE_NO_OVERRIDE
    )
    prescriber = staff[Role.PRESCRIBER]
    http = login(prescriber)

    page = _text(http.get(_url(client_record)))
    response = http.post(
        _url(client_record, "screening:override", screening.pk),
        {"reason": "Please", "signature_name": prescriber.full_name},
    )

    assert "The protocol allows no override for:" in page
    assert _url(client_record, "screening:override", screening.pk) not in page
    assert response.status_code == 403
    assert screening.decisions.count() == 1


def test_the_tab_asks_for_a_new_screening_after_a_new_protocol_version(
    clinic, staff, client_record, login
):
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    rules = rules_as_dicts(screening.protocol)
    rules[-1]["kind"] = "absolute"
    publish_protocol(clinic=clinic, rule_dicts=rules, actor=actor(staff[Role.CLINIC_ADMIN], clinic))

    page = _text(login(staff[Role.PRESCRIBER]).get(_url(client_record)))

    assert "The clinic now uses protocol version 2" in page
    assert 'name="signature_name"' not in page


# --- Query counts --------------------------------------------------------------------------------


def test_the_tab_costs_the_same_queries_however_long_the_history(
    clinic, staff, client_record, login
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record, intake=RELATIVE)
    http = login(staff[Role.PRESCRIBER])
    http.get(_url(client_record))

    with CaptureQueriesContext(connection) as short:
        http.get(_url(client_record))
    therapist = actor(staff[Role.THERAPIST], clinic)
    save_intake(
        actor=therapist,
        client=client_record,
        data={
            **BENIGN_INTAKE,
            **ABSOLUTE_OVERRIDABLE,
            **RELATIVE,
            "conditions": ["bipolar_disorder", "sleep_apnoea", "aneurysm_avm"],
        },
    )
    for _ in range(5):
        run_screening(actor=therapist, course=course)
    with CaptureQueriesContext(connection) as long:
        response = http.get(_url(client_record))

    assert len(response.context["decisions"]) == 5
    assert len(long) == len(short), [q["sql"] for q in long.captured_queries]
    assert len(long) <= 22  # the audit row's hash chain: head locked and moved (+2)


# --- Protocol pages ------------------------------------------------------------------------------


def test_protocol_pages_need_a_sign_in(client):
    for name in ("protocols:screening", "protocols:screening_edit"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.NURSE, Role.FRONT_DESK])
def test_the_protocol_is_for_admins_and_prescribers(role, staff, login):
    http = login(staff[role])
    assert http.get(reverse("protocols:screening")).status_code == 403
    assert http.get(reverse("protocols:screening_edit")).status_code == 403


def test_prescribers_read_the_protocol_but_only_admins_publish(staff, login):
    http = login(staff[Role.PRESCRIBER])
    page = http.get(reverse("protocols:screening"))
    assert page.status_code == 200
    assert reverse("protocols:screening_edit") not in _text(page)
    assert http.get(reverse("protocols:screening_edit")).status_code == 403
    assert http.post(reverse("protocols:screening_edit"), {}).status_code == 403


def test_the_protocol_page_groups_rules_by_kind_with_their_conditions_in_words(
    clinic, staff, login
):
    ensure_protocol(clinic=clinic)

    response = login(staff[Role.CLINIC_ADMIN]).get(reverse("protocols:screening"))

    text = _text(response)
    assert response.status_code == 200
    assert [g["kind"] for g in response.context["groups"]] == [
        "absolute",
        "relative",
        "informational",
    ]
    assert "baseline_systolic ≥ 180 or baseline_diastolic ≥ 110" in text
    assert "history: aneurysm_avm" in text
    assert "medications mention alprazolam, lorazepam" in text
    assert "Esketamine (Spravato) prescribing information (Spravato USPI)" in text
    assert "[V]" not in text and "[K]" not in text
    assert "kapcare defaults (ketamine screening consensus)" in text  # version notes


def test_before_any_version_the_page_shows_the_defaults(staff, login):
    response = login(staff[Role.CLINIC_ADMIN]).get(reverse("protocols:screening"))
    assert response.status_code == 200
    assert "has not published a screening protocol yet" in _text(response)
    assert not ScreeningProtocol.objects.exists()  # reading does not publish


def test_only_this_clinics_versions_are_listed_and_others_are_not_found(
    clinic, other_clinic, staff, login
):
    ensure_protocol(clinic=clinic)
    theirs = ensure_protocol(clinic=other_clinic)
    far_admin = make_staff(other_clinic, Role.CLINIC_ADMIN)
    rules = rules_as_dicts(theirs)
    for version in range(2, 4):
        rules[0]["override_allowed"] = version % 2 == 0
        publish_protocol(
            clinic=other_clinic, rule_dicts=rules, actor=actor(far_admin, other_clinic)
        )
    http = login(staff[Role.CLINIC_ADMIN])

    response = http.get(reverse("protocols:screening"))

    assert [v.version for v in response.context["versions"]] == [1]
    assert http.get(reverse("protocols:screening") + "?version=3").status_code == 404
    assert http.get(reverse("protocols:screening") + "?version=abc").status_code == 404


def test_an_earlier_version_can_be_read(clinic, staff, login):
    v1 = ensure_protocol(clinic=clinic)
    rules = rules_as_dicts(v1)
    rules = [r for r in rules if r["key"] != "cystitis"]
    publish_protocol(clinic=clinic, rule_dicts=rules, actor=actor(staff[Role.CLINIC_ADMIN], clinic))

    response = login(staff[Role.PRESCRIBER]).get(reverse("protocols:screening") + "?version=1")

    assert response.context["shown"] == v1
    assert "This is an earlier version" in _text(response)
    assert "Ketamine-associated or interstitial cystitis" in _text(response)


def test_protocol_page_queries_do_not_grow_with_versions(clinic, staff, login):
    protocol = ensure_protocol(clinic=clinic)
    http = login(staff[Role.CLINIC_ADMIN])
    http.get(reverse("protocols:screening"))
    with CaptureQueriesContext(connection) as one:
        http.get(reverse("protocols:screening"))
    rules = rules_as_dicts(protocol)
    for version in range(6):
        rules[0]["override_allowed"] = version % 2 == 0
        publish_protocol(
            clinic=clinic, rule_dicts=rules, actor=actor(staff[Role.CLINIC_ADMIN], clinic)
        )
    with CaptureQueriesContext(connection) as seven:
        http.get(reverse("protocols:screening"))
    assert len(one) == len(seven)


def _edit_post(response, changes=None, notes="Tighter BP rule", drop=()):
    """The edit form's own initial data as a POST, with `changes` {key: {field: value}}."""
    formset = response.context["formset"]
    data = {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
    for index, form in enumerate(formset.forms):
        row = dict(form.initial)
        row.update((changes or {}).get(row["key"], {}))
        if row["key"] in drop:
            row["enabled"] = False
        data[f"rules-{index}-key"] = row["key"]
        data[f"rules-{index}-kind"] = row["kind"]
        if row["enabled"]:
            data[f"rules-{index}-enabled"] = "on"
        if row["override_allowed"]:
            data[f"rules-{index}-override_allowed"] = "on"
    data["notes"] = notes
    return data


def test_an_admin_publishes_a_new_version_and_old_decisions_keep_theirs(
    clinic, staff, client_record, login
):
    _, screening = screened_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff[Role.CLINIC_ADMIN])
    page = http.get(reverse("protocols:screening_edit"))
    assert page.status_code == 200

    response = http.post(
        reverse("protocols:screening_edit"),
        _edit_post(
            page, {"bp_elevated": {"kind": "absolute", "override_allowed": True}}, drop=["dementia"]
        ),
    )

    assert response.status_code == 302
    v2 = current_protocol(clinic.pk)
    assert (
        v2.version == 2
        and v2.notes == "Tighter BP rule"
        and v2.published_by == staff[Role.CLINIC_ADMIN]
    )
    rules = {r["key"]: r for r in rules_as_dicts(v2)}
    assert (rules["bp_elevated"]["kind"], rules["bp_elevated"]["override_allowed"]) == (
        "absolute",
        True,
    )
    assert "dementia" not in rules
    assert screening.decisions.get().protocol.version == 1

    # The switched-off rule is offered again, off, and can be switched back on.
    again = http.get(reverse("protocols:screening_edit"))
    offered = {f.initial["key"]: f.initial["enabled"] for f in again.context["formset"].forms}
    assert offered["dementia"] is False
    response = http.post(
        reverse("protocols:screening_edit"),
        _edit_post(again, {"dementia": {"enabled": True}}, notes="Dementia back"),
    )
    assert response.status_code == 302
    assert "dementia" in {r["key"] for r in rules_as_dicts(current_protocol(clinic.pk))}


@pytest.mark.parametrize(
    ("changes", "notes", "message"),
    [
        ({"bp_elevated": {"kind": "absolute"}}, "", "Say what changed"),
        ({}, "No change", "Nothing was changed"),
        ({"bp_elevated": {"kind": "fatal"}}, "Bad kind", "Select a valid choice"),
    ],
)
def test_publishing_errors_are_shown_and_nothing_is_saved(
    changes, notes, message, clinic, staff, login
):
    ensure_protocol(clinic=clinic)
    http = login(staff[Role.CLINIC_ADMIN])
    page = http.get(reverse("protocols:screening_edit"))

    response = http.post(
        reverse("protocols:screening_edit"), _edit_post(page, changes, notes=notes)
    )

    assert response.status_code == 200
    assert message in _text(response)
    assert ScreeningProtocol.objects.filter(clinic=clinic).count() == 1


def test_a_tampered_rule_list_is_refused(clinic, staff, login):
    ensure_protocol(clinic=clinic)
    http = login(staff[Role.CLINIC_ADMIN])
    page = http.get(reverse("protocols:screening_edit"))
    data = _edit_post(page, {"bp_elevated": {"kind": "absolute"}})
    data["rules-0-key"] = "made_up_rule"

    response = http.post(reverse("protocols:screening_edit"), data)

    assert response.status_code == 200
    assert "Reload the page" in _text(response)
    assert ScreeningProtocol.objects.filter(clinic=clinic).count() == 1


def test_deciding_twice_shows_why_it_was_refused(clinic, staff, client_record, login):
    # Given a screening the prescriber has already decided
    _, screening = screened_course(
        clinic=clinic, staff=staff, client=client_record, intake=RELATIVE
    )
    prescriber = staff[Role.PRESCRIBER]
    http = login(prescriber)
    signed = {"decision": "approve", "reason": "ok", "signature_name": prescriber.full_name}
    http.post(_url(client_record, "screening:review", screening.pk), signed)

    # When the same form is sent again (a second tab), then the refusal is shown, not lost
    response = http.post(_url(client_record, "screening:review", screening.pk), signed)

    assert response.status_code == 200
    assert "already has a decision" in _text(response)
    assert EligibilityDecision.objects.count() == 1
