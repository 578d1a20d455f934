"""No dead 405 pages: every URL of the URL conf answers a GET (a reload, Back) with a page or
a redirect to the page that holds its form (issue 10, item 15)."""

import pytest

from tests.conftest import signed_in
from tests.fuzz.discovery import CannotFill, build_world, fill, url_specs

# URLs that may refuse GET, and why. Keep this short: everything else must answer GET.
GET_REFUSED = {
    "accounts:logout": (
        "signing out is POST only by design (Django's LogoutView), so a link or prefetch "
        "cannot sign anyone out; the sign-out form redirects, so no reload lands on it"
    ),
}


@pytest.mark.django_db
def test_no_url_answers_a_get_with_405_or_500():
    # given the fuzz world and a staff member holding every role, on every care team
    world = build_world()
    http = signed_in(world.omni)
    failures = []
    # when every URL of the URL conf is asked with GET, as a reload or Back would
    for spec in url_specs():
        if spec.name in GET_REFUSED:
            continue
        try:
            paths = fill(spec, world)
        except CannotFill as error:
            failures.append(str(error))
            continue
        for path in paths:
            try:
                status = http.get(path).status_code
            except Exception as error:
                failures.append(f"{spec.name} GET {path}: {type(error).__name__}: {error}")
                continue
            if status in (405, 500):
                failures.append(f"{spec.name} GET {path}: {status}")
    # then none is a dead end
    assert not failures, "\n".join(failures)
