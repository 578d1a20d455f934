"""Consent services: signing in the clinic and through a link, withdrawal, versions (FACTS.md
§6.3)."""

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditEvent
from kapcare.clients.models import ClientLink, LinkPurpose
from kapcare.clients.services.links import create_link
from kapcare.consent.defaults import DEFAULT_BODY
from kapcare.consent.gates import consent_gate
from kapcare.consent.models import ConsentSignature
from kapcare.consent.selectors import consent_problem
from kapcare.consent.services import (
    DocumentOutOfDate,
    ensure_document,
    publish_document,
    sign_consent,
    sign_consent_through_link,
    text_sha256,
    withdraw_consent,
)
from kapcare.courses.gates import GateContext
from kapcare.courses.models import CourseStatus
from tests.factories import ClientFactory
from tests.pathway import actor, screened_course


def _sign(staff_user, clinic, client, document=None, **overrides):
    document = document or ensure_document(clinic=clinic)
    fields = {
        "typed_name": client.full_name,
        "agreed": True,
        "shown_sha256": text_sha256(document),
        "witnessed": True,
    }
    return sign_consent(
        actor=actor(staff_user, clinic), client=client, document=document, **{**fields, **overrides}
    )


def _link_actor(clinic, ip="203.0.113.7"):
    return dataclasses.replace(Actor.system(clinic), ip_address=ip, user_agent="Phone/1.0")


def test_signing_in_the_clinic_records_the_text_hash_and_witness_and_moves_the_course_on(
    clinic, staff, client_record
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    assert course.status == CourseStatus.AWAITING_CONSENT
    document = ensure_document(clinic=clinic)

    signature = _sign(staff["nurse"], clinic, client_record, typed_name="  rowan   ASHBY ")

    assert signature.document == document
    assert signature.text_sha256 == text_sha256(document)
    assert signature.witnessed_by == staff["nurse"]
    assert signature.typed_name == "rowan   ASHBY"
    assert consent_problem(client_record, timezone.now()) is None
    course.refresh_from_db()
    assert course.status == CourseStatus.PREPARATION
    assert AuditEvent.objects.filter(object_type="consentsignature", client=client_record).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"typed_name": "Someone Else"}, "typed_name"), ({"agreed": False}, "agreed")],
)
def test_a_wrong_name_or_unticked_box_is_a_field_error_and_saves_nothing(
    overrides, field, clinic, staff, client_record
):
    with pytest.raises(ValidationError) as refused:
        _sign(staff["front_desk"], clinic, client_record, **overrides)

    assert set(refused.value.message_dict) == {field}
    assert not ConsentSignature.objects.exists()


def test_the_name_error_does_not_reveal_the_clients_name(clinic, staff, client_record):
    with pytest.raises(ValidationError) as refused:
        _sign(staff["front_desk"], clinic, client_record, typed_name="x")

    assert "Ashby" not in str(refused.value)


def test_a_tampered_text_hash_is_refused(clinic, staff, client_record):
    with pytest.raises(ValidationError, match="changed"):
        _sign(staff["front_desk"], clinic, client_record, shown_sha256="0" * 64)

    assert not ConsentSignature.objects.exists()


def test_signing_a_version_that_is_no_longer_current_is_refused(clinic, staff, client_record):
    old = ensure_document(clinic=clinic)
    publish_document(
        clinic=clinic,
        title="v2",
        body=DEFAULT_BODY + "\nNew clause.",
        actor=actor(staff["clinic_admin"], clinic),
    )

    with pytest.raises(ValidationError):
        _sign(staff["front_desk"], clinic, client_record, document=old)


def test_withdrawing_fails_the_consent_gate_at_once(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    _sign(staff["front_desk"], clinic, client_record)
    assert consent_gate(GateContext(course=course, at=timezone.now())).passed

    count = withdraw_consent(
        actor=actor(staff["therapist"], clinic),
        client=client_record,
        requested_via="in_person",
        reason=" Changed my mind ",
        confirmed=True,
    )

    assert count == 1
    gate = consent_gate(GateContext(course=course, at=timezone.now()))
    assert not gate.passed and "withdrew" in gate.reason
    signature = ConsentSignature.objects.get()
    assert signature.withdrawal_reason == "Changed my mind"
    assert signature.withdrawal_recorded_by == staff["therapist"]
    assert AuditEvent.objects.filter(summary="Consent withdrawn", client=client_record).exists()
    # Signing again restores it.
    _sign(staff["front_desk"], clinic, client_record)
    assert consent_gate(GateContext(course=course, at=timezone.now())).passed


def test_withdrawing_with_nothing_signed_changes_nothing(clinic, staff, client_record):
    assert (
        withdraw_consent(
            actor=actor(staff["front_desk"], clinic),
            client=client_record,
            requested_via="phone",
            reason="Not going ahead",
            confirmed=True,
        )
        == 0
    )


def test_a_new_version_fails_the_gate_until_the_client_signs_it(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    _sign(staff["front_desk"], clinic, client_record)

    v2 = publish_document(
        clinic=clinic,
        title="Consent v2",
        body=DEFAULT_BODY + "\nRecording.",
        actor=actor(staff["clinic_admin"], clinic),
    )

    gate = consent_gate(GateContext(course=course, at=timezone.now()))
    assert not gate.passed and "version 2" in gate.reason
    _sign(staff["front_desk"], clinic, client_record, document=v2)
    assert consent_gate(GateContext(course=course, at=timezone.now())).passed


def test_staff_off_the_clients_clinic_cannot_sign_for_them(clinic, other_clinic, staff):
    stranger = ClientFactory(clinic=other_clinic)
    ensure_document(clinic=other_clinic)

    with pytest.raises(PermissionDenied):
        _sign(staff["front_desk"], clinic, stranger, document=ensure_document(clinic=other_clinic))


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.NURSE])
def test_only_clinic_admins_publish_consent(role, clinic, staff):
    with pytest.raises(PermissionDenied):
        publish_document(
            clinic=clinic, title="t", body=DEFAULT_BODY, actor=actor(staff[role], clinic)
        )


