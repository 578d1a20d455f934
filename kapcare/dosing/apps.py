from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "kapcare.dosing"
    label = "dosing"
