from django.apps import AppConfig


class HomeConfig(AppConfig):
    """Presentation on top of every domain: the staff home page, the landing page, the demo."""

    name = "kapcare.home"
    label = "home"
