from django.urls import path

from . import api, views

urlpatterns = [
    path("guides/", views.guide_list, name="guide_list"),
    path("guides/<slug:slug>/", views.guide_detail, name="guide_detail"),
    path("modalities/", views.modality_list, name="modality_list"),
    path("modalities/<slug:slug>/", views.modality_detail, name="modality_detail"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition_detail"),
    path("api/guides/", api.guide_list_api, name="guide_list_api"),
]
