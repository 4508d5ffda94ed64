"""The fit finder's questions: GET parameters in, a validated Answers out (contract, section 5)."""

from __future__ import annotations

from django import forms

from directory import geo
from directory.jurisdictions import JURISDICTION_GROUPS
from directory.models import Provider
from directory.search.fields import (
    DEFAULT_RADIUS,
    MAX_RADIUS,
    JurisdictionField,
    YesField,
    YesWidget,
    ZipField,
)
from directory.taxonomy import Snapshot, snapshot
from directory.wording import TRUE_WORDS

from .matching import GENDER, MEDICATION, TALK_THERAPY, Answers

NOT_SURE = "not-sure"


def yes_no(label: str) -> YesField:
    """A checkbox question that sends "true", and refuses anything but a yes or a no."""
    widget = YesWidget(attrs={"value": "true"}, check_test=lambda v: str(v).strip().lower() in TRUE_WORDS)
    return YesField(required=False, label=label, widget=widget)


def _tried_choices(taxonomy: Snapshot) -> list[tuple[str, str]]:
    named = [
        (slug, "Medication (for example antidepressants)" if slug == MEDICATION else name)
        for slug, name in taxonomy.choices("modality")
    ]
    return [(TALK_THERAPY, "Talk therapy, not sure which kind"), *named]


class MatchForm(forms.Form):
    crisis = yes_no("I am in crisis or thinking about suicide right now")
    concern = forms.MultipleChoiceField(
        required=False, label="What brings you here?", widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "%(value)s is not a concern we know."},
    )
    tried = forms.MultipleChoiceField(
        required=False, label="What have you tried that did not help?", widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "%(value)s is not an approach we know."},
    )
    state = JurisdictionField(
        required=False, label="State or province", max_length=40,
        widget=forms.Select(choices=[("", "Choose your state or province"), *JURISDICTION_GROUPS]),
    )
    zip = ZipField(required=False, label="ZIP code", max_length=10)
    radius = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_RADIUS, label="How far can you travel? (miles)",
        error_messages={"min_value": f"Choose a distance from 1 to {MAX_RADIUS} miles.",
                        "max_value": f"Choose a distance from 1 to {MAX_RADIUS} miles."},
    )
    mode = forms.ChoiceField(
        required=False, label="How would you like to meet?", widget=forms.RadioSelect,
        choices=[("either", "Either"), ("in_person", "In person"), ("telehealth", "Telehealth (video or phone)")],
        error_messages={"invalid_choice": "Choose in_person, telehealth or either."},
    )
    budget = forms.DecimalField(
        required=False, min_value=0, max_value=100_000, max_digits=9, decimal_places=2,
        label="Most you can pay per session ($)",
        error_messages={"invalid": "Enter an amount in dollars, like 60.", "min_value": "A budget cannot be negative."},
    )
    insurance = forms.ChoiceField(required=False, label="Insurance plan")
    prescriber = yes_no("I need someone who can prescribe medication")
    evenings = yes_no("I need evening appointments")
    weekends = yes_no("I need weekend appointments")
    language = forms.ChoiceField(required=False, label="Language")
    gender = GENDER.field(GENDER.label)
    gender_required = yes_no("Only a provider of this gender")
    format = forms.ChoiceField(required=False, label="Kind of sessions")
    age_group = forms.ChoiceField(required=False, label="Who the care is for")
    modality = forms.MultipleChoiceField(
        required=False, label="Approaches you would like", widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "%(value)s is not an approach we know."},
    )
    limit = forms.IntegerField(
        required=False, min_value=1, max_value=100, label="How many results",
        error_messages={"min_value": "Ask for 1 to 100 results.", "max_value": "Ask for 1 to 100 results."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"mode": "either"})
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("mode"):
            self.data = self.data.copy()
            self.data["mode"] = "either"
        taxonomy = snapshot()
        any_choice = [("", "Any")]
        self.fields["concern"].choices = [*taxonomy.choices("condition"), (NOT_SURE, "Not sure")]
        self.fields["tried"].choices = _tried_choices(taxonomy)
        self.fields["modality"].choices = taxonomy.choices("modality")
        self.fields["insurance"].choices = [("", "No insurance / paying myself"), *taxonomy.choices("insurance")]
        self.fields["language"].choices = any_choice + taxonomy.choices("language")
        self.fields["format"].choices = any_choice + taxonomy.choices("format")
        self.fields["age_group"].choices = any_choice + taxonomy.choices("age_group")
        self.fields["gender"].choices = any_choice + list(Provider.Gender.choices)
        for name in ("insurance", "language", "format", "age_group", "gender"):
            self.fields[name].error_messages["invalid_choice"] = f"%(value)s is not a {name.replace('_', ' ')} we know."

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("gender_required") and not cleaned.get("gender") and "gender" not in self.errors:
            self.add_error("gender", "Choose the provider's gender, or untick “Only a provider of this gender”.")
        state, zip_code = cleaned.get("state"), cleaned.get("zip")
        if state and zip_code:
            zip_state = geo.zip_state(zip_code)
            if zip_state and zip_state != state:
                self.add_error("zip", f"ZIP code {zip_code} is in {zip_state}, not {state}.")
        return cleaned

    def answers(self) -> Answers:
        """The validated answers; call after is_valid()."""
        data = self.cleaned_data
        return Answers(
            concerns=tuple(slug for slug in data.get("concern") or [] if slug != NOT_SURE),
            tried=tuple(slug for slug in data.get("tried") or [] if slug != TALK_THERAPY),
            tried_talk_therapy=TALK_THERAPY in (data.get("tried") or []),
            state=data.get("state") or "",
            zip=data.get("zip") or "",
            radius=data.get("radius") or DEFAULT_RADIUS,
            mode=data.get("mode") or "either",
            budget=data.get("budget"),
            insurance=data.get("insurance") or "",
            language=data.get("language") or "",
            format=data.get("format") or "",
            age_group=data.get("age_group") or "",
            gender=data.get("gender") or "",
            gender_required=bool(data.get("gender_required")) and bool(data.get("gender")),
            prescriber=bool(data.get("prescriber")),
            evenings=bool(data.get("evenings")),
            weekends=bool(data.get("weekends")),
            modalities=tuple(data.get("modality") or []),
            crisis=bool(data.get("crisis")),
            limit=data.get("limit") or 20,
        )
