from django.urls import path

from . import accuracy_views

urlpatterns = [
    path("accuracy/", accuracy_views.accuracy_report, name="accuracy_report"),
]
