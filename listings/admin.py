"""Staff see which listings their providers have claimed, and run the monthly accuracy rounds."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from directory.models import Provider

from . import accuracy
from .models import AccuracyCall, AccuracyRound, ProviderAccount


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
