"""Issue 10, items 1, 2 and 25 (part): dose orders bounded by their columns and by a hard
ceiling per route, override reasons that are sentences and show on the order; waste that can
never exceed what was drawn, booked by one path per session; demo sessions linked to orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kapcare.dosing import services
from kapcare.dosing.forms import AdministerForm, DoseOrderForm, WasteForm
from kapcare.dosing.models import Administration, DoseOrder, DosingSession
from kapcare.ledger.forms import WasteForm as LedgerWasteForm
from kapcare.ledger.models import (
    Balance,
    DosageForm,
    EntryKind,
    LedgerEntry,
    Location,
    LocationKind,
    Product,
    UnitLabel,
)
from tests.dosing.helpers import chair, give_dose, receive, totp_for
from tests.dosing.pdf_text import pdf_text, squeezed
from tests.factories import TEST_PASSWORD
from tests.pathway import actor, ready_course

pytestmark = pytest.mark.django_db

REASON = "Partial response at 1.0 mg/kg over three sessions; risks discussed with the client."


def url(name, client, *args):
    return reverse(f"dosing:{name}", args=[client.pk, *args])


def order_post(clinic, staff, **changes):
    return {
        "product": "racemic",
        "route": "im",
        "dose": "500",
        "dose_unit": "mg_per_kg",
        "sessions_authorised": "4",
        "valid_until": clinic.today().isoformat(),
        "override_reason": "x",
        "signature_name": staff["prescriber"].full_name,
        **changes,
    }


# --- Item 1: bounds, ceiling, override reason ----------------------------------------------


def test_a_500_mg_per_kg_order_is_refused_at_the_field_and_the_client_tabs_still_open(
    clinic, staff, client_record, login
):
    # given a prescriber on the client's care team
    ready_course(clinic=clinic, staff=staff, client=client_record)
    http = login(staff["prescriber"])
    # when they sign racemic IM 500 mg/kg with the override reason "x"
    response = http.post(url("order_new", client_record), order_post(clinic, staff))
    # then it is refused at the dose field, nothing is saved, and every tab still opens
    assert response.status_code == 200
    assert "ceiling" in " ".join(response.context["order_form"].errors["dose"])
    assert not DoseOrder.objects.exists()
    for role in ("prescriber", "nurse", "therapist"):
        client_http = login(staff[role])
        assert client_http.get(url("tab", client_record)).status_code == 200
        assert (
            client_http.get(reverse("courses:overview", args=[client_record.pk])).status_code == 200
        )


def test_a_stored_order_dose_beyond_the_old_column_still_reads(clinic, staff, client_record, login):
    # given an order stored (before this fix, on SQLite) with 500 mg/kg
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    order = services.sign_dose_order(
        actor=actor(staff["prescriber"], clinic),
        course=course,
        product="racemic",
        route="im",
        dose_mg_per_kg=Decimal("0.5"),
        sessions_authorised=4,
        valid_until=clinic.today(),
        signature_name=staff["prescriber"].full_name,
    )
    DoseOrder.objects.filter(pk=order.pk).update(dose_mg_per_kg=Decimal("500"))
    # when anyone opens the client's dosing and course tabs, then they open and show it
    http = login(staff["nurse"])
    response = http.get(url("tab", client_record))
    assert response.status_code == 200 and "500 mg/kg" in response.content.decode()
    assert http.get(reverse("courses:overview", args=[client_record.pk])).status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "model", "column"),
    [
        (DoseOrderForm, "dose", DoseOrder, "dose_mg_per_kg"),
        (AdministerForm, "amount_mg", Administration, "amount_mg"),
        (WasteForm, "quantity_mg", Administration, "waste_mg"),
    ],
)
def test_each_decimal_form_field_is_bounded_by_its_column(form, field, model, column):
    column_field = model._meta.get_field(column)
    form_field = form.base_fields[field]
    largest = Decimal(10) ** (column_field.max_digits - column_field.decimal_places) - Decimal(
        1
    ).scaleb(-column_field.decimal_places)
    assert form_field.max_value == largest
    assert form_field.decimal_places == column_field.decimal_places
    assert form_field.max_digits == column_field.max_digits


def test_an_mg_dose_finer_than_its_column_is_refused_at_the_field(clinic, staff):
    form = DoseOrderForm(order_post(clinic, staff, dose="70.125", dose_unit="mg"))
    assert not form.is_valid() and "dose" in form.errors


def _sign(clinic, staff, course, **fields):
    values = {
        "product": "racemic",
        "route": "im",
        "sessions_authorised": 4,
        "valid_until": clinic.today(),
        "signature_name": staff["prescriber"].full_name,
        **fields,
    }
    return services.sign_dose_order(
        actor=actor(staff["prescriber"], clinic), course=course, **values
    )


@pytest.mark.parametrize(
    ("route", "fields"),
    [
        ("iv", {"dose_mg_per_kg": Decimal("2.1"), "infusion_minutes": 40}),
        ("iv", {"dose_mg": Decimal("201"), "infusion_minutes": 40}),
        ("im", {"dose_mg_per_kg": Decimal("2.01")}),
        ("im", {"dose_mg": Decimal("301")}),
        ("sublingual", {"dose_mg": Decimal("601")}),
        ("sublingual", {"dose_mg_per_kg": Decimal("10.5")}),
    ],
)
def test_no_override_passes_a_routes_hard_ceiling(clinic, staff, client_record, route, fields):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    with pytest.raises(ValidationError) as refused:
        _sign(clinic, staff, course, route=route, override_reason=REASON, **fields)
    assert "ceiling" in refused.value.message_dict["dose"][0]
    assert not DoseOrder.objects.exists()


def test_a_dose_at_the_ceiling_signs_with_a_real_override(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    order = _sign(clinic, staff, course, dose_mg_per_kg=Decimal("2.0"), override_reason=REASON)
    assert order.outside_limits and order.override_reason == REASON


def test_the_ceiling_is_the_clinics_to_set(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    services.publish_dosing_protocol(
        actor=actor(staff["clinic_admin"], clinic),
        values={"im_ceiling_mg_per_kg": Decimal("1.5")},
        notes="Lower IM ceiling after review",
    )
    with pytest.raises(ValidationError):
        _sign(clinic, staff, course, dose_mg_per_kg=Decimal("1.6"), override_reason=REASON)


def test_a_ceiling_below_the_maximum_is_refused(clinic, staff):
    with pytest.raises(ValidationError) as refused:
        services.publish_dosing_protocol(
            actor=actor(staff["clinic_admin"], clinic),
            values={"im_ceiling_mg_per_kg": Decimal("0.8")},
            notes="Oops",
        )
    assert "im_ceiling_mg_per_kg" in refused.value.message_dict


@pytest.mark.parametrize("reason", ["x", "Titration", "ok ok ok ok", "   titrate   up   "])
def test_an_override_reason_must_be_a_sentence(clinic, staff, client_record, reason):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    with pytest.raises(ValidationError) as refused:
        _sign(clinic, staff, course, dose_mg_per_kg=Decimal("1.5"), override_reason=reason)
    assert "sentence" in refused.value.message_dict["override_reason"][0]


def test_the_override_reason_shows_on_the_tab_the_session_page_and_the_pdf(
    clinic, staff, client_record, login
):
    # given an IV order above the protocol's maximum, signed with a reason, and a session
    ctx = chair(clinic, staff, client_record, order=False)
    order = _sign(
        clinic,
        staff,
        ctx["course"],
        route="iv",
        dose_mg_per_kg=Decimal("1.2"),
        infusion_minutes=40,
        override_reason=REASON,
    )
    DosingSession.objects.filter(pk=ctx["session"].pk).update(dose_order=order)
    http = login(staff["nurse"])
    # then the tab's order list, the session page and its PDF each show the reason
    assert REASON in http.get(url("tab", client_record)).content.decode()
    assert REASON in http.get(url("live", client_record, ctx["session"].pk)).content.decode()
    pdf = http.get(url("record_pdf", client_record, ctx["session"].pk))
    assert squeezed(REASON) in squeezed(pdf_text(pdf.content))


def test_at_the_chair_a_fixed_dose_above_the_per_kg_ceiling_is_blocked(
    clinic, staff, client_record
):
    # given a fixed 150 mg IM order (within limits at signing) and a 60 kg client today
    ctx = chair(clinic, staff, client_record, order=False, check={"weight_kg": Decimal("60")})
    _sign(clinic, staff, ctx["course"], dose_mg=Decimal("150"))
    session = ctx["session"]
    # when the nurse gives it: 2.5 mg/kg is above the IM ceiling of 2.0 mg/kg
    with pytest.raises(ValidationError) as refused:
        services.administer_dose(
            actor=ctx["nurse"],
            session=session,
            lot=ctx["lot"],
            location=ctx["kit"]["safe"],
            amount_mg=Decimal("150"),
            started_at=session.checked_in_at + dt.timedelta(minutes=10),
            witness=staff["prescriber"],
        )
    assert "ceiling" in str(refused.value)


# --- Item 2: waste never exceeds what was drawn --------------------------------------------


def _hundred_mg_vial_session(clinic, staff, client_record):
    """Racemic IM 70 mg from a 100 mg vial (10 mg/mL × 10 mL) on a cart holding two vials."""
    ctx = chair(clinic, staff, client_record, order=False, stock=False)
    vial = Product.objects.create(
        clinic=clinic,
        name="Ketamine 10 mg/mL",
        dosage_form=DosageForm.INJECTABLE,
        concentration_mg_per_ml=Decimal("10"),
        volume_ml_per_unit=Decimal("10"),
        mg_per_unit=Decimal("100"),
        unit_label=UnitLabel.VIAL,
        routes=["iv", "im"],
    )
    cart = Location.objects.create(clinic=clinic, name="Cart", kind=LocationKind.CART)
    lot = receive(clinic, staff, vial, cart, 200, lot_number="K10")
    _sign(clinic, staff, ctx["course"], dose_mg=Decimal("70"))
    given = services.administer_dose(
        actor=ctx["nurse"],
        session=ctx["session"],
        lot=lot,
        location=cart,
        amount_mg=Decimal("70"),
        started_at=ctx["session"].checked_in_at + dt.timedelta(minutes=10),
        witness=staff["prescriber"],
    )
    return {**ctx, "lot": lot, "cart": cart, "given": given}


def _waste(ctx, staff, mg, reason="Client pulled away; rest of syringe wasted"):
    return services.record_session_waste(
        actor=ctx["nurse"],
        session=ctx["session"],
        witness=staff["prescriber"],
        quantity_mg=Decimal(mg),
        reason=reason,
    )


def test_waste_beyond_the_dose_drawn_is_refused_and_stock_stays_in_whole_vials(
    clinic, staff, client_record, login
):
    # given 70 mg given and 30 mg wasted from a 100 mg vial
    ctx = _hundred_mg_vial_session(clinic, staff, client_record)
    # when a nurse tries to waste 71 mg more, then it is refused
    with pytest.raises(ValidationError):
        _waste(ctx, staff, "70.01")
    # when 5 mg drawn for the dose was not given, it is wasted and taken off "given"
    _waste(ctx, staff, "5")
    dose = Administration.objects.get(kind="dose")
    assert (dose.given_mg, dose.wasted_mg, dose.drawn_mg) == (
        Decimal("65"),
        Decimal("35"),
        Decimal("100"),
    )
    # and the cart still holds exactly one sealed vial
    assert Balance.objects.get(lot=ctx["lot"], location=ctx["cart"]).quantity_mg == Decimal("100")
    # and the session PDF lists every waste
    pdf = login(staff["nurse"]).get(url("record_pdf", client_record, ctx["session"].pk))
    text = squeezed(pdf_text(pdf.content))
    assert squeezed("Client pulled away") in text
    assert squeezed("Rest of the opened unit after a 70 mg dose") in text
    assert squeezed("100.00 mg drawn = 65.00 mg given + 35.00 mg wasted") in text


def test_the_ledger_waste_page_cannot_book_against_a_session(clinic, staff, client_record, login):
    ctx = _hundred_mg_vial_session(clinic, staff, client_record)
    assert "dosing_session" not in LedgerWasteForm.base_fields
    balance = Balance.objects.get(lot=ctx["lot"], location=ctx["cart"])
    http = login(staff["nurse"])
    http.post(
        reverse("ledger:waste"),
        {
            "balance": balance.pk,
            "quantity": "5",
            "unit": "mg",
            "dosing_session": ctx["session"].pk,
            "reason": "Wasted against the session from the ledger page",
            **_witness(staff),
        },
    )
    assert not LedgerEntry.objects.filter(
        kind=EntryKind.WASTE,
        dosing_session_id=ctx["session"].pk,
        reason__contains="ledger page",
    ).exists()


def _witness(staff):
    return {
        "witness_email": staff["prescriber"].email,
        "witness_password": TEST_PASSWORD,
        "witness_token": totp_for(staff["prescriber"]),
    }


def test_the_live_page_refuses_excess_waste_at_its_field(clinic, staff, client_record, login):
    ctx = _hundred_mg_vial_session(clinic, staff, client_record)
    http = login(staff["nurse"])
    response = http.post(
        url("waste", client_record, ctx["session"].pk),
        {"quantity_mg": "71", "reason": "Left in the syringe", **_witness(staff)},
    )
    assert response.status_code == 200
    assert "At most 70 mg" in " ".join(response.context["waste_form"].errors["quantity_mg"])
    assert Administration.objects.get(kind="dose").undelivered_mg == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.WASTE).count() == 1


def test_the_iv_helper_session_still_wastes_what_was_not_infused(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    give_dose(clinic, staff, ctx, minutes_ago=10)
    _waste(ctx, staff, "36")
    with pytest.raises(ValidationError):
        _waste(ctx, staff, "0.01")
    dose = Administration.objects.get(kind="dose")
    assert dose.given_mg == 0 and dose.wasted_mg == dose.drawn_mg == Decimal("500")


# --- Item 25 (part): demo sessions are linked to their orders ------------------------------


def test_every_dosed_demo_session_is_counted_on_its_order():
    from kapcare.dosing import selectors
    from kapcare.home.demo import load_demo

    clinic, _ = load_demo()
    dosed = DosingSession.objects.filter(clinic=clinic, dose_started_at__isnull=False)
    assert dosed.exists() and not dosed.filter(dose_order__isnull=True).exists()
    for order in DoseOrder.objects.filter(clinic=clinic):
        assert selectors.sessions_used(order) == dosed.filter(dose_order=order).count()
    listed = {o.pk: o.used for o in selectors.client_orders(dosed.first().client)}
    assert all(used == dosed.filter(dose_order_id=pk).count() for pk, used in listed.items())
