"""The clinic admin's API tokens page: a session page (its own namespace, so the session-page
fuzzers and the audit walker cover it), unlike the bearer-token endpoints in kapcare.api.urls."""

from django.urls import path

from kapcare.api import token_views as views

app_name = "api_tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("issue/", views.token_issue, name="issue"),
    path("<int:token_id>/revoke/", views.token_revoke, name="revoke"),
]
