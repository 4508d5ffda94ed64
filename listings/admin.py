"""Staff see which listings their providers have claimed, run the monthly accuracy rounds, and review what
providers send: their edits (a field-by-field difference to approve or reject with a reason), claims to a
listing (verifiers only), and, beside them in one review queue, reports from the public."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from directory.models import Provider, Report

from . import accuracy, claims, edits
from .models import AccuracyCall, AccuracyRound, ClaimRequest, Decision, ListingEdit, ProviderAccount


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    list_display = ("provider", "user", "claimed_at", "availability_confirmed_on")
    search_fields = ("provider__name", "user__email")
    autocomplete_fields = ("provider", "user")
    readonly_fields = ("claimed_at",)


# --- Accuracy: monthly phone checks of a random sample of listings ----------------------------------------
#
# A round is drawn on its add page, each call is recorded on its own page (a round of any size stays a small
# form), and the round is closed on a page of its own. A closed round, and its calls, are read-only.


class DrawRoundForm(forms.ModelForm):
    """Which month, how many listings, and (to draw a recorded round again) a seed."""

    requested_size = forms.IntegerField(
        label="Sample size", min_value=1, max_value=accuracy.LARGEST_SAMPLE, initial=100,
    )
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1,
        help_text="Leave empty for a new random seed. The seed is recorded with the round.",
    )

    class Meta:
        model = AccuracyRound
        fields = ("month", "requested_size", "seed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = accuracy.first_of_month()
        self.fields["month"].help_text = "Any day in the month: the round is kept as that month."
        margins = "; ".join(f"{n} listings, about ±{accuracy.margin_in_points(n)}" for n in (50, 100, 200, 400))
        self.fields["requested_size"].help_text = (
            f"How many published listings to call: {Provider.objects.published().count()} are published now, and "
            f"all are called if there are fewer. Expected margin of error at 95%, in percentage points: {margins}."
        )

    def clean_month(self):
        return accuracy.first_of_month(self.cleaned_data["month"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("month") and (reason := accuracy.refusal_to_draw(cleaned["month"])):
            raise ValidationError(reason)
        return cleaned


@admin.register(AccuracyRound)
class AccuracyRoundAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "progress", "drawn_at", "closed_at")
    list_filter = ("status",)
    details = (
        "month", "status", "progress", "requested_size", "expected_margin", "population_size", "seed",
        "sampled_ids", "drawn_at", "drawn_by", "closed_at", "closed_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccuracyRound]:
        return super().get_queryset(request).with_call_counts().select_related("drawn_by", "closed_by")

    def get_urls(self):
        close = path("<int:pk>/close/", self.admin_site.admin_view(self.close_view),
                     name="listings_accuracyround_close")
        return [close, *super().get_urls()]

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DrawRoundForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        return self.details if obj else ("month", "requested_size", "seed")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.details if obj else ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.is_open)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_open)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would not ask each round whether it is closed
        return actions

    def save_model(self, request: HttpRequest, obj: AccuracyRound, form, change: bool) -> None:
        if not change:
            accuracy.draw(obj, drawn_by=request.user)  # a drawn round has nothing else to save

    def response_add(self, request: HttpRequest, obj: AccuracyRound, post_url_continue=None):
        self.message_user(
            request, f"Drew {len(obj.sampled_provider_ids)} of {obj.population_size} published listings "
            f"(seed {obj.seed}). Record each call below.", messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:listings_accuracyround_change", args=[obj.pk]))

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            calls = obj.calls.select_related("provider", "called_by")
            # Nothing on the page is edited: calls have their own pages, closing has its own.
            context.update({
                "calls": calls, "next_call": calls.unrecorded().order_by("position").first(),
                "show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Close the round, or first mark the calls nobody could make 'Could not call'."""
        round_ = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, round_):
            raise PermissionDenied
        if request.method == "POST":
            try:
                if "_mark_remaining" in request.POST:
                    marked = accuracy.record_remaining_as_not_called(round_, request.user)
                    self.message_user(request, f"Marked {marked} call(s) 'Could not call'.", messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
                accuracy.close(round_, closed_by=request.user)
            except accuracy.RoundRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, f"Closed: {round_}. Its results are on the public accuracy page.",
                              messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:listings_accuracyround_change", args=[round_.pk]))
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": round_,
            "title": f"Close the {round_.month:%B %Y} round", "figures": accuracy.figures_of(round_),
        }
        return TemplateResponse(request, "admin/listings/accuracyround/close.html", context)

    @admin.display(description="calls recorded")
    def progress(self, obj: AccuracyRound) -> str:
        text = f"{obj.called - obj.unrecorded} of {obj.called}"
        return f"{text} ({obj.could_not_call} could not be called)" if obj.could_not_call else text

    @admin.display(description="expected margin of error")
    def expected_margin(self, obj: AccuracyRound) -> str:
        called = len(obj.sampled_provider_ids)
        return f"about ±{accuracy.margin_in_points(called)} percentage points at 95%" if called else "—"

    @admin.display(description="sampled provider IDs, in the order drawn")
    def sampled_ids(self, obj: AccuracyRound) -> str:
        return ", ".join(str(pk) for pk in obj.sampled_provider_ids)


