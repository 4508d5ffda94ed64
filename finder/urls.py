from django.urls import path

from . import views

urlpatterns = [
    path("match/", views.match, name="match"),
    path("api/match/", views.api_match, name="api_match"),
]
