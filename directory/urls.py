from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("resources/", views.resource_list, name="resource_list"),
    path("healthz", views.healthz, name="healthz"),
]
