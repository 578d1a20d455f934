from django.urls import path

from kapcare.home import list_views, views

app_name = "home"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("home/courses/", list_views.open_courses, name="courses"),
    path("home/reviews/", list_views.reviews_pending, name="reviews"),
    path("home/drafts/", list_views.drafts, name="drafts"),
]
