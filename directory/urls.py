from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/<slug:slug>/", views.provider_detail, name="provider_detail"),
    path("providers/<slug:slug>/report/", views.provider_report, name="provider_report"),
    path("api/providers/", api.api_provider_list, name="api_provider_list"),
    path("resources/", views.resource_list, name="resource_list"),
    path("healthz", views.healthz, name="healthz"),
]
