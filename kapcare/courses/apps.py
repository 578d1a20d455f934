from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "kapcare.courses"
    label = "courses"
