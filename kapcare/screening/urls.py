from django.urls import path

from kapcare.screening import views

app_name = "screening"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("run/", views.run, name="run"),
    path("<int:screening_id>/review/", views.review, name="review"),
    path("<int:screening_id>/override/", views.override, name="override"),
]
