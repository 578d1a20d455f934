from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kapcare.screening"
    label = "screening"
