"""The form fields of the search's parameters, shared with the fit finder's questions."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms

from .. import geo
from ..jurisdictions import normalize_jurisdiction
from ..models import Term
from ..taxonomy import snapshot
from ..wording import FALSE_WORDS, TRUE_WORDS

DEFAULT_RADIUS = 25
MAX_RADIUS = 500


class TermChoiceField(forms.MultipleChoiceField):
    """Any of several taxonomy keys, checked against the cached taxonomy snapshot; unknown keys are named."""

    def __init__(self, *args, terms: str, label_name: str = "value", upper: bool = False, **kwargs) -> None:
        self.terms = terms
        self.upper = upper
        self.label_name = label_name
        kwargs.setdefault("error_messages", {})["invalid_choice"] = f"Unknown {label_name}: %(value)s."
        super().__init__(*args, choices=partial(_term_choices, terms), **kwargs)

    def clean(self, value: Any) -> list[Term]:
        """The chosen terms (snapshot instances), in the taxonomy's order, each once."""
        if value and isinstance(value, (list, tuple)):
            value = [str(v).strip().upper() if self.upper else str(v).strip().lower() for v in value]
            if any("\x00" in v for v in value):
                raise forms.ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
        chosen = set(super().clean(value))
        if not chosen:
            return []
        return snapshot().chosen(self.terms, chosen)


def _term_choices(param: str) -> list[tuple[str, str]]:
    return snapshot().choices(param)


class YesField(forms.Field):
    """true / false (and yes/no, 1/0, on/off); anything else is an error rather than silently ignored."""

    widget = forms.CheckboxInput

    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value if value is not None else "").strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class YesWidget(forms.CheckboxInput):
    """Keeps the raw value, so that YesField can reject what is not a yes or a no."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class JurisdictionField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        code = normalize_jurisdiction(value)
        if code is None:
            raise forms.ValidationError("Unknown state or province: %(value)s.", params={"value": value})
        return code


class ZipField(forms.CharField):
    """A five-digit US ZIP code that has a known centre."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        code = geo.normalize_zip(value)
        if code is None:
            raise forms.ValidationError("Enter a five-digit US ZIP code, such as 78701.")
        if geo.zip_centre(code) is None:
            raise forms.ValidationError("We do not know where ZIP code %(value)s is.", params={"value": code})
        return code
