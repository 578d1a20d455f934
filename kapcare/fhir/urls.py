"""FHIR paths have no trailing slash (FHIR R4 "http" §3.1.0.1)."""

from django.urls import path

from kapcare.fhir import views

app_name = "fhir"

urlpatterns = [
    path("", views.metadata, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("<str:resource_type>", views.type_endpoint, name="type"),
    path("<str:resource_type>/_search", views.search_post, name="search"),
    path("<str:resource_type>/<str:ident>", views.instance, name="instance"),
]
