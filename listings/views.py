"""Thin function views for providers: signing in by emailed link, claiming a listing, the dashboard, the edit
form and the availability form."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from directory.models import Provider

from . import availability, claims, edits, signin
from .forms import AvailabilityForm, ClaimRequestForm, PresentationForm, SignInForm
from .models import ListingEdit


def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. The answer is the same whether or not the address is on file."""
    form = SignInForm(request.POST or None, label_suffix="")
    if request.method != "POST":
        return render(request, "listings/sign_in.html", {"form": form})
    if not form.is_valid():
        return render(request, "listings/sign_in.html", {"form": form}, status=400)
    if signin.too_many_requests(request, form.cleaned_data["email"]):
        return render(request, "listings/too_many_requests.html", status=429)
    signin.send_sign_in_links(form.cleaned_data["email"])
    return redirect("sign_in_sent")


def sign_in_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "listings/sign_in_sent.html")


@never_cache
def sign_in_link(request: HttpRequest) -> HttpResponse:
    """The link from the email: a button to sign in (a mail scanner that opens links does not use it up); the
    button signs in once. A bad, expired or used link is explained, and changes nothing."""
    token = (request.POST if request.method == "POST" else request.GET).get("sesame")
    user = signin.user_for_link(token)
    if user is None:
        return render(request, "listings/link_invalid.html", status=403 if request.method == "POST" else 400)
    if request.method == "POST":
        signin.sign_in(request, user)
        return redirect("dashboard")
    return render(request, "listings/sign_in_link.html", {"token": token})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("sign_in")


def claim_request(request: HttpRequest) -> HttpResponse:
    """Claim a listing whose email on file is not yours: staff check the license, then email you a link."""
    form = ClaimRequestForm(request.POST or None, label_suffix="")
    if request.method != "POST":
        return render(request, "listings/claim_request.html", {"form": form})
    if not form.is_valid():
        return render(request, "listings/claim_request.html", {"form": form}, status=400)
    if signin.too_many_requests(request, form.cleaned_data["email"]):
        return render(request, "listings/too_many_requests.html", status=429)
    claims.submit(form.save(commit=False))
    return redirect("claim_request_sent")


def claim_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "listings/claim_request_sent.html")


def provider_required(view: Callable) -> Callable:
    """Signed in as a provider who claimed a listing: anyone else is sent to the sign-in page (or, signed in
    without a listing, told so)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("sign_in")
        if not hasattr(request.user, "provider_account"):
            return render(request, "listings/not_a_provider.html", status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def own_listing(request: HttpRequest, slug: str) -> Provider:
    """The signed-in provider's listing; any other is not found."""
    return get_object_or_404(Provider, slug=slug, account__user=request.user)


@provider_required
def dashboard(request: HttpRequest) -> HttpResponse:
    account = request.user.provider_account
    return render_dashboard(request, account.provider, AvailabilityForm(instance=account.provider, label_suffix=""))


def render_dashboard(request: HttpRequest, provider: Provider, form: AvailabilityForm, status: int = 200,
                     presentation: PresentationForm | None = None):
    listing_edits = ListingEdit.objects.about(provider)
    waiting = listing_edits.pending().first()
    context = {
        "provider": Provider.objects.for_profile().get(pk=provider.pk),
        "account": request.user.provider_account,
        "availability_form": form,
        "presentation_form": presentation or PresentationForm(instance=provider, label_suffix=""),
        "waiting": waiting,
        "waiting_changes": edits.differences(waiting) if waiting else [],
        "decisions": [(edit, edits.differences(edit)) for edit in listing_edits.decided()[:10]],
        "reports": provider.reports.filter(confirmed=True).order_by("-created"),
    }
    return render(request, "listings/dashboard.html", context, status=status)


@provider_required
def listing_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change the listing: the changes wait for staff review, all or nothing."""
    provider = own_listing(request, slug)
    listing_form, licenses, offices = edits.listing_forms(provider, request.POST if request.method == "POST" else None)
    # Every part is checked, so every message shows at once.
    if request.method == "POST" and all([form.is_valid() for form in (listing_form, licenses, offices)]):
        proposed = edits.propose(provider, edits.proposed_values(listing_form, licenses, offices), request.user)
        messages.success(request, "Thank you. Our staff will review your changes; your listing shows them once "
                         "approved." if proposed else "Nothing was changed.")
        return redirect("dashboard")
    context = {"provider": provider, "form": listing_form, "licenses": licenses, "offices": offices,
               "waiting": ListingEdit.objects.pending().about(provider).exists()}
    return render(request, "listings/listing_edit.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@provider_required
def listing_availability(request: HttpRequest, slug: str) -> HttpResponse:
    """Whether the provider takes new clients: applied at once, and counted as their confirmation."""
    provider = own_listing(request, slug)
    form = AvailabilityForm(request.POST, instance=provider, label_suffix="")
    if not form.is_valid():
        return render_dashboard(request, Provider.objects.get(pk=provider.pk), form, status=400)
    availability.confirm(form, request.user.provider_account)
    messages.success(request, "Your availability is updated and confirmed as of today.")
    return redirect("dashboard")


@require_POST
@provider_required
def listing_presentation(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider's photo and whether their email shows: their own choice, applied at once."""
    provider = own_listing(request, slug)
    form = PresentationForm(request.POST, request.FILES, instance=provider, label_suffix="")
    if not form.is_valid():
        fresh = Provider.objects.get(pk=provider.pk)
        return render_dashboard(request, fresh, AvailabilityForm(instance=fresh, label_suffix=""), status=400,
                                presentation=form)
    form.save()
    messages.success(request, "Your photo and contact choices are saved.")
    return redirect("dashboard")
