from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "kapcare.courses"
    label = "courses"

    def ready(self) -> None:
        # Preparation and course state join the gate registry in front of every dose.
        from kapcare.courses import gates

        gates.register()
        # An inquiry turned into a client gets a course in screening.
        from kapcare.clients.intake_hooks import on_inquiry_converted
        from kapcare.courses.services import open_course

        on_inquiry_converted(open_course)
