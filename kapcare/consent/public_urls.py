from django.urls import path

from kapcare.consent import views

app_name = "consent_public"

urlpatterns = [
    path("l/consent/<str:token>/", views.public_sign, name="sign"),
]
