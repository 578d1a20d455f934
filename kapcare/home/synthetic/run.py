"""Generating a whole data set: clinics first (through the services), then each clinic's
clients in chunks, then its ledger and audit trail in time order. One transaction per clinic."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from kapcare.accounts.models import Clinic
from kapcare.home.synthetic.audit import AuditTrail
from kapcare.home.synthetic.clinics import ClinicSetup, audit_head, create_clinics
from kapcare.home.synthetic.dosing import Dosing
from kapcare.home.synthetic.ledger import LedgerWriter
from kapcare.home.synthetic.measures import Measures
from kapcare.home.synthetic.pathway import Pathway
from kapcare.home.synthetic.sink import Sink
from kapcare.home.synthetic.stories import plan_story

CHUNK = 2000  # clients generated and written at a time

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Plan:
    clinics: int
    clients: int
    seed: int
    today: dt.date


def client_split(total: int, clinics: int, rng: random.Random) -> list[int]:
    """`total` clients over the clinics, unevenly (a big clinic and smaller ones), summing to
    exactly `total`."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(clinics)]
    shares = [int(total * w / sum(weights)) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def generate(plan: Plan, *, progress: Progress | None = None) -> tuple[list[ClinicSetup], dict]:
    rng = random.Random(plan.seed)
    tick = progress or (lambda stage, n: None)
    first_number = Clinic.objects.count() + 1
    created = dt.datetime.combine(plan.today, dt.time(12), dt.UTC) - dt.timedelta(days=600)
    with transaction.atomic():
        setups = create_clinics(
            plan.clinics, rng=rng, first_number=first_number, created_at=created
        )
    # The sink is made after every clinic's setup: it hands out ids above what setup wrote.
    sink = Sink()
    for setup, count in zip(setups, client_split(plan.clients, plan.clinics, rng), strict=True):
        with transaction.atomic():
            _clinic(setup, count, plan, rng, sink, tick)
    return setups, sink.counts()


def _clinic(setup: ClinicSetup, count: int, plan: Plan, rng, sink: Sink, tick) -> None:
    zone = zoneinfo.ZoneInfo(setup.clinic.time_zone)
    now = dt.datetime.combine(plan.today, dt.time(17), zone).astimezone(dt.UTC)

    def midnight(moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(zone).date()
        return dt.datetime.combine(local, dt.time(0), zone).astimezone(dt.UTC)

    def local_date(moment: dt.datetime) -> dt.date:
        return moment.astimezone(zone).date()

    labels = {m.id: m.email for m in setup.staff.values()}
    trail = AuditTrail(setup.clinic.pk, labels)
    pathway = Pathway(setup, sink, trail, rng)
    dosing = Dosing(setup, sink, trail, rng, pathway)
    dosing.pathway_now = now
    measures = Measures(setup, sink, trail, rng, now=now, today=plan.today)
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        for index in range(start, start + size):
            story = plan_story(rng, now=now, midnight=midnight)
            made = pathway.client(story, index)
            dosing.course(story, made)
            measures.course(story, made, local_date)
        sink.flush()
        tick("clients", size)
    LedgerWriter(setup, sink, trail, rng).write(dosing.doses, progress=lambda n: tick("ledger", n))
    trail.write(sink, head=audit_head(setup.clinic), progress=lambda n: tick("audit", n))
    sink.reset_sequences()
