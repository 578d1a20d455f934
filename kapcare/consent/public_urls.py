from django.urls import path

from kapcare.consent import views

app_name = "consent_public"

urlpatterns = [
    # Before the token pattern, so "signed" is never taken for a token.
    path("l/consent/signed/", views.public_signed, name="signed"),
    path("l/consent/<str:token>/", views.public_sign, name="sign"),
]
