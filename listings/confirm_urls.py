from django.urls import path

from . import confirm_views

urlpatterns = [
    path("<slug:answer>/<str:token>/", confirm_views.confirm_availability, name="confirm_availability"),
]
