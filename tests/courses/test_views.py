import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.courses.models import ClinicalNote, CourseStatus, NoteKind
from kapcare.courses.services.notes import create_note
from tests.factories import ClientFactory, make_staff
from tests.pathway import (
    COMPLETE_PREPARATION,
    actor,
    ready_course,
    screened_course,
    sign_current_consent,
)


def _url(name, client, **kwargs):
    return reverse(f"courses:{name}", kwargs={"client_id": client.pk, **kwargs})


def test_anonymous_visitors_are_sent_to_sign_in(client, client_record):
    response = client.get(_url("overview", client_record))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_front_desk_cannot_open_the_clinical_course_tab(clinic, staff, client_record, login):
    response = login(staff["front_desk"]).get(_url("overview", client_record))
    assert response.status_code == 403
    assert "Ashby" not in response.content.decode()


def test_another_clinics_client_is_not_found(other_clinic, staff, login):
    foreign = ClientFactory(clinic=other_clinic, last_name="Foreigner")
    response = login(staff["therapist"]).get(_url("overview", foreign))
    assert response.status_code == 404 and "Foreigner" not in response.content.decode()


def test_course_tab_shows_ready_for_dosing_with_every_gate(
    clinic, staff, client_record, login, django_assert_max_num_queries
):
    ready_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["therapist"])

    with django_assert_max_num_queries(40):
        body = http.get(_url("overview", client_record)).content.decode()

    assert "Ready for dosing" in body
    # The pathway's four gates all pass; gates judged at each dose (the dosing app's) are
    # listed apart from them.
    pathway = body.split("kc-gates-pathway", 1)[1].split("</ul>", 1)[0]
    assert pathway.count("kc-gate-pass") == 4 and "kc-gate-fail" not in pathway


def test_a_therapist_writes_signs_and_amends_a_preparation_note(
    clinic, staff, client_record, login
):
    screened_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["therapist"])
    data = {
        "session_date": clinic.today().isoformat(),
        "free_text": "Good rapport.",
        **{k: ("on" if v is True else v) for k, v in COMPLETE_PREPARATION.items()},
    }

    response = http.post(_url("note_new", client_record) + "?kind=preparation", data)
    note = ClinicalNote.objects.get()
    assert response.status_code == 302 and note.status == "draft"
    assert note.content["intentions"] == COMPLETE_PREPARATION["intentions"]

    http.post(_url("note_sign", client_record, note_id=note.pk))
    note.refresh_from_db()
    assert note.status == "signed" and len(note.content_sha256) == 64

    assert http.get(_url("note_edit", client_record, note_id=note.pk)).status_code == 403
    http.post(
        _url("note_addendum", client_record, note_id=note.pk), {"text": "Also discussed music."}
    )
    http.post(_url("note_addendum", client_record, note_id=note.pk), {"text": "Escort confirmed."})
    body = http.get(_url("note_detail", client_record, note_id=note.pk)).content.decode()
    assert body.index("Also discussed music.") < body.index("Escort confirmed.")


def test_a_future_session_date_is_refused_at_the_field(clinic, staff, client_record, login):
    screened_course(clinic=clinic, staff=staff, client=client_record)
    tomorrow = (clinic.today() + timezone.timedelta(days=1)).isoformat()

    response = login(staff["therapist"]).post(
        _url("note_new", client_record) + "?kind=progress",
        {"session_date": tomorrow, "free_text": "x"},
    )

    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_unknown_note_kind_is_not_found(clinic, staff, client_record, login):
    screened_course(clinic=clinic, staff=staff, client=client_record)
    response = login(staff["therapist"]).get(_url("note_new", client_record) + "?kind=poetry")
    assert response.status_code == 404


def test_nurse_cannot_write_session_notes(clinic, staff, client_record, login):
    screened_course(clinic=clinic, staff=staff, client=client_record)
    response = login(staff["nurse"]).get(_url("note_new", client_record) + "?kind=progress")
    assert response.status_code == 403


def test_process_notes_are_hidden_from_other_clinicians(clinic, staff, client_record, login):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    note = create_note(
        actor=actor(staff["therapist"], clinic),
        course=course,
        kind=NoteKind.PROCESS,
        session_date=course.clinic.today(),
        process_text="Transference themes.",
    )

    assert (
        login(staff["prescriber"])
        .get(_url("note_detail", client_record, note_id=note.pk))
        .status_code
        == 404
    )
    mine = login(staff["therapist"]).get(_url("note_detail", client_record, note_id=note.pk))
    assert "Transference themes." in mine.content.decode()


