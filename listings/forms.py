"""The forms providers fill in: asking for a sign-in link, claiming a listing, editing it, and saying whether
they take new clients."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from directory.models import CredentialType, License, Office, Provider
from directory.phones import normalize_phone
from directory.taxonomy import RELATIONS

from .models import ClaimRequest


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Your email address", max_length=254,
        error_messages={"required": "Enter your email address.",
                        "invalid": "Enter an email address such as name@example.com."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ClaimRequestForm(forms.ModelForm):
    class Meta:
        model = ClaimRequest
        fields = ["name", "license_number", "jurisdiction", "email"]
        labels = {"email": "Your email address"}
        help_texts = {"email": "Where we send your sign-in link once our staff have checked your license.",
                      "license_number": "As your licensing board lists it."}
        error_messages = {
            "name": {"required": "Enter your name as it appears on your listing."},
            "license_number": {"required": "Enter your license number."},
            "jurisdiction": {"required": "Choose the state or province that issued the license."},
            "email": {"required": "Enter your email address.",
                      "invalid": "Enter an email address such as name@example.com."},
        }
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"}),
                   "name": forms.TextInput(attrs={"autocomplete": "name"})}


# The listing's own fields that a provider edits and staff review (licenses and offices are formsets below).
TEXT_FIELDS = ("name", "pronouns", "practice_name", "bio", "phone", "website")
FEE_FIELDS = ("standard_fee", "sliding_scale_min", "sliding_scale_max", "free_consultation", "telehealth")
TERM_FIELDS = tuple(RELATIONS)  # modalities, conditions, formats, age_groups, languages, insurance


class ListingForm(forms.ModelForm):
    """What the listing says about the provider. Taxonomy values are given by slug, as the JSON of an edit
    holds them."""

    class Meta:
        model = Provider
        fields = [*TEXT_FIELDS, *FEE_FIELDS, *TERM_FIELDS]
        labels = {"modalities": "Approaches", "conditions": "Concerns you specialize in", "formats": "Session formats",
                  "age_groups": "Ages you see", "insurance": "Insurance plans accepted", "bio": "About you"}
        help_texts = {"sliding_scale_min": "Give both ends of a sliding scale, or neither.",
                      "website": "The full address, starting with https://"}
        widgets = {"bio": forms.Textarea(attrs={"rows": 8}),
                   **{relation: forms.CheckboxSelectMultiple for relation in TERM_FIELDS}}

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))  # as in the admin

    def clean(self):
        # The listing's sliding-scale rules, beside the amount they are about (the database checks them too).
        data = super().clean()
        low, high = data.get("sliding_scale_min"), data.get("sliding_scale_max")
        if (low is None) != (high is None) and not {"sliding_scale_min", "sliding_scale_max"} & set(self.errors):
            self.add_error("sliding_scale_max" if high is None else "sliding_scale_min",
                           "Give both the sliding-scale minimum and maximum, or neither.")
        elif low is not None and high is not None and low > high:
            self.add_error("sliding_scale_min", "The sliding-scale minimum cannot be above the maximum.")
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for relation in TERM_FIELDS:
            field = self.fields[relation]
            field.to_field_name = field.queryset.model.key_field
            field.help_text = ""
        self.fields["name"].error_messages["required"] = "Enter the name clients know you by."


class ModelCheckedForm(forms.Form):
    """A plain form for one row of `model`, checked by the model's own field validation (its validators and
    choices), with its errors shown beside the form's fields."""

    model: type = None
    renamed: dict[str, str] = {}  # model field -> form field, where the names differ

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        model_names = {form_name: model_name for model_name, form_name in self.renamed.items()}
        fields = {model_names.get(name, name): data[name] for name in self.fields if name != "DELETE"}
        try:
            self.model(**fields).clean_fields(exclude=[f.name for f in self.model._meta.fields if f.name not in fields])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(self.renamed.get(name, name) if name != NON_FIELD_ERRORS else None, messages)
        return data


