from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "kapcare.courses"
    label = "courses"

    def ready(self) -> None:
        # Preparation and course state join the gate registry in front of every dose.
        from kapcare.courses import gates

        gates.register()
