from django.urls import path

from kapcare.home import views

app_name = "home"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
]
