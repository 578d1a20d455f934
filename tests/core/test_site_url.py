from django.test import override_settings

from kapcare.core.checks import site_url
from kapcare.core.site import absolute_url


@override_settings(KAPCARE_SITE_URL="https://kap.example.org/")
def test_a_link_in_a_message_carries_the_sites_own_address():
    assert absolute_url("/clients/4/screening/") == "https://kap.example.org/clients/4/screening/"


@override_settings(KAPCARE_SITE_URL="", DEBUG=False)
def test_production_without_a_site_address_is_warned_about():
    assert [w.id for w in site_url(None)] == ["kapcare.W002"]
    assert absolute_url("/x/") == "/x/"