class AccuracyCallForm(forms.ModelForm):
    class Meta:
        model = AccuracyCall
        fields = ("result", "accepting", "fee_as_listed", "insurance_as_listed", "called_on", "notes")

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        if cleaned.get("called_on") and cleaned["called_on"] > today:
            self.add_error("called_on", "The day of the call cannot be in the future.")
        elif cleaned.get("result") and not cleaned.get("called_on"):
            cleaned["called_on"] = today
        return cleaned


@admin.register(AccuracyCall)
class AccuracyCallAdmin(admin.ModelAdmin):
    """One sampled listing: what it says now, and what staff found when they called."""

    form = AccuracyCallForm
    list_display = ("provider_name", "round", "position", "result", "accepting", "fee_as_listed",
                    "insurance_as_listed", "called_on", "called_by")
    list_filter = ("round", "result")
    search_fields = ("provider_name",)
    list_select_related = ("round", "called_by")
    fields = ("round", "position", "listing", "result", "accepting", "fee_as_listed", "insurance_as_listed",
              "called_on", "notes", "called_by")
    readonly_fields = ("round", "position", "listing", "called_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccuracyCall]:
        return super().get_queryset(request).select_related("round", "provider", "called_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # calls come from drawing a round

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a sampled listing stays in its round

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.round.is_open)

    def save_model(self, request: HttpRequest, obj: AccuracyCall, form, change: bool) -> None:
        obj.called_by = request.user
        super().save_model(request, obj, form, change)

    def response_change(self, request: HttpRequest, obj: AccuracyCall):
        if "_next_call" in request.POST:
            following = obj.round.calls.unrecorded().order_by("position").first()
            if following is not None:
                self.message_user(request, f"Saved the call to {obj}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:listings_accuracycall_change", args=[following.pk]))
            self.message_user(request, "Every call in this round has a result: the round can be closed.",
                              messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:listings_accuracyround_close", args=[obj.round_id]))
        if "_save" in request.POST:
            self.message_user(request, f"Saved the call to {obj}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:listings_accuracyround_change", args=[obj.round_id]))
        return super().response_change(request, obj)

    @admin.display(description="listing, and what it says now")
    def listing(self, call: AccuracyCall) -> str:
        provider = call.provider
        if provider is None:
            return format_html("{}<br>(no longer in the directory)", call.provider_name)
        insurance = ", ".join(plan.name for plan in provider.insurance.all()) or "none listed"
        return format_html(
            '<a href="{}">{}</a>{}<br>Phone: {}<br>{}<br>Fee: {}<br>Insurance: {}',
            provider.get_absolute_url(), provider.name,
            "" if provider.published else " (unpublished since it was drawn)",
            provider.phone or "none listed", provider.availability.label, provider.fee_summary or "none listed",
            insurance,
        )


# --- Review: providers' edits, claims to a listing, and (in the review queue) reports from the public -------

APPROVE, REJECT = "approve", "reject"
DECISIONS = [(APPROVE, "Approve"), (REJECT, "Reject (say why below)")]


class DecisionForm(forms.ModelForm):
    """Approve, or reject with a reason the person sees."""

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect, required=True)

    def clean(self):
        data = super().clean()
        if data.get("decision") == REJECT and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why: the person who asked sees this.")
        return data


