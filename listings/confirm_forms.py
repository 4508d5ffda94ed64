"""The one question the confirmation page may ask: about how many weeks a waitlist is."""

from __future__ import annotations

from django import forms

from .models import ConfirmationRequest

WEEKS = "Enter about how many weeks the wait is: a whole number from 1 to 104."


class AnswerForm(forms.Form):
    """Posts one answer; only a waitlist answer has a field to fill in."""

    weeks = forms.IntegerField(
        label="About how many weeks is the wait?",
        min_value=1,
        max_value=104,
        initial=4,
        help_text="A rough number is fine, from 1 to 104 weeks. People searching see “Waitlist, about N weeks”.",
        error_messages={"required": WEEKS, "invalid": WEEKS, "min_value": WEEKS, "max_value": WEEKS},
    )

    def __init__(self, answer: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if answer != ConfirmationRequest.Answer.WAITLIST:
            del self.fields["weeks"]
