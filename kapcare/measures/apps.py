from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "kapcare.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        # Raised and escalated alerts notify through background tasks; so does re-planning a
        # clinic after its schedule settings change.
        from kapcare.measures import tasks

        tasks.register()
        # A course opened or changing status is re-planned at once, inside that transaction
        # (one course is a handful of queries): pages only read schedules.
        from kapcare.courses.course_hooks import on_course_changed
        from kapcare.measures.services.schedules import sync_course

        on_course_changed(sync_course)
