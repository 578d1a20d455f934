"""Every page that shows a client's data writes exactly one read event: the rule that every read
of health information is audited, made checkable.

Nothing here is a hand list of pages: every URL of the URL conf is asked with GET in the fuzz
world (tests/fuzz/discovery), as a staff member holding every role on every care team, and a
2xx page that names any client of the world or an inquirer ("Last, First" or "First Last") must
have written exactly one VIEW, LIST or EXPORT event. A new page that shows client data and
forgets `audit_shown` (or `client_page`) fails here, named.
"""

import re

import pytest
from django.utils.html import escape

from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import Client, Inquiry
from tests.conftest import signed_in
from tests.fuzz.discovery import CannotFill, build_world, fill, url_specs

READS = (AuditAction.VIEW, AuditAction.LIST, AuditAction.EXPORT)


def _client_names() -> re.Pattern:
    """A client's (or an inquirer's) name as pages write it: "Last, First" in lists, "First
    Last" in headings."""
    forms = set()
    people = [*Client.objects.all(), *Inquiry.objects.all()]
    for c in people:
        for first in {c.first_name, getattr(c, "preferred_name", "")} - {""}:
            forms |= {escape(f"{c.last_name}, {first}"), escape(f"{first} {c.last_name}")}
    return re.compile("|".join(sorted(map(re.escape, forms))))


@pytest.mark.django_db
def test_every_page_showing_client_data_writes_one_read_event():
    # given the fuzz world and a staff member who may see every client
    world = build_world()
    http = signed_in(world.omni)
    names = _client_names()
    failures, checked = [], 0
    # when every URL is asked with GET
    for spec in url_specs():
        try:
            paths = fill(spec, world)
        except CannotFill as error:
            failures.append(str(error))
            continue
        for path in paths[:1]:  # one object per URL is enough to see whether it audits
            before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = http.get(path)
            if not 200 <= response.status_code < 300 or response.status_code == 204:
                continue
            body = b"".join(response.streaming_content) if response.streaming else response.content
            named = names.search(body.decode("utf-8", "replace"))
            if named is None:
                continue
            checked += 1
            # then the response that showed a client wrote exactly one read event
            reads = AuditEvent.objects.filter(pk__gt=before, action__in=READS).count()
            if reads != 1:
                failures.append(f"{spec.name} GET {path} names {named[0]}: {reads} read events")
    assert checked > 20, checked
    assert not failures, "\n".join(failures)