def test_pausing_without_a_reason_shows_why_and_changes_nothing(
    clinic, staff, client_record, login
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["therapist"])

    response = http.post(
        _url("transition", client_record), {"to": "paused", "reason": ""}, follow=True
    )

    assert "Give a reason" in response.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_a_pause_without_a_reason_reopens_its_disclosure_with_the_message_at_the_field(
    clinic, staff, client_record, login
):
    ready_course(clinic=clinic, staff=staff, client=client_record)

    response = login(staff["therapist"]).post(
        _url("transition", client_record), {"to": "paused", "reason": "   "}
    )

    assert response.status_code == 200
    pause = next(c for c in response.context["changes"] if c["to"] == "paused")
    assert pause["open"] and pause["form"].errors["reason"] == ["Give a reason for this change."]
    body = response.content.decode()
    assert '<details class="kc-disclosure kc-disclosure-paused" open>' in body
    assert 'id="id_paused_reason"' in body and "is-invalid" in body
    assert '<details class="kc-disclosure kc-disclosure-discontinued">' in body  # still closed


def test_resume_is_offered_only_to_a_paused_course_and_only_to_its_phase(
    clinic, staff, client_record, login
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["therapist"])
    active = http.get(_url("overview", client_record))
    assert [c["to"] for c in active.context["changes"]] == ["completed", "paused", "discontinued"]
    assert "Resume" not in active.content.decode()

    http.post(_url("transition", client_record), {"to": "paused", "reason": "Travelling"})
    paused = http.get(_url("overview", client_record))

    assert [c["to"] for c in paused.context["changes"]] == ["active", "discontinued"]
    assert "Resume the course (Dosing and integration)" in paused.content.decode()
    http.post(_url("transition", client_record), {"to": "active"})
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_a_course_in_preparation_offers_no_forward_move_by_hand(
    clinic, staff, client_record, login
):
    screened_course(clinic=clinic, staff=staff, client=client_record)
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)

    response = login(staff["therapist"]).get(_url("overview", client_record))

    # Preparation becomes active by itself once the notes cover it.
    assert [c["to"] for c in response.context["changes"]] == ["paused", "discontinued"]


def test_the_preparation_form_lists_what_is_still_needed(clinic, staff, client_record, login):
    screened_course(clinic=clinic, staff=staff, client=client_record)

    response = login(staff["therapist"]).get(_url("note_new", client_record) + "?kind=preparation")

    body = response.content.decode()
    assert "Still needed before the first dose" in body
    assert "0 of 1 signed preparation sessions" in body
    progress = login(staff["therapist"]).get(_url("note_new", client_record) + "?kind=progress")
    assert "Still needed" not in progress.content.decode()


def test_signing_the_last_preparation_note_says_the_course_moved_on(
    clinic, staff, client_record, login
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    note = create_note(
        actor=actor(staff["therapist"], clinic),
        course=course,
        kind=NoteKind.PREPARATION,
        session_date=clinic.today(),
        content=COMPLETE_PREPARATION,
    )

    response = login(staff["therapist"]).post(
        _url("note_sign", client_record, note_id=note.pk), follow=True
    )

    body = response.content.decode()
    assert "Preparation is complete: the course is now in dosing and integration." in body


def test_front_desk_opens_a_course_and_a_second_is_refused(clinic, staff, client_record, login):
    http = login(staff["front_desk"])
    http.post(_url("open", client_record), {"condition": "ptsd"})
    response = http.post(_url("open", client_record), {"condition": "ocd"}, follow=True)

    assert client_record.courses.count() == 1
    assert "already has an open treatment course" in response.content.decode()


@pytest.mark.parametrize("role", ["therapist", "prescriber", "nurse"])
def test_integration_overdue_page_lists_only_my_clients(clinic, staff, client_record, login, role):
    from kapcare.dosing.models import DosingSession

    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    now = timezone.now()
    DosingSession.objects.create(
        clinic=clinic,
        client=client_record,
        course=course,
        number=1,
        status="discharged",
        scheduled_for=now - timezone.timedelta(days=4),
        discharged_at=now - timezone.timedelta(days=4),
    )
    outsider = make_staff(clinic, role)

    assert "Ashby" in login(staff[role]).get(reverse("integration:overdue")).content.decode()
    assert "Ashby" not in login(outsider).get(reverse("integration:overdue")).content.decode()


def test_a_pause_refused_from_a_stale_page_says_why_at_the_top(clinic, staff, client_record, login):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    assert course.status == CourseStatus.AWAITING_CONSENT  # no pause on offer here

    response = login(staff["therapist"]).post(
        _url("transition", client_record), {"to": "paused", "reason": "Travelling"}
    )

    assert response.status_code == 200
    [message] = list(response.context["messages"])
    assert "cannot go from Awaiting consent to Paused" in message.message
    course.refresh_from_db()
    assert course.status == CourseStatus.AWAITING_CONSENT


def test_integration_notes_are_offered_only_once_a_dosing_session_exists(
    clinic, staff, client_record, login
):
    from kapcare.dosing.models import DosingSession

    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["therapist"])
    assert "kind=integration" not in http.get(_url("overview", client_record)).content.decode()

    DosingSession.objects.create(
        clinic=clinic, client=client_record, course=course, number=1, scheduled_for=timezone.now()
    )
    assert "kind=integration" in http.get(_url("overview", client_record)).content.decode()


def test_the_dosing_section_root_leads_to_todays_sessions(staff, login):
    response = login(staff["nurse"]).get("/dosing/")
    assert response.status_code == 302 and response["Location"] == reverse("dosing_clinic:today")