class LicenseForm(ModelCheckedForm):
    """One license: the fields of directory.License a provider may give (never its verification)."""

    model = License
    renamed = {"credential_type": "credential"}

    credential = forms.ModelChoiceField(
        CredentialType.objects.all(), to_field_name="code", label="Credential",
        error_messages={"required": "Choose the credential.", "invalid_choice": "Choose one of the credentials."},
    )
    jurisdiction = License._meta.get_field("jurisdiction").formfield(
        label="State or province", error_messages={"required": "Choose where the license was issued."}
    )
    number = License._meta.get_field("number").formfield(
        error_messages={"required": "Enter the license number."}
    )
    expires_on = forms.DateField(
        label="Expires on (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date such as 2027-06-30."},
    )


class RemovableFormSet(forms.BaseFormSet):
    """A formset whose delete box says what it removes."""

    remove_label = "Remove"

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = self.remove_label


class BaseLicenseFormSet(RemovableFormSet):
    remove_label = "Remove this license"

    def __init__(self, *args, provider: Provider, **kwargs):
        self.provider = provider
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        """A license is listed once, and only on one provider's listing."""
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            data = form.cleaned_data
            key = (data["credential"].code, data["jurisdiction"], data["number"].strip().upper())
            if key in seen:
                form.add_error("number", "This license is listed twice.")
            seen.add(key)
            elsewhere = License.objects.filter(
                credential_type=data["credential"], jurisdiction=data["jurisdiction"], number=data["number"].strip()
            ).exclude(provider=self.provider)
            if elsewhere.exists():
                form.add_error("number", "This license is listed on another provider's listing. If it is yours, "
                                         "tell us through the report link on that listing.")


LicenseFormSet = forms.formset_factory(
    LicenseForm, formset=BaseLicenseFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)


def office_field(name: str, **kwargs) -> forms.Field:
    return Office._meta.get_field(name).formfield(**kwargs)


class OfficeForm(ModelCheckedForm):
    """One office where the provider sees clients in person."""

    model = Office

    address = office_field("address")
    city = office_field("city", error_messages={"required": "Enter the city."})
    jurisdiction = office_field("jurisdiction", error_messages={"required": "Choose the state or province."})
    postal_code = office_field("postal_code", label="ZIP or postal code")
    wheelchair_accessible = office_field("wheelchair_accessible")


class BaseOfficeFormSet(RemovableFormSet):
    remove_label = "Remove this office"


OfficeFormSet = forms.formset_factory(
    OfficeForm, formset=BaseOfficeFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)


class AvailabilityForm(forms.ModelForm):
    """Whether the provider takes new clients now, and when they see them: applied at once, as a confirmation."""

    class Meta:
        model = Provider
        fields = ["accepting_new_clients", "next_opening", "waitlist_weeks", "weekday_daytime", "evenings",
                  "weekends"]
        labels = {"accepting_new_clients": "I am accepting new clients",
                  "next_opening": "Next opening (optional)", "waitlist_weeks": "Waitlist, in weeks (optional)",
                  "weekday_daytime": "Weekday daytime", "evenings": "Weekday evenings", "weekends": "Weekends"}
        help_texts = {"next_opening": "The first day you could see a new client, if you know it.",
                      "waitlist_weeks": "Only when you are not accepting now: about how long people wait, 1 to 104."}
        widgets = {"next_opening": forms.DateInput(attrs={"type": "date"})}
        error_messages = {"next_opening": {"invalid": "Enter a date such as 2027-01-15."},
                          "waitlist_weeks": {"invalid": "Enter a whole number of weeks."}}

    def clean_next_opening(self):
        opening = self.cleaned_data.get("next_opening")
        if opening and opening < timezone.localdate():
            raise forms.ValidationError("The next opening cannot be in the past: leave it empty if you do not know.")
        return opening


class PresentationForm(forms.ModelForm):
    """How the listing presents the provider: their photo and whether their email shows. Their own choice, applied
    at once (the photo is checked and cleaned on the way in, as in the admin)."""

    class Meta:
        model = Provider
        fields = ["photo", "photo_alt", "email_public"]
        labels = {"photo": "Your photo (optional)", "photo_alt": "What the photo shows (optional)",
                  "email_public": "Show my email address on my listing"}
        help_texts = {"photo": "A JPEG, PNG or WebP image. We resize it and remove its metadata, such as where it "
                               "was taken.",
                      "email_public": "Off: only our staff and your sign-in links use it."}
