import pytest

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.consent.services import ensure_document, sign_consent, text_sha256, withdraw_consent
from tests.api_helpers import bearer
from tests.factories import ClientFactory, put_on_team
from tests.fhir.helpers import ids, read, resources, search

pytestmark = pytest.mark.django_db


def _sign(clinic, user, client):
    document = ensure_document(clinic=clinic)
    return sign_consent(
        actor=Actor.for_user(user, clinic),
        client=client,
        document=document,
        typed_name=client.full_name,
        agreed=True,
        shown_sha256=text_sha256(document),
        witnessed=True,
    )


def test_signature_and_withdrawal(clinic, staff, client_record):
    therapist = staff[Role.THERAPIST]
    signature = _sign(clinic, therapist, client_record)
    http = bearer(therapist, clinic, "user/Consent.rs")
    consent = read(http, f"/fhir/Consent/{signature.pk}")
    assert consent["status"] == "active"
    assert consent["scope"]["coding"][0]["code"] == "treatment"
    assert consent["category"][0]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "59284-0",
        "display": "Consent Document",
    }
    assert consent["patient"] == {"reference": f"Patient/{client_record.pk}"}
    title = f"{signature.document.title}, version {signature.document.version}"
    assert consent["sourceAttachment"]["title"] == title
    assert consent["policyRule"]["text"] == title
    assert "end" not in consent["provision"]["period"]
    withdraw_consent(
        actor=Actor.for_user(therapist, clinic),
        client=client_record,
        requested_via="phone",
        reason="Changed their mind",
        confirmed=True,
    )
    withdrawn = read(http, f"/fhir/Consent/{signature.pk}")
    assert withdrawn["status"] == "inactive"
    assert withdrawn["provision"]["period"]["end"]
    assert search(http, "/fhir/Consent", {"status": "active"})["total"] == 0
    assert ids(search(http, "/fhir/Consent", {"status": "inactive"}), "Consent") == [
        str(signature.pk)
    ]
    assert search(http, "/fhir/Consent", {"status": "draft"})["total"] == 0
    search(http, "/fhir/Consent", {"status": "maybe"}, status=400)
    day = signature.signed_at.astimezone(clinic.zone).date().isoformat()
    assert (
        search(http, "/fhir/Consent", {"date": day, "patient": str(client_record.pk)})["total"] == 1
    )
    assert search(http, "/fhir/Consent", {"date": "gt2999"})["total"] == 0


def test_visible_as_on_the_consent_tab(clinic, staff, client_record):
    other = ClientFactory(clinic=clinic)
    put_on_team(other, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    unseen = _sign(clinic, staff[Role.PRESCRIBER], other)
    mine = _sign(clinic, staff[Role.THERAPIST], client_record)
    therapist = bearer(staff[Role.THERAPIST], clinic, "user/Consent.rs")
    assert ids(search(therapist, "/fhir/Consent"), "Consent") == [str(mine.pk)]
    read(therapist, f"/fhir/Consent/{unseen.pk}", status=404)
    # The consent tab is shown to anyone who may see the client, front desk included.
    desk = bearer(staff[Role.FRONT_DESK], clinic, "user/Consent.rs")
    assert search(desk, "/fhir/Consent", {"_sort": "date"})["total"] == 2


@pytest.mark.parametrize("rows", [2, 12])
def test_pages_are_bounded(clinic, staff, rows, django_assert_max_num_queries):
    therapist = staff[Role.THERAPIST]
    for _ in range(rows):
        record = ClientFactory(clinic=clinic)
        put_on_team(record, therapist, Role.THERAPIST)
        _sign(clinic, therapist, record)
    http = bearer(therapist, clinic, "user/*.rs")
    with django_assert_max_num_queries(12):
        bundle = search(http, "/fhir/Consent", {"_count": 100, "_include": "Consent:patient"})
    assert len(resources(bundle, "Consent")) == rows
    assert len(resources(bundle, "Patient")) == rows


def test_scope_missing_is_403(clinic, staff, client_record):
    signature = _sign(clinic, staff[Role.THERAPIST], client_record)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs user/Flag.rs")
    search(http, "/fhir/Consent", status=403)
    read(http, f"/fhir/Consent/{signature.pk}", status=403)
