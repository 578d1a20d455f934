from django.urls import path

from kapcare.measures import public_views

app_name = "measures_public"

urlpatterns = [
    path("l/questionnaire/sent/", public_views.done, name="done"),
    path("l/questionnaire/<str:token>/", public_views.fill, name="fill"),
]
