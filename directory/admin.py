"""Staff data entry: providers with their licenses and offices, taxonomy, resources and reports."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from . import photos
from .checks import office_warnings
from .jurisdictions import JURISDICTION_CHOICES
from .models import (
    STALE_AFTER_DAYS,
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    License,
    Modality,
    Office,
    Provider,
    RegistryTaxonomy,
    Report,
    Resource,
    SessionFormat,
)
from .phones import normalize_phone
from .search import facet_index
from .taxonomy import RELATIONS

VERIFY_PERMISSION = "directory.verify_license"


def can_verify(request: HttpRequest) -> bool:
    return request.user.has_perm(VERIFY_PERMISSION)


# --- Taxonomy ---------------------------------------------------------------------------


class TermAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Modality)
class ModalityAdmin(TermAdmin):
    list_display = ("name", "slug", "category", "evidence_based", "position")
    list_filter = ("category", "evidence_based")
    search_fields = ("name", "slug", "aliases", "description")


@admin.register(Condition)
class ConditionAdmin(TermAdmin):
    list_display = ("name", "slug", "broader", "position")
    search_fields = ("name", "slug", "aliases", "description")
    autocomplete_fields = ("broader",)


@admin.register(CredentialType)
class CredentialTypeAdmin(TermAdmin):
    list_display = ("code", "name", "can_prescribe", "position")
    list_filter = ("can_prescribe",)
    search_fields = ("code", "name")
    prepopulated_fields = {}


@admin.register(RegistryTaxonomy)
class RegistryTaxonomyAdmin(admin.ModelAdmin):
    """The NPI registry's taxonomy codes the import lists, and the credential each gives: editors add codes."""

    list_display = ("code", "meaning", "credential_type", "alternative", "alternative_words")
    search_fields = ("code", "meaning")
    list_select_related = ("credential_type", "alternative")


@admin.register(SessionFormat, InsurancePlan)
class SimpleTermAdmin(TermAdmin):
    pass


@admin.register(Language)
class LanguageAdmin(TermAdmin):
    prepopulated_fields = {}


@admin.register(AgeGroup)
class AgeGroupAdmin(TermAdmin):
    list_display = ("name", "slug", "min_age", "max_age", "position")


# --- Providers --------------------------------------------------------------------------


PUBLISH_UNVERIFIED = "publish_unverified"
NO_VERIFIED_LICENSE = (
    "None of this provider's licenses is verified (an expired one does not count). To publish the listing anyway, "
    "tick “Publish without a verified license” under Publication and freshness, and save again; or leave it "
    "unpublished until a verifier checks a license."
)


def publishing(provider: Provider) -> bool:
    """The provider is being published now: ticked, and not already published."""
    return provider.published and not (
        provider.pk and Provider.objects.filter(pk=provider.pk, published=True).exists()
    )


