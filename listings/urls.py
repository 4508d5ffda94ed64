from django.urls import path

from . import views

urlpatterns = [
    # Provider accounts: sign-in by emailed link, claims, the dashboard and its forms.
    path("provider/", views.dashboard, name="dashboard"),
    path("provider/sign-in/", views.sign_in, name="sign_in"),
    path("provider/sign-in/sent/", views.sign_in_sent, name="sign_in_sent"),
    path("provider/sign-in/link/", views.sign_in_link, name="sign_in_link"),
    path("provider/sign-out/", views.sign_out, name="sign_out"),
    path("provider/claim/", views.claim_request, name="claim_request"),
    path("provider/claim/sent/", views.claim_request_sent, name="claim_request_sent"),
    path("provider/listing/<slug:slug>/edit/", views.listing_edit, name="listing_edit"),
    path("provider/listing/<slug:slug>/availability/", views.listing_availability, name="listing_availability"),
    path("provider/listing/<slug:slug>/presentation/", views.listing_presentation, name="listing_presentation"),
]
