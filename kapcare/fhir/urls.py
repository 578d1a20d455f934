"""FHIR paths have no trailing slash (FHIR R4 "http" §3.1.0.1). The Bulk Data paths come
first: `Patient/$export` would otherwise read as the Patient with id `$export`."""

from django.urls import path

from kapcare.fhir import export_views, views

app_name = "fhir"

urlpatterns = [
    path("", views.metadata, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("$export", export_views.export_system, name="export"),
    path("Patient/$export", export_views.export_patients, name="patient-export"),
    path("Group/<str:ident>/$export", export_views.export_group, name="group-export"),
    path("$export-status/<str:job_id>", export_views.export_status, name="export-status"),
    path("$export-file/<str:job_id>/<str:name>", export_views.export_file, name="export-file"),
    path("<str:resource_type>", views.type_endpoint, name="type"),
    path("<str:resource_type>/_search", views.search_post, name="search"),
    path("<str:resource_type>/<str:ident>", views.instance, name="instance"),
]