class LicenseFormSet(BaseInlineFormSet):
    """Publishing a provider none of whose licenses (as entered on this page) is verified asks staff to confirm."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.data.get(PUBLISH_UNVERIFIED) or not publishing(self.instance):
            return
        # The licenses as this page leaves them: not the blank extra rows, nor those ticked for deletion.
        licenses = [form.instance for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]
        if not any(license_.verified and not license_.is_expired for license_ in licenses):
            raise ValidationError(NO_VERIFIED_LICENSE, code="no_verified_license")


class LicenseInline(admin.StackedInline):
    """Two lines a license, so that at 1280 px (the admin's menu open) the verification is in view, not off to the
    right of a wide table."""

    model = License
    formset = LicenseFormSet
    extra = 1
    fields = (("credential_type", "jurisdiction", "number"), ("expires_on", "verified_on", "verified_by"))
    autocomplete_fields = ("credential_type",)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Only verifiers may mark a license verified; editors see the status but cannot change it.
        if can_verify(request):
            return ("verified_by",)
        return ("verified_on", "verified_by")


class OfficeInline(admin.StackedInline):
    model = Office
    extra = 0
    fields = (("address", "city"), ("jurisdiction", "postal_code"), ("latitude", "longitude"), "wheelchair_accessible")


class JurisdictionFilter(admin.SimpleListFilter):
    title = "licensed in"
    parameter_name = "licensed_in"

    def lookups(self, request, model_admin):
        return JURISDICTION_CHOICES

    def queryset(self, request, queryset):
        return queryset.licensed_in(self.value() or "")


class CredentialFilter(admin.SimpleListFilter):
    title = "credential"
    parameter_name = "credential"

    def lookups(self, request, model_admin):
        return [(c.code, c.name) for c in CredentialType.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(licenses__credential_type__code=self.value()).distinct()


class FreshnessFilter(admin.SimpleListFilter):
    title = "profile check"
    parameter_name = "freshness"

    def lookups(self, request, model_admin):
        return [("stale", f"Not verified in {STALE_AFTER_DAYS // 30} months"), ("flagged", "Flagged by a report")]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.stale()
        if self.value() == "flagged":
            return queryset.filter(needs_reverification=True)
        return queryset


class ProviderAdminForm(forms.ModelForm):
    publish_unverified = forms.BooleanField(
        required=False, label="Publish without a verified license",
        help_text="Needed only to publish a provider none of whose licenses staff have verified.",
    )

    class Meta:
        model = Provider
        fields = ("phone", "published")  # the admin adds the rest of its fieldsets

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderAdminForm
    list_display = (
        "name", "credential_list", "state_list", "accepting_new_clients", "published", "last_verified",
        "needs_reverification",
    )
    list_filter = (
        JurisdictionFilter, CredentialFilter, "modalities", "accepting_new_clients", "published",
        FreshnessFilter, "telehealth", "source",
    )
    search_fields = ("name", "practice_name", "licenses__number", "external_id", "slug", "=npi")
    search_help_text = "Search by name, practice, license number, external ID or NPI."
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = tuple(RELATIONS)  # every part of the taxonomy a provider holds
    inlines = [LicenseInline, OfficeInline]
    actions = ["publish", "unpublish", "mark_checked_today"]
    readonly_fields = ("created", "updated", "photo_preview")
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("name", "slug", "external_id", "npi", "pronouns", "gender", "practice_name", "bio")}),
        ("Contact", {"fields": ("phone", ("email", "email_public"), "website")}),
        ("Photo", {
            "fields": ("photo_preview", "photo", "photo_alt"),
            "description": f"Optional: a JPEG, PNG or WebP image of at most {photos.upload_limit_text()}. It is shown "
                           "in a square, resized, and stripped of its metadata (such as where it was taken).",
        }),
        ("Approaches and who they see", {"fields": ("modalities", "conditions", "formats", "age_groups", "languages")}),
        ("Fees and insurance", {
            "fields": ("standard_fee", ("sliding_scale_min", "sliding_scale_max"), "free_consultation", "insurance"),
            "description": "Give both sliding-scale amounts, or neither. Fees cannot be negative.",
        }),
        ("Availability", {
            "fields": ("telehealth", ("accepting_new_clients", "accepting_confirmed"),
                       ("next_opening", "waitlist_weeks"), ("weekday_daytime", "evenings", "weekends")),
            "description": "A waitlist is for a provider who is not accepting new clients now. An accepting status "
                           "not confirmed in 90 days shows as unknown and counts as not accepting.",
        }),
        ("Publication and freshness", {
            "fields": (
                ("published", PUBLISH_UNVERIFIED), "last_verified", "needs_reverification", ("created", "updated"),
                ("source", "provider_confirmed"),
            ),
            "description": "A provider added here starts unpublished: publish them once the listing is checked.",
        }),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Provider]:
        licenses = License.objects.select_related("credential_type").only(
            "provider_id", "jurisdiction", "credential_type__code", "credential_type__position", "number"
        )
        return super().get_queryset(request).prefetch_related(Prefetch("licenses", queryset=licenses))

    @admin.display(description="current photo")
    def photo_preview(self, obj: Provider) -> str:
        if not obj.photo:
            return "No photo"
        return format_html('<img src="{}" alt="{}" width="120">', obj.photo.url, obj.photo_alt_text)

    @admin.display(description="credentials")
    def credential_list(self, obj: Provider) -> str:
        return ", ".join(sorted({lic.credential_type.code for lic in obj.licenses.all()})) or "—"

    @admin.display(description="licensed in")
    def state_list(self, obj: Provider) -> str:
        return ", ".join(sorted({lic.jurisdiction for lic in obj.licenses.all()})) or "—"

    @admin.action(description="Publish the selected providers")
    def publish(self, request: HttpRequest, queryset: QuerySet[Provider]) -> TemplateResponse | None:
        """Publish; when some of them hold no verified license, first ask staff to confirm (or to skip those)."""
        unverified = queryset.filter(published=False).exclude(pk__in=Provider.objects.verified().values("pk"))
        answer = request.POST.get(PUBLISH_UNVERIFIED)
        if answer == "skip":
            queryset = queryset.exclude(pk__in=unverified.values("pk"))
        elif answer != "publish" and unverified.exists():
            return self.confirm_publishing(request, queryset, unverified)
        with transaction.atomic():
            facet_index.changed(queryset.values_list("pk", flat=True))  # update() sends no signals
            count = queryset.update(published=True)
        self.message_user(request, f"Published {count} provider(s).", messages.SUCCESS)
        return None

    def confirm_publishing(
        self, request: HttpRequest, queryset: QuerySet[Provider], unverified: QuerySet[Provider]
    ) -> TemplateResponse:
        selected = list(queryset.values_list("pk", flat=True))
        unverified = list(unverified.order_by("name").only("pk", "name"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish providers without a verified license?",
            "opts": self.model._meta,
            "selected": selected,
            "count": len(selected),
            "unverified": unverified,
            "others": len(selected) - len(unverified),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "answer_name": PUBLISH_UNVERIFIED,
        }
        return TemplateResponse(request, "admin/directory/provider/publish_confirmation.html", context)

    @admin.action(description="Unpublish the selected providers")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Provider]) -> None:
        with transaction.atomic():
            facet_index.changed(queryset.values_list("pk", flat=True))  # update() sends no signals
            count = queryset.update(published=False)
        self.message_user(request, f"Unpublished {count} provider(s).", messages.SUCCESS)

    @admin.action(description="Mark the selected profiles checked today")
    def mark_checked_today(self, request: HttpRequest, queryset: QuerySet[Provider]) -> None:
        count = queryset.update(last_verified=timezone.localdate(), needs_reverification=False)
        self.message_user(request, f"Marked {count} profile(s) checked today.", messages.SUCCESS)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        # A listing entered by hand is checked before the public sees it (the model's default, used by the
        # imports, stays published).
        return {**super().get_changeform_initial_data(request), "published": False}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The question to confirm publishing also stands at the top of the form, where the page opens after saving
        # (the formset's error stays with the licenses).
        form = context["adminform"].form
        for inline in context["inline_admin_formsets"]:
            errors = inline.formset.non_form_errors().as_data() if inline.formset.is_bound else []
            if any(error.code == "no_verified_license" for error in errors):
                form.add_error(None, NO_VERIFIED_LICENSE)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        for warning in office_warnings(form.instance):
            self.message_user(request, warning, messages.WARNING)

    def save_formset(self, request, form, formset, change):
        if formset.model is License:
            instances = formset.save(commit=False)
            for license_ in instances:
                save_license(request, license_, self)
            for obj in formset.deleted_objects:
                obj.delete()
            formset.save_m2m()
        else:
            super().save_formset(request, form, formset, change)


def save_license(request: HttpRequest, license_: License, model_admin: admin.ModelAdmin) -> None:
    """Save a license entered on either page: who verified is recorded, not typed, and only a verifier verifies.

    A license whose provider, credential, state or number changed loses a verification it no longer has
    (License.save()); the page says so.
    """
    if can_verify(request):
        previous = License.objects.filter(pk=license_.pk).values_list("verified_on", *License.VERIFIED_FOR).first()
        if license_.verified_on is None:
            license_.verified_by = None
        elif previous is None or previous != (license_.verified_on, *license_.checked_as):
            license_.record_verifier(request.user)
    was_verified = license_.verified
    license_.save()
    if was_verified and not license_.verified:
        model_admin.message_user(
            request,
            f"{license_} is no longer verified: its provider, credential, state or number changed. "
            "A verifier needs to check it again.",
            messages.WARNING,
        )


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    list_display = ("provider", "credential_type", "jurisdiction", "number", "verified_on", "verified_by", "expires_on")
    list_filter = ("credential_type", "jurisdiction", ("verified_on", admin.EmptyFieldListFilter))
    search_fields = ("number", "provider__name")
    autocomplete_fields = ("provider", "credential_type")
    list_select_related = ("provider", "credential_type", "verified_by")
    actions = ["mark_verified_today"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("verified_by",) if can_verify(request) else ("verified_on", "verified_by")

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not can_verify(request):
            actions.pop("mark_verified_today", None)
        return actions

    @admin.action(description="Mark the selected licenses verified today", permissions=["verify"])
    def mark_verified_today(self, request: HttpRequest, queryset: QuerySet[License]) -> None:
        with transaction.atomic():
            facet_index.changed(queryset.values_list("provider_id", flat=True))  # update() sends no signals
            count = queryset.update(verified_on=timezone.localdate(), verified_by=request.user)
        self.message_user(request, f"Marked {count} license(s) verified today.", messages.SUCCESS)

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return can_verify(request)

    def save_model(self, request, obj, form, change):
        save_license(request, obj, self)


# --- Resources and reports --------------------------------------------------------------


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "is_crisis", "phone", "region", "position")
    list_filter = ("is_crisis",)
    list_editable = ("position",)
    search_fields = ("name", "description", "region")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("created", "provider", "reason", "short_details", "confirmed", "resolved")
    list_filter = ("resolved", "confirmed", "reason")
    search_fields = ("provider__name", "details")
    list_select_related = ("provider",)
    readonly_fields = ("provider", "reason", "details", "created", "provider_links")
    fields = ("provider", "provider_links", "reason", "details", "created", "confirmed", "resolved")
    actions = ["mark_resolved", "confirm"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports come from the public form

    @admin.display(description="details")
    def short_details(self, obj: Report) -> str:
        return (obj.details[:80] + "…") if len(obj.details) > 80 else obj.details

    @admin.display(description="listing")
    def provider_links(self, obj: Report) -> str:
        return format_html(
            '<a href="{}">Edit the listing</a>', reverse("admin:directory_provider_change", args=[obj.provider_id])
        )

    @admin.action(description="Mark the selected reports resolved")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        count = queryset.update(resolved=True)
        self.message_user(request, f"Marked {count} report(s) resolved.", messages.SUCCESS)

    @admin.action(description="Confirm the selected reports (a provider who manages the listing then sees them)")
    def confirm(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        count = queryset.update(confirmed=True)
        self.message_user(request, f"Confirmed {count} report(s).", messages.SUCCESS)
