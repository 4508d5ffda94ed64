"""A provider edits their own listing: changes wait for staff, who read them field by field and approve
(applied through the listing's validation; new or changed licenses arrive unverified) or reject with a reason
the provider sees. Availability applies at once and counts as a confirmation. Nothing reaches another listing
or the admin, and reports from the public show on the dashboard once staff confirm them."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from directory.models import License, Provider, Report
from listings.models import Decision, ListingEdit, ProviderAccount

pytestmark = pytest.mark.django_db

AUSTIN = {"address": "100 Congress Ave", "city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}


@pytest.fixture
def ana(make_provider, today):
    return make_provider(
        "Ana Díaz", bio="I help adults with depression.", modalities=["act"], conditions=["depression"],
        standard_fee=140, licenses=[("LCSW", "TX", "LCSW-1", today)], offices=[AUSTIN], last_verified=today,
    )


@pytest.fixture
def provider_client(client, ana, make_account) -> Client:
    client.force_login(make_account(ana).user)
    return client


@pytest.fixture
def editor(db) -> Client:
    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user("editor", password="a-long-password-2026", is_staff=True)
    user.groups.set([Group.objects.get(name="editors")])
    client = Client()
    client.force_login(user)
    return client


def edit_data(provider: Provider, **changes) -> dict:
    """The edit form as it comes, filled in with the listing, with these fields changed."""
    response = Client()
    response.force_login(provider.account.user)
    form = response.get(f"/provider/listing/{provider.slug}/edit/").context
    data: dict = {}
    for bound in form["form"]:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    for formset in (form["licenses"], form["offices"]):
        for name, field in formset.management_form.fields.items():
            data[f"{formset.prefix}-{name}"] = str(formset.management_form.initial.get(name, field.initial or 0))
        for sub in formset.forms:
            for bound in sub:
                value = bound.value()
                if isinstance(value, bool):
                    if value:
                        data[bound.html_name] = "on"
                else:
                    data[bound.html_name] = "" if value is None else str(value)
    data.update(changes)
    return data


def review(client: Client, edit: ListingEdit, **data):
    return client.post(f"/admin/listings/listingedit/{edit.pk}/change/", data)


def test_an_edit_waits_for_review_and_the_public_listing_does_not_change(provider_client, ana):
    data = edit_data(ana, name="Ana M. Díaz", bio="Adults and teens.", standard_fee="120",
                     modalities=["act", "cbt"])
    response = provider_client.post(f"/provider/listing/{ana.slug}/edit/", data, follow=True)
    assertContains(response, "Our staff will review your changes")
    assertContains(response, "Changes waiting for review")
    assertContains(response, "Cognitive Behavioral Therapy (CBT)")
    assertContains(response, "$140")
    assertContains(response, "$120")
    edit = ListingEdit.objects.get()
    assert edit.status == Decision.PENDING
    assert set(edit.changes) == {"name", "bio", "standard_fee", "modalities"}
    public = Client().get("/providers/ana-diaz/")
    assertContains(public, "I help adults with depression.")
    assertNotContains(public, "Ana M. Díaz")
    assertNotContains(public, "Cognitive Behavioral Therapy (CBT)")


def test_staff_read_the_changes_field_by_field_in_words(provider_client, ana, editor):
    provider_client.post(f"/provider/listing/{ana.slug}/edit/",
                         edit_data(ana, standard_fee="120", modalities=["act", "cbt"], conditions=[]))
    page = editor.get(f"/admin/listings/listingedit/{ListingEdit.objects.get().pk}/change/")
    assertContains(page, "<th scope=\"row\">Standard session fee</th>", html=False)
    assertContains(page, "$140")
    assertContains(page, "$120")
    assertContains(page, "Approaches")
    assertContains(page, "Acceptance and Commitment Therapy (ACT)")
    assertContains(page, "Cognitive Behavioral Therapy (CBT)")
    assertContains(page, "Concerns you specialize in")
    assertContains(page, "(none)")
    assertNotContains(page, '"cbt"')


def test_approving_applies_the_changes_and_the_dashboard_says_so(provider_client, ana, editor):
    provider_client.post(f"/provider/listing/{ana.slug}/edit/",
                         edit_data(ana, name="Ana M. Díaz", standard_fee="120", modalities=["act", "cbt"]))
    edit = ListingEdit.objects.get()
    assert review(editor, edit, decision="approve", reason="").status_code == 302
    ana.refresh_from_db()
    assert ana.name == "Ana M. Díaz" and str(ana.standard_fee) == "120.00"
    assert sorted(ana.modalities.values_list("slug", flat=True)) == ["act", "cbt"]
    assertContains(Client().get("/providers/ana-diaz/"), "Cognitive Behavioral Therapy (CBT)")
    edit.refresh_from_db()
    assert (edit.status, edit.decided_by.username) == (Decision.APPROVED, "editor")
    dashboard = provider_client.get("/provider/")
    assertContains(dashboard, "Approved: changes sent")
    assertContains(dashboard, "None. Changes to your name")


def test_rejecting_keeps_the_listing_and_the_provider_sees_why(provider_client, ana, editor):
    provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, standard_fee="5"))
    edit = ListingEdit.objects.get()
    assertContains(review(editor, edit, decision="reject", reason=""), "Say why: the person who asked sees this.")
    assert ListingEdit.objects.get().status == Decision.PENDING
    review(editor, edit, decision="reject", reason="A $5 fee looks like a typo: please check it.")
    ana.refresh_from_db()
    assert str(ana.standard_fee) == "140.00"
    dashboard = provider_client.get("/provider/")
    assertContains(dashboard, "Not approved: changes sent")
    assertContains(dashboard, "A $5 fee looks like a typo: please check it.")


def test_licenses_added_or_changed_arrive_unverified_and_unchanged_ones_stay_verified(
    provider_client, ana, editor, today
):
    data = edit_data(ana, **{"licenses-1-credential": "LPC", "licenses-1-jurisdiction": "OK",
                             "licenses-1-number": "LPC-77", "licenses-1-expires_on": "2030-06-30"})
    provider_client.post(f"/provider/listing/{ana.slug}/edit/", data)
    review(editor, ListingEdit.objects.get(), decision="approve", reason="")
    verified = dict(License.objects.filter(provider=ana).values_list("number", "verified_on"))
    assert verified == {"LCSW-1": today, "LPC-77": None}
    assertContains(Client().get("/providers/ana-diaz/"), "Not yet verified")

    provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, **{"licenses-0-number": "LCSW-2"}))
    review(editor, ListingEdit.objects.pending().get(), decision="approve", reason="")
    verified = dict(License.objects.filter(provider=ana).values_list("number", "verified_on"))
    assert verified == {"LCSW-2": None, "LPC-77": None}
    assert License.objects.get(number="LCSW-2").verified_by is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the name clients know you by."),
        ({"sliding_scale_min": "90", "sliding_scale_max": ""}, "Give both the sliding-scale minimum and maximum"),
        ({"sliding_scale_min": "90", "sliding_scale_max": "40"}, "The sliding-scale minimum cannot be above"),
        ({"standard_fee": "-5"}, "A fee cannot be negative."),
        ({"standard_fee": "lots"}, "Enter a number."),
        ({"website": "not a site"}, "Enter a valid URL."),
        ({"bio": "x\x00y"}, "Null characters are not allowed."),
        ({"modalities": ["no-such-approach"]}, "Select a valid choice."),
        ({"licenses-0-number": "LCSW:1"}, "A license number cannot contain : or ;."),
        ({"licenses-0-jurisdiction": "ZZ"}, "Select a valid choice."),
        ({"licenses-0-number": "OTHER-1"}, "This license is listed on another provider&#x27;s listing."),
        ({"offices-0-city": ""}, "Enter the city."),
        ({"phone": "call the front desk"}, "This does not look like a phone number."),
    ],
)
def test_invalid_edits_are_explained_beside_the_fields_and_nothing_is_kept(
    provider_client, ana, make_provider, changes, message
):
    make_provider("Other Person", licenses=[("LCSW", "TX", "OTHER-1")])
    response = provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, **changes))
    assertContains(response, message, status_code=400)
    assertContains(response, 'aria-invalid="true"', status_code=400)
    assertContains(response, "Nothing was sent", status_code=400)
    assert not ListingEdit.objects.exists()
    assert Provider.objects.get(pk=ana.pk).name == "Ana Díaz"


def test_a_second_edit_replaces_the_one_waiting_and_an_unchanged_form_withdraws_it(provider_client, ana):
    provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, standard_fee="120"))
    page = provider_client.get(f"/provider/listing/{ana.slug}/edit/")
    assertContains(page, "You have changes waiting for review")
    assertContains(page, 'value="120.00"')
    provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, standard_fee="110"))
    assert ListingEdit.objects.get().changes == {"standard_fee": "110.00"}
    response = provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, standard_fee="140"),
                                    follow=True)
    assertContains(response, "Nothing was changed.")
    assert not ListingEdit.objects.exists()


def test_changes_the_listing_now_refuses_are_explained_to_staff_and_nothing_is_applied(
    provider_client, ana, editor, make_provider
):
    provider_client.post(f"/provider/listing/{ana.slug}/edit/",
                         edit_data(ana, name="Ana M. Díaz", **{"licenses-0-number": "TAKEN-1"}))
    make_provider("Late Comer", licenses=[("LCSW", "TX", "TAKEN-1")])  # took the number meanwhile
    edit = ListingEdit.objects.get()
    response = review(editor, edit, decision="approve", reason="")
    assertContains(response, "The listing refuses these changes, so nothing was applied")
    assertContains(response, "already listed")
    ana.refresh_from_db()
    assert ana.name == "Ana Díaz"
    assert list(ana.licenses.values_list("number", flat=True)) == ["LCSW-1"]
    assert ListingEdit.objects.get().status == Decision.PENDING


def test_availability_applies_at_once_and_counts_as_a_confirmation(provider_client, ana, today):
    Provider.objects.filter(pk=ana.pk).update(accepting_new_clients=True,
                                              accepting_confirmed=today - datetime.timedelta(days=200))
    assertContains(Client().get("/providers/ana-diaz/"), "Availability unknown")
    response = provider_client.post(f"/provider/listing/{ana.slug}/availability/", {
        "waitlist_weeks": "6", "evenings": "on", "weekends": "on",
    }, follow=True)
    assertContains(response, "Your availability is updated and confirmed as of today.")
    ana.refresh_from_db()
    assert (ana.accepting_new_clients, ana.waitlist_weeks, ana.evenings, ana.weekends, ana.weekday_daytime) == (
        False, 6, True, True, False)
    assert ana.accepting_confirmed == today
    assert ProviderAccount.objects.get(provider=ana).availability_confirmed_on == today
    assert not ListingEdit.objects.exists()
    assertContains(Client().get("/providers/ana-diaz/"), "Waitlist, about 6 weeks")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"accepting_new_clients": "on", "waitlist_weeks": "4"}, "has no waitlist"),
        ({"waitlist_weeks": "0"}, "greater than or equal to 1"),
        ({"waitlist_weeks": "many"}, "Enter a whole number of weeks."),
        ({"next_opening": "2001-01-01"}, "The next opening cannot be in the past"),
        ({"next_opening": "soon"}, "Enter a date such as 2027-01-15."),
    ],
)
def test_bad_availability_is_explained_and_changes_nothing(provider_client, ana, data, message):
    before = Provider.objects.get(pk=ana.pk)
    response = provider_client.post(f"/provider/listing/{ana.slug}/availability/", data)
    assertContains(response, message, status_code=400)
    assertContains(response, "Nothing was saved", status_code=400)
    after = Provider.objects.get(pk=ana.pk)
    assert (after.accepting_new_clients, after.waitlist_weeks, after.accepting_confirmed) == (
        before.accepting_new_clients, before.waitlist_weeks, before.accepting_confirmed)
    assert ProviderAccount.objects.get(provider=ana).availability_confirmed_on is None


def test_a_provider_cannot_reach_another_listing_or_the_admin(provider_client, make_provider, make_account):
    ben = make_provider("Ben Roe", standard_fee=90)
    make_account(ben, "ben@example.org")
    assert provider_client.get(f"/provider/listing/{ben.slug}/edit/").status_code == 404
    assert provider_client.post(f"/provider/listing/{ben.slug}/edit/", edit_data(ben, standard_fee="1")
                                ).status_code == 404
    assert provider_client.post(f"/provider/listing/{ben.slug}/availability/",
                                {"waitlist_weeks": "9"}).status_code == 404
    ben.refresh_from_db()
    assert (ben.waitlist_weeks, str(ben.standard_fee)) == (None, "90.00")
    assert not ListingEdit.objects.exists()
    for path in ("/admin/", "/admin/directory/provider/", f"/admin/directory/provider/{ben.pk}/change/",
                 "/admin/listings/listingedit/"):
        response = provider_client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), path


def test_a_report_reaches_the_dashboard_only_once_staff_confirm_it(provider_client, ana, editor):
    Client().post("/providers/ana-diaz/report/", {"reason": "wrong-fee", "details": "Charged me $200."})
    report = Report.objects.get()
    assertNotContains(provider_client.get("/provider/"), "Charged me $200.")
    queue = editor.get("/admin/listings/listingedit/review/")
    assertContains(queue, "Reports from the public (1)")
    assertContains(queue, f"/admin/directory/report/{report.pk}/change/")
    response = editor.post("/admin/directory/report/", {"action": "confirm", "_selected_action": [report.pk]})
    assert response.status_code == 302
    dashboard = provider_client.get("/provider/")
    assertContains(dashboard, "Wrong fee or insurance")
    assertContains(dashboard, "Charged me $200.")
    assertContains(editor.get("/admin/listings/listingedit/review/"), "Reports from the public (0)")


def test_the_review_queue_gathers_edits_claims_and_reports(provider_client, ana, editor):
    provider_client.post(f"/provider/listing/{ana.slug}/edit/", edit_data(ana, standard_fee="120"))
    Client().post("/provider/claim/", {"name": "Cy Lee", "license_number": "X-1", "jurisdiction": "NY",
                                       "email": "cy@example.org"})
    Client().post("/providers/ana-diaz/report/", {"reason": "unreachable"})
    queue = editor.get("/admin/listings/listingedit/review/")
    assertContains(queue, "Listing edits from providers (1)")
    assertContains(queue, "Claims to a listing (1)")
    assertContains(queue, "Reports from the public (1)")
    assertContains(editor.get("/admin/listings/listingedit/"), "/admin/listings/listingedit/review/")


def test_a_listing_has_at_most_one_edit_waiting(ana):
    ListingEdit.objects.create(provider=ana, changes={"bio": "a"}, before={"bio": ""})
    ListingEdit.objects.create(provider=ana, changes={"bio": "b"}, before={"bio": ""}, status=Decision.APPROVED)
    with pytest.raises(IntegrityError):
        ListingEdit.objects.create(provider=ana, changes={"bio": "c"}, before={"bio": ""})


def test_a_rejected_edit_must_say_why(ana):
    with pytest.raises(IntegrityError):
        ListingEdit.objects.create(provider=ana, changes={"bio": "a"}, before={"bio": ""},
                                   status=Decision.REJECTED, reason="")


def test_sending_the_form_unchanged_proposes_nothing_even_with_line_breaks(provider_client, ana):
    Provider.objects.filter(pk=ana.pk).update(bio="First paragraph.\n\nSecond paragraph.\n")
    data = edit_data(Provider.objects.get(pk=ana.pk))
    data["bio"] = data["bio"].replace("\n", "\r\n")  # as a browser sends a textarea
    response = provider_client.post(f"/provider/listing/{ana.slug}/edit/", data, follow=True)
    assertContains(response, "Nothing was changed.")
    assert not ListingEdit.objects.exists()


# --- The provider's own photo and email choice ---------------------------------------------------------


def test_a_provider_uploads_their_photo_and_chooses_to_show_their_email_at_once(provider_client, ana, settings,
                                                                               tmp_path, client):
    from PIL import Image

    from tests.test_photos import camera_jpeg, upload

    settings.MEDIA_ROOT = tmp_path / "media"
    ana.email = "ana@example.org"
    ana.save()
    url = f"/provider/listing/{ana.slug}/presentation/"
    response = provider_client.post(url, {"photo": upload(camera_jpeg()), "photo_alt": "Ana smiling",
                                          "email_public": "on"})
    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.email_public and ana.photo_alt == "Ana smiling"
    with Image.open(ana.photo.path) as stored:
        assert max(stored.size) <= 480 and not stored.getexif()  # resized, no metadata
    profile = client.get(f"/providers/{ana.slug}/").content.decode()
    assert 'alt="Ana smiling"' in profile and "ana@example.org" in profile


def test_a_file_that_is_not_an_image_is_refused_beside_the_field_and_changes_nothing(provider_client, ana,
                                                                                    settings, tmp_path):
    from tests.test_photos import upload

    settings.MEDIA_ROOT = tmp_path / "media"
    response = provider_client.post(f"/provider/listing/{ana.slug}/presentation/",
                                    {"photo": upload(b"not an image at all"), "email_public": "on"})
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    ana.refresh_from_db()
    assert not ana.photo and not ana.email_public


def test_a_provider_cannot_change_another_listings_photo(provider_client, make_provider):
    ben = make_provider("Ben Roe")
    response = provider_client.post(f"/provider/listing/{ben.slug}/presentation/", {"email_public": "on"})
    assert response.status_code == 404
    ben.refresh_from_db()
    assert not ben.email_public