class ListingEditForm(DecisionForm):
    class Meta:
        model = ListingEdit
        fields = ["reason"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == APPROVE:
            problems = edits.problems_approving(self.instance)
            if problems:
                raise ValidationError(["The listing refuses these changes, so nothing was applied:", *problems])
        return data


class StatusFilter(admin.SimpleListFilter):
    """Waiting items unless staff ask for others: they open the list to decide."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Decision.choices, ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or Decision.PENDING
        return queryset if value == "all" else queryset.filter(status=value)

    def choices(self, changelist):
        value = self.value() or Decision.PENDING
        for lookup, title in self.lookup_choices:
            yield {"selected": value == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}


class ReviewAdmin(admin.ModelAdmin):
    """Read-only once decided; a decision is made through the form's decision and reason."""

    list_filter = (StatusFilter,)
    list_select_related = ("provider",)
    change_list_template = "admin/listings/review_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.is_pending)

    def get_fields(self, request: HttpRequest, obj=None):
        decided = ("status", "decided_by", "decided_at", "reason")
        if obj is not None and obj.is_pending and self.has_change_permission(request, obj):
            return (*self.shown_fields, "decision", "reason")
        return (*self.shown_fields, *decided)


@admin.register(ListingEdit)
class ListingEditAdmin(ReviewAdmin):
    form = ListingEditForm
    list_display = ("provider", "created", "status", "changed_fields")
    search_fields = ("provider__name",)
    shown_fields = ("listing", "created", "submitted_by", "difference")
    readonly_fields = ("listing", "created", "submitted_by", "difference", "status", "decided_by", "decided_at")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and obj.is_pending and self.has_change_permission(request, obj):
            return self.readonly_fields
        return (*self.readonly_fields, "reason")

    @admin.display(description="what changes")
    def changed_fields(self, obj: ListingEdit) -> str:
        return ", ".join(edits.label_of(name) for name in obj.changes)

    @admin.display(description="listing")
    def listing(self, obj: ListingEdit) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:directory_provider_change", args=[obj.provider_id]),
                           obj.provider)

    @admin.display(description="changes, field by field")
    def difference(self, obj: ListingEdit) -> str:
        old = "Now" if obj.is_pending else "Before"
        return render_to_string("listings/_changes.html", {
            "changes": edits.differences(obj), "caption": f"Changes to {obj.provider}", "old_heading": old,
        })

    def save_model(self, request: HttpRequest, obj: ListingEdit, form, change: bool) -> None:
        if form.cleaned_data["decision"] == APPROVE:
            edits.approve(obj, request.user)
            self.message_user(request, f"Approved: {obj.provider}'s listing now shows the changes.", messages.SUCCESS)
        else:
            edits.reject(obj, form.cleaned_data["reason"], request.user)
            self.message_user(request, f"Rejected: {obj.provider} sees your reason on their dashboard.",
                              messages.SUCCESS)

    def get_urls(self):
        queue = path("review/", self.admin_site.admin_view(self.review_queue), name="listings_review_queue")
        return [queue, *super().get_urls()]

    def review_queue(self, request: HttpRequest) -> HttpResponse:
        """Everything waiting for staff in one place: edits, claims and reports from the public."""
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "title": "Review queue",
            "edits": ListingEdit.objects.pending().select_related("provider").order_by("created")
            if user.has_perm("listings.view_listingedit") else None,
            "claims": ClaimRequest.objects.pending().select_related("provider").order_by("created")
            if user.has_perm("listings.view_claimrequest") else None,
            "reports": Report.objects.filter(resolved=False, confirmed=False).select_related("provider")
            .order_by("created") if user.has_perm("directory.view_report") else None,
        }
        return render(request, "admin/listings/review_queue.html", context)


class ClaimRequestForm(DecisionForm):
    class Meta:
        model = ClaimRequest
        fields = ["provider", "reason"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == APPROVE:
            problems = claims.problems_approving(self.instance, data.get("provider"))
            if problems:
                raise ValidationError(problems)
        return data


@admin.register(ClaimRequest)
class ClaimRequestAdmin(ReviewAdmin):
    """Verifiers (and superusers) decide; editors may look."""

    form = ClaimRequestForm
    list_display = ("name", "license", "email", "provider", "created", "status")
    search_fields = ("name", "email", "license_number", "provider__name")
    shown_fields = ("name", "license", "email", "created", "matching_listings", "provider")
    readonly_fields = ("name", "license", "email", "created", "matching_listings", "status", "decided_by",
                       "decided_at")
    autocomplete_fields = ("provider",)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return claims.can_decide(request.user) and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and obj.is_pending and self.has_change_permission(request, obj):
            return self.readonly_fields
        return (*self.readonly_fields, "provider", "reason")

    @admin.display(description="license")
    def license(self, obj: ClaimRequest) -> str:
        return f"{obj.license_number}, {obj.get_jurisdiction_display()}"

    @admin.display(description="listings holding this license")
    def matching_listings(self, obj: ClaimRequest) -> str:
        found = claims.listings_matching(obj)
        if not found:
            return "None: check the license with the board, then choose the listing, or reject."
        return format_html_join(
            ", ", '<a href="{}">{}</a>{}',
            ((reverse("admin:directory_provider_change", args=[p.pk]), p.name,
              " (already claimed)" if hasattr(p, "account") else "") for p in found.select_related("account")),
        )

    def save_model(self, request: HttpRequest, obj: ClaimRequest, form, change: bool) -> None:
        if form.cleaned_data["decision"] == APPROVE:
            sent = claims.approve(obj, form.cleaned_data["provider"], request.user)
            self.message_user(request, f"Approved: {obj.name} manages {obj.provider}'s listing."
                              + (" We emailed them a sign-in link." if sent else
                                 " The email could not be sent: they can ask for a link on the sign-in page."),
                              messages.SUCCESS if sent else messages.WARNING)
        else:
            sent = claims.reject(obj, form.cleaned_data["reason"], request.user)
            self.message_user(request, "Rejected." + (" We emailed them your reason." if sent else
                                                      " The email could not be sent."),
                              messages.SUCCESS if sent else messages.WARNING)
