"""Issue 10 item 2: given + wasted = drawn, exact to the 0.01 mg, for every route and unit,
whatever a nurse tries to waste — as a pure rule and through the real services and ledger;
and on PostgreSQL, two nurses wasting at once cannot waste more than was drawn between them."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapcare.accounts.models import Role
from kapcare.dosing import services
from kapcare.dosing.models import Administration
from kapcare.dosing.rules import remainder_mg, waste_problem
from kapcare.ledger.models import Balance, DosageForm, LedgerEntry, Product, UnitLabel
from tests.dosing.helpers import ago, chair, receive
from tests.factories import make_staff, put_on_team
from tests.pathway import actor

REASON = "Titrated for this client after reviewing the last three sessions together."
CENT = Decimal("0.01")

attempts = st.lists(
    st.decimals(min_value=Decimal("-5"), max_value=Decimal("700"), places=3), max_size=6
)


@given(
    mg_per_unit=st.sampled_from([Decimal("28"), Decimal("100"), Decimal("200"), Decimal("500")]),
    dose=st.decimals(min_value=Decimal("0.1"), max_value=Decimal("600"), places=1),
    tries=attempts,
)
def test_the_waste_rule_keeps_given_plus_wasted_equal_to_drawn(mg_per_unit, dose, tries):
    remainder = remainder_mg(dose, mg_per_unit)
    drawn = dose + remainder
    undelivered = Decimal(0)
    for quantity in tries:
        problem = waste_problem(
            quantity_mg=quantity, dose_mg=dose, undelivered_mg=undelivered, remainder_mg=remainder
        )
        given_now = dose - undelivered
        if problem is None:
            assert 0 < quantity <= given_now and quantity == quantity.quantize(CENT)
            undelivered += quantity
        else:
            assert quantity <= 0 or quantity > given_now or quantity != quantity.quantize(CENT)
        given_mg, wasted_mg = dose - undelivered, remainder + undelivered
        assert given_mg >= 0 and given_mg + wasted_mg == drawn


ROUTES = {
    # route: (product fields, order fields, amounts the route can be given in)
    "iv": (
        {"dosage_form": DosageForm.INJECTABLE, "concentration_mg_per_ml": Decimal("50")},
        {"infusion_minutes": 40},
        # 0.5–1.0 mg/kg for the 72 kg client (FACTS.md §4.1)
        st.decimals(min_value=Decimal("36"), max_value=Decimal("72"), places=1),
    ),
    "im": (
        {"dosage_form": DosageForm.INJECTABLE, "concentration_mg_per_ml": Decimal("50")},
        {},
        st.decimals(min_value=Decimal("18"), max_value=Decimal("72"), places=1),
    ),
    "sublingual": (
        {"dosage_form": DosageForm.LOZENGE},
        {},
        st.integers(min_value=1, max_value=6).map(lambda n: Decimal(100 * n)),
    ),
}


@pytest.fixture
def dosing_chair(clinic, staff, client_record):
    """A checked-in session with passing checks and one lot per route on a cart."""
    ctx = chair(clinic, staff, client_record, order=False, stock=False)
    lots = {}
    for route, (product_fields, _order, _amounts) in ROUTES.items():
        liquid = "concentration_mg_per_ml" in product_fields
        product = Product.objects.create(
            clinic=clinic,
            name=f"Ketamine for {route}",
            mg_per_unit=Decimal("500") if liquid else Decimal("100"),
            volume_ml_per_unit=Decimal("10") if liquid else None,
            unit_label=UnitLabel.VIAL if liquid else UnitLabel.LOZENGE,
            routes=[route],
            **product_fields,
        )
        lots[route] = receive(clinic, staff, product, ctx["kit"]["safe"], 5000, f"L-{route}")
    return {**ctx, "lots": lots}


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_through_the_services_the_ledger_never_wastes_more_than_was_drawn(
    clinic, staff, dosing_chair, data
):
    route = data.draw(st.sampled_from(sorted(ROUTES)))
    _product, order_fields, amounts = ROUTES[route]
    amount = data.draw(amounts)
    tries = data.draw(attempts)
    ctx, lot, safe = dosing_chair, dosing_chair["lots"][route], dosing_chair["kit"]["safe"]
    with transaction.atomic():
        services.sign_dose_order(
            actor=actor(staff["prescriber"], clinic),
            course=ctx["course"],
            product="racemic",
            route=route,
            dose_mg=amount,
            sessions_authorised=4,
            valid_until=clinic.today(),
            signature_name=staff["prescriber"].full_name,
            override_reason=REASON,
            **order_fields,
        )
        services.administer_dose(
            actor=ctx["nurse"],
            session=ctx["session"],
            lot=lot,
            location=safe,
            amount_mg=amount,
            started_at=ago(1),
            witness=staff["prescriber"],
        )
        for quantity in tries:
            try:
                with transaction.atomic():
                    services.record_session_waste(
                        actor=ctx["nurse"],
                        session=ctx["session"],
                        witness=staff["prescriber"],
                        quantity_mg=quantity,
                        reason="Not given; wasted in front of the witness",
                    )
            except ValidationError:
                pass
        dose = Administration.objects.get(session=ctx["session"], kind="dose")
        drawn = dose.units_opened * lot.product.mg_per_unit
        assert dose.drawn_mg == drawn and dose.given_mg >= 0
        assert dose.given_mg + dose.wasted_mg == drawn
        # the ledger agrees: the session took exactly what was drawn out of stock
        out = LedgerEntry.objects.filter(dosing_session_id=ctx["session"].pk).aggregate(
            s=Sum("quantity_mg")
        )["s"]
        assert -out == drawn
        assert Balance.objects.get(lot=lot, location=safe).quantity_mg == 5000 - drawn
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_two_nurses_wasting_at_once_on_postgresql_cannot_exceed_the_dose(
    clinic, staff, client_record
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the session lock matters on PostgreSQL")
    from tests.dosing.helpers import give_dose

    ctx = chair(clinic, staff, client_record)
    give_dose(clinic, staff, ctx, minutes_ago=10)  # 36 mg from a 500 mg vial
    second = make_staff(clinic, Role.NURSE, full_name="Second Nurse")
    put_on_team(client_record, second, Role.NURSE)
    nurses = [actor(staff["nurse"], clinic), actor(second, clinic)]
    start = threading.Barrier(len(nurses))
    outcomes: list[str] = []

    def waste(nurse):
        try:
            start.wait(timeout=10)
            services.record_session_waste(
                actor=nurse,
                session=ctx["session"],
                witness=staff["prescriber"],
                quantity_mg=Decimal("30"),
                reason="Infusion stopped early; bag wasted",
            )
            outcomes.append("wasted")
        except ValidationError:
            outcomes.append("refused")
        except Exception as error:  # a deadlock fails the test
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=waste, args=(n,)) for n in nurses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused", "wasted"]
    dose = Administration.objects.get(kind="dose")
    assert dose.undelivered_mg == Decimal("30") and dose.given_mg + dose.wasted_mg == Decimal("500")
