from django.urls import path

from . import match_views

urlpatterns = [
    path("match/", match_views.match, name="match"),
    path("api/match/", match_views.api_match, name="api_match"),
]
