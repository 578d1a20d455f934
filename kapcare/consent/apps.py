from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "kapcare.consent"
    label = "consent"
