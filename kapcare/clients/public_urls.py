from django.urls import path

from kapcare.clients import public_views

app_name = "public"

urlpatterns = [
    path("about-kap/", public_views.about, name="about"),
    path("contact/", public_views.contact, name="contact"),
    path("contact/thanks/", public_views.contact_thanks, name="contact_thanks"),
    # Before the token pattern, so "thanks" is never taken for a token.
    path("l/intake/thanks/", public_views.intake_thanks, name="intake_thanks"),
    path("l/intake/<str:token>/", public_views.intake_link, name="intake_link"),
]
