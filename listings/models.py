"""Listings kept true by the providers themselves: the account that ties a person signing in to their
listing, and when they last confirmed their availability; the monthly accuracy rounds; and the claims and
edits staff decide."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.models import Provider, jurisdiction_field_kwargs


class ProviderAccount(models.Model):
    """A provider who claimed their listing. They sign in with a one-time link sent to `user.email` and see
    and edit only this listing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_account")
    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="account")
    claimed_at = models.DateTimeField(auto_now_add=True)
    availability_confirmed_on = models.DateField(
        "availability last confirmed by the provider", null=True, blank=True,
        help_text="When the provider last confirmed their availability themselves (a one-click answer or an edit).",
    )

    class Meta:
        ordering = ["provider__name"]

    def __str__(self) -> str:
        return f"{self.provider} ({self.user.email})"


# --- Accuracy: monthly phone checks of a random sample of listings ----------------------------------------


class AccuracyRoundQuerySet(models.QuerySet):
    def open(self) -> AccuracyRoundQuerySet:
        return self.filter(status=AccuracyRound.Status.OPEN)

    def closed(self) -> AccuracyRoundQuerySet:
        return self.filter(status=AccuracyRound.Status.CLOSED)

    def newest_first(self) -> AccuracyRoundQuerySet:
        return self.order_by("-month", "-pk")

    def with_call_counts(self) -> AccuracyRoundQuerySet:
        """Count each round's calls by what they found, in one query: called, unrecorded, could_not_call,
        reached, reached_and_accepting, fee_asked and fee_right, insurance_asked and insurance_right."""
        reached = models.Q(calls__result="reached")
        asked = ["yes", "no"]

        def calls(condition: models.Q | None = None) -> models.Count:
            return models.Count("calls", filter=condition)

        return self.annotate(
            called=calls(),
            unrecorded=calls(models.Q(calls__result="")),
            could_not_call=calls(models.Q(calls__result="could-not-call")),
            reached=calls(reached),
            reached_and_accepting=calls(reached & models.Q(calls__accepting="yes")),
            fee_asked=calls(models.Q(calls__fee_as_listed__in=asked)),
            fee_right=calls(models.Q(calls__fee_as_listed="yes")),
            insurance_asked=calls(models.Q(calls__insurance_as_listed__in=asked)),
            insurance_right=calls(models.Q(calls__insurance_as_listed="yes")),
        )


class AccuracyRound(models.Model):
    """One month's phone checks: a seeded random sample of the published listings, drawn once and recorded
    (seed and provider ids) so it can be drawn again and checked; read-only once closed."""

    class Status(models.TextChoices):
        OPEN = "open", "Open: calls being made"
        CLOSED = "closed", "Closed: results published"

    month = models.DateField(help_text="The first day of the month the round belongs to.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, editable=False)
    requested_size = models.PositiveIntegerField(
        "sample size asked for", default=100,
        help_text="How many listings to call. All published listings are called when there are fewer.",
    )
    seed = models.BigIntegerField(
        help_text="The random seed: the same seed over the same published listings draws the same sample.",
    )
    population_size = models.PositiveIntegerField(
        "published listings when drawn", help_text="How many published listings the sample was drawn from.",
    )
    sampled_provider_ids = models.JSONField(
        "sampled provider IDs", default=list,
        help_text="The IDs of the providers drawn, in the order drawn: the record of the sample.",
    )
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )

    objects = AccuracyRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-pk"]
        verbose_name = "accuracy round"
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="open"), name="accuracyround_one_open",
                violation_error_message="Another round is still open: close it before drawing a new one.",
            ),
            models.UniqueConstraint(
                fields=["month"], name="accuracyround_one_per_month",
                violation_error_message="There is already a round for this month.",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_at__isnull=True)
                | models.Q(status="closed", closed_at__isnull=False),
                name="accuracyround_closed_when_dated",
                violation_error_message="A closed round has the time it was closed; an open one does not.",
            ),
            models.CheckConstraint(
                condition=models.Q(requested_size__gte=1), name="accuracyround_sample_size_positive",
                violation_error_message="Call at least one listing.",
            ),
        ]

    def __str__(self) -> str:
        return f"Accuracy round, {self.month:%B %Y}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AccuracyCallQuerySet(models.QuerySet):
    def unrecorded(self) -> AccuracyCallQuerySet:
        return self.filter(result=AccuracyCall.Result.UNRECORDED)

    def recorded(self) -> AccuracyCallQuerySet:
        return self.exclude(result=AccuracyCall.Result.UNRECORDED)


