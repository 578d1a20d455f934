from django.urls import path

from kapcare.courses import views

app_name = "courses"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("open/", views.open_course, name="open"),
    path("status/", views.transition, name="transition"),
    path("notes/new/", views.note_new, name="note_new"),
    path("notes/<int:note_id>/", views.note_detail, name="note_detail"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/sign/", views.note_sign, name="note_sign"),
    path("notes/<int:note_id>/addenda/", views.note_addendum, name="note_addendum"),
    path("notes/<int:note_id>/cosign/", views.note_cosign, name="note_cosign"),
]