def test_publishing_needs_a_title_and_full_text(clinic, staff):
    with pytest.raises(ValidationError) as refused:
        publish_document(
            clinic=clinic, title=" ", body="Too short.", actor=actor(staff["clinic_admin"], clinic)
        )
    assert set(refused.value.message_dict) == {"title", "body"}


def test_an_admin_cannot_publish_for_another_clinic(clinic, other_clinic, staff):
    with pytest.raises(PermissionDenied):
        publish_document(
            clinic=other_clinic,
            title="t",
            body=DEFAULT_BODY,
            actor=actor(staff["clinic_admin"], clinic),
        )


# --- Signing links -------------------------------------------------------------------------------


@pytest.fixture
def consent_link(clinic, staff, client_record):
    document = ensure_document(clinic=clinic)
    link, token = create_link(
        actor=actor(staff["front_desk"], clinic),
        client=client_record,
        purpose=LinkPurpose.CONSENT,
        target_id=document.pk,
    )
    return link, token, document


def _sign_through(clinic, token, document, **overrides):
    fields = {"typed_name": "Rowan Ashby", "agreed": True, "shown_sha256": text_sha256(document)}
    return sign_consent_through_link(
        token=token, actor=_link_actor(clinic), **{**fields, **overrides}
    )


def test_a_link_signs_once_and_is_spent_with_the_signature(clinic, consent_link):
    link, token, document = consent_link

    signature = _sign_through(clinic, token, document)

    assert signature.witnessed_by is None
    assert signature.ip_address == "203.0.113.7"
    assert signature.user_agent == "Phone/1.0"
    link.refresh_from_db()
    assert link.used_at is not None
    with pytest.raises(Http404):
        _sign_through(clinic, token, document)
    assert ConsentSignature.objects.count() == 1


def test_a_refused_signature_leaves_the_link_usable(clinic, consent_link):
    link, token, document = consent_link

    with pytest.raises(ValidationError):
        _sign_through(clinic, token, document, agreed=False)

    link.refresh_from_db()
    assert link.used_at is None
    _sign_through(clinic, token, document)


def test_expired_and_forged_links_are_not_found(clinic, consent_link):
    link, token, document = consent_link
    ClientLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    for attempt in (token, "forged-" + token[7:], ""):
        with pytest.raises(Http404):
            _sign_through(clinic, attempt, document)
    assert not ConsentSignature.objects.exists()


def test_an_intake_link_cannot_sign_consent(clinic, staff, client_record):
    document = ensure_document(clinic=clinic)
    _, token = create_link(
        actor=actor(staff["front_desk"], clinic), client=client_record, purpose=LinkPurpose.INTAKE
    )

    with pytest.raises(Http404):
        _sign_through(clinic, token, document)


def test_a_link_for_a_replaced_version_is_out_of_date(clinic, staff, consent_link):
    link, token, _ = consent_link
    v2 = publish_document(
        clinic=clinic,
        title="Consent v2",
        body=DEFAULT_BODY + "\nMore.",
        actor=actor(staff["clinic_admin"], clinic),
    )

    with pytest.raises(DocumentOutOfDate):
        _sign_through(clinic, token, v2)

    link.refresh_from_db()
    assert link.used_at is None
    assert not ConsentSignature.objects.exists()


def test_a_link_is_used_by_kapcare_for_the_client_not_by_staff(clinic, staff, consent_link):
    _, token, document = consent_link

    with pytest.raises(PermissionDenied):
        sign_consent_through_link(
            token=token,
            actor=actor(staff["front_desk"], clinic),
            typed_name="Rowan Ashby",
            agreed=True,
            shown_sha256=text_sha256(document),
        )