class AccuracyCall(models.Model):
    """Staff's phone call to one sampled listing, and what they found."""

    class Result(models.TextChoices):
        UNRECORDED = "", "Not recorded yet"
        REACHED = "reached", "Reached the provider or their office"
        NOT_REACHED = "not-reached", "Called, not reached"
        COULD_NOT_CALL = "could-not-call", "Could not call (counts as not reached)"

    class Accepting(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNKNOWN = "unknown", "Unknown"

    class AsListed(models.TextChoices):
        YES = "yes", "Yes, as listed"
        NO = "no", "No, different"
        NOT_ASKED = "not-asked", "Not asked"

    round = models.ForeignKey(AccuracyRound, on_delete=models.CASCADE, related_name="calls")
    # The call and its result stay when a provider is deleted later: a closed round's figures never change.
    provider = models.ForeignKey(
        Provider, on_delete=models.SET_NULL, null=True, blank=True, related_name="accuracy_calls",
    )
    provider_name = models.CharField("listing", max_length=200, help_text="The provider's name when drawn.")
    position = models.PositiveIntegerField(help_text="The order in which the listing was drawn.")
    result = models.CharField(max_length=20, choices=Result.choices, blank=True, default=Result.UNRECORDED)
    accepting = models.CharField(
        "accepting new clients", max_length=10, choices=Accepting.choices, default=Accepting.UNKNOWN,
    )
    fee_as_listed = models.CharField(
        "fee as listed", max_length=10, choices=AsListed.choices, default=AsListed.NOT_ASKED,
        help_text="Is the fee they quote the fee on the listing?",
    )
    insurance_as_listed = models.CharField(
        "insurance as listed", max_length=10, choices=AsListed.choices, default=AsListed.NOT_ASKED,
        help_text="Do they take the insurance plans the listing names?",
    )
    notes = models.TextField(blank=True, max_length=2000)
    called_on = models.DateField(null=True, blank=True, help_text="Filled with today when a result is recorded.")
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="Who recorded the call.",
    )

    objects = AccuracyCallQuerySet.as_manager()

    class Meta:
        ordering = ["round", "position"]
        verbose_name = "accuracy call"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "provider"], name="accuracycall_one_per_provider_per_round",
                violation_error_message="This listing is already in the round.",
            ),
            models.CheckConstraint(
                condition=models.Q(result="reached")
                | models.Q(accepting="unknown", fee_as_listed="not-asked", insurance_as_listed="not-asked"),
                name="accuracycall_answers_only_when_reached",
                violation_error_message="Only a call that reached the provider has answers: set accepting to "
                                        "unknown and the fee and insurance to not asked, or record it as reached.",
            ),
            models.CheckConstraint(
                condition=models.Q(result="") | models.Q(called_on__isnull=False),
                name="accuracycall_recorded_with_a_date",
                violation_error_message="A recorded call has the day it was made.",
            ),
        ]

    def __str__(self) -> str:
        return self.provider_name


# --- "Still accepting?": the questions emailed to providers who claimed their listing --------------------


class ConfirmationRequestQuerySet(models.QuerySet):
    def sent_since(self, when: datetime.datetime) -> ConfirmationRequestQuerySet:
        return self.filter(sent_at__gte=when)

    def in_this_round(self) -> ConfirmationRequestQuerySet:
        """Sent within the last AVAILABILITY_CONFIRM_DAYS: a listing is asked at most once in that time."""
        return self.sent_since(timezone.now() - datetime.timedelta(days=settings.AVAILABILITY_CONFIRM_DAYS))

    def unanswered(self) -> ConfirmationRequestQuerySet:
        return self.filter(answered_at__isnull=True)


