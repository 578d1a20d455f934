from django.urls import path

from kapcare.measures import admin_views

app_name = "measures_admin"

urlpatterns = [
    path("due/", admin_views.due_list, name="due"),
    path("instruments/", admin_views.instruments, name="instruments"),
    path("instruments/add/", admin_views.add_definition, name="add_definition"),
    path("instruments/<int:definition_id>/", admin_views.instrument_detail, name="instrument"),
    path("settings/", admin_views.settings_view, name="settings"),
]