class ConfirmationRequest(models.Model):
    """One "Still accepting new clients?" email to a provider who claimed their listing, and their answer.

    The links in the email carry the signed nonce; the answer is recorded once, and the link is used up."""

    class Answer(models.TextChoices):
        ACCEPTING = "accepting", "Accepting new clients"
        NOT_ACCEPTING = "not-accepting", "Not accepting new clients"
        WAITLIST = "waitlist", "Not accepting new clients, with a waitlist"

    # Tied to the claim, not only the listing: if staff remove a claim, the links already sent stop working.
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="confirmation_requests")
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    waitlist_weeks = models.PositiveSmallIntegerField(
        "waitlist (weeks)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(104)],
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = ConfirmationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        get_latest_by = "sent_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True) | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="confirmationrequest_answered_with_a_time",
                violation_error_message="An answer is recorded with the time it was given, and only then.",
            ),
            models.CheckConstraint(
                # isnull=False said outright: a NULL comparison is unknown, and a CHECK lets unknown pass.
                condition=Q(answer="waitlist", waitlist_weeks__isnull=False, waitlist_weeks__range=(1, 104))
                | (~Q(answer="waitlist") & Q(waitlist_weeks__isnull=True)),
                name="confirmationrequest_weeks_only_with_a_waitlist",
                violation_error_message="A waitlist answer gives the weeks (1 to 104); no other answer does.",
            ),
        ]
        indexes = [models.Index(fields=["account", "sent_at"], name="confirmationrequest_sent")]

    def __str__(self) -> str:
        return f"{self.account.provider}: asked {self.sent_at:%Y-%m-%d}"
# --- Claims and edits that staff review ----------------------------------------------------------------


class Decision(models.TextChoices):
    """Where a claim or an edit stands with staff."""

    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Not approved"


class ReviewQuerySet(models.QuerySet):
    def pending(self) -> ReviewQuerySet:
        return self.filter(status=Decision.PENDING)

    def decided(self) -> ReviewQuerySet:
        return self.exclude(status=Decision.PENDING)

    def about(self, provider: Provider) -> ReviewQuerySet:
        return self.filter(provider=provider)


class Reviewed(models.Model):
    """What staff decide on: pending, then approved or rejected (with a reason the person sees)."""

    status = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    reason = models.TextField(
        "reason", blank=True, max_length=2000, help_text="Why it was not approved. The person who asked sees this."
    )
    created = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.status == Decision.PENDING


class ClaimRequest(Reviewed):
    """Someone who says a listing is theirs but cannot receive email at the address on file. A verifier checks
    the license with the board and approves (an account is made and a sign-in link sent) or rejects."""

    name = models.CharField("your name", max_length=200)
    license_number = models.CharField("license number", max_length=60)
    jurisdiction = models.CharField("state or province of the license", **jurisdiction_field_kwargs)
    email = models.EmailField("email address", help_text="Where the sign-in link goes once staff approve.")
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="claim_requests",
        verbose_name="listing", help_text="The listing being claimed: found by the license, or chosen by staff.",
    )

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Decision.REJECTED) | ~Q(reason=""),
                name="claimrequest_rejection_has_reason",
                violation_error_message="Say why the claim is not approved.",
            ),
            models.CheckConstraint(
                condition=~Q(status=Decision.APPROVED) | Q(provider__isnull=False),
                name="claimrequest_approval_names_listing",
                violation_error_message="Choose the listing the claim is approved for.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_jurisdiction_display()} {self.license_number})"


class ListingEdit(Reviewed):
    """A provider's changes to their listing, waiting for staff: the proposed values of each changed field (and
    what they were), as JSON in the shape listings.edits describes."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="edits")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(help_text="The proposed value of each changed field.")
    before = models.JSONField(help_text="The value of each changed field when the provider proposed the change.")

    class Meta:
        ordering = ["-created"]
        verbose_name = "listing edit"
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=Q(status=Decision.PENDING),
                name="listingedit_one_pending_per_provider",
                violation_error_message="This listing already has changes waiting for review.",
            ),
            models.CheckConstraint(
                condition=~Q(status=Decision.REJECTED) | ~Q(reason=""),
                name="listingedit_rejection_has_reason",
                violation_error_message="Say why the changes are not approved.",
            ),
        ]

    def __str__(self) -> str:
        return f"Changes to {self.provider}"
