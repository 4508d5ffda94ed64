"""Staff data entry in the admin: pages answer, bad entries show errors, roles hold."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from directory.models import Provider, Resource

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [
    "provider", "license", "modality", "condition", "credentialtype", "sessionformat", "agegroup",
    "language", "insuranceplan", "resource", "report",
]


@pytest.fixture
def staff_client(client, make_provider):
    user = User.objects.create_user("staff", password="x", is_staff=True)
    call_command("setup_roles", stdout=io.StringIO())

    def login(role: str):
        user.groups.set([Group.objects.get(name=role)])
        user.refresh_from_db()
        client.force_login(user)
        return client

    return login


def provider_form(**overrides) -> dict:
    data = {
        "name": "Ana Díaz", "slug": "", "external_id": "", "pronouns": "", "gender": "", "practice_name": "",
        "bio": "", "phone": "", "email": "", "website": "", "standard_fee": "", "sliding_scale_min": "",
        "sliding_scale_max": "", "published": "", "accepting_new_clients": "on", "accepting_confirmed": "",
        "last_verified": "",
        "licenses-TOTAL_FORMS": "1", "licenses-INITIAL_FORMS": "0",
        "licenses-MIN_NUM_FORMS": "0", "licenses-MAX_NUM_FORMS": "1000",
        "licenses-0-credential_type": "", "licenses-0-jurisdiction": "", "licenses-0-number": "",
        "licenses-0-expires_on": "", "licenses-0-verified_on": "",
        "offices-TOTAL_FORMS": "0", "offices-INITIAL_FORMS": "0",
        "offices-MIN_NUM_FORMS": "0", "offices-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_every_admin_list_add_and_change_page_answers_for_a_superuser(admin_client, make_provider, resources):
    provider = make_provider("Ana", offices=[{"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}])
    for model in ADMIN_MODELS:
        assert admin_client.get(f"/admin/directory/{model}/").status_code == 200, model
        if model != "report":
            assert admin_client.get(f"/admin/directory/{model}/add/").status_code == 200, model
    assert admin_client.get(f"/admin/directory/provider/{provider.pk}/change/").status_code == 200
    resource = Resource.objects.first()
    assert admin_client.get(f"/admin/directory/resource/{resource.pk}/change/").status_code == 200


def test_provider_list_filters_and_search_answer(admin_client, make_provider):
    make_provider("Ana", licenses=[("LCSW", "TX", "LIC-77")], modalities=["cbt"])
    for query in ["licensed_in=TX", "credential=LCSW", "freshness=stale", "freshness=flagged", "q=LIC-77",
                  "published__exact=1", "accepting_new_clients__exact=0"]:
        response = admin_client.get(f"/admin/directory/provider/?{query}")
        assert response.status_code == 200, query
    assert "Ana" in admin_client.get("/admin/directory/provider/?q=LIC-77").content.decode()
    assert "Ana" not in admin_client.get("/admin/directory/provider/?licensed_in=NY").content.decode()


@pytest.mark.parametrize("query", [
    "provider/?licensed_in=%00", "provider/?credential=T%00X", "provider/?q=%00", "license/?jurisdiction=%00",
    "report/?reason__exact=%00", "provider/?%00=1",
])
def test_a_nul_in_a_list_filter_or_search_is_refused_with_a_message(admin_client, make_provider, query):
    """PostgreSQL refuses text holding NUL: that is bad input, not a database outage."""
    make_provider("Ana", licenses=[("LCSW", "TX")])
    response = admin_client.get(f"/admin/directory/{query}")
    assert response.status_code == 400
    assert "held a NUL character" in response.content.decode()


def test_a_nul_in_the_admin_autocomplete_is_refused_with_a_message(admin_client, taxonomy):
    response = admin_client.get("/admin/autocomplete/", {"term": "\x00", "app_label": "directory",
                                                         "model_name": "provider", "field_name": "modalities"})
    assert response.status_code == 400
    assert "held a NUL character" in response.content.decode()


def test_a_provider_with_a_license_is_added_through_the_admin(admin_client, taxonomy):
    from directory.models import CredentialType

    lcsw = CredentialType.objects.get(code="LCSW")
    response = admin_client.post("/admin/directory/provider/add/", provider_form(**{
        "standard_fee": "140", "sliding_scale_min": "40", "sliding_scale_max": "120",
        "licenses-0-credential_type": lcsw.pk, "licenses-0-jurisdiction": "TX", "licenses-0-number": "A-1",
    }))
    assert response.status_code == 302, response.content.decode()[:3000]
    provider = Provider.objects.get(name="Ana Díaz")
    assert provider.slug == "ana-diaz"
    assert [str(lic) for lic in provider.licenses.all()] == ["LCSW TX A-1"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"standard_fee": "-5"}, "A fee cannot be negative."),
        (
            {"sliding_scale_min": "90", "sliding_scale_max": "40"},
            "The sliding-scale minimum cannot be above the maximum.",
        ),
        ({"sliding_scale_min": "40"}, "Give both the sliding-scale minimum and maximum, or neither."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_invalid_provider_entries_show_a_clear_error_and_save_nothing(admin_client, taxonomy, fields, message):
    response = admin_client.post("/admin/directory/provider/add/", provider_form(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Provider.objects.exists()


def test_a_duplicate_license_or_external_id_shows_an_error(admin_client, make_provider):
    from directory.models import CredentialType

    make_provider("Ben", external_id="src-1", licenses=[("LCSW", "TX", "DUP-1")])
    lcsw = CredentialType.objects.get(code="LCSW")
    response = admin_client.post("/admin/directory/provider/add/", provider_form(**{
        "external_id": "src-1",
        "licenses-0-credential_type": lcsw.pk, "licenses-0-jurisdiction": "TX", "licenses-0-number": "DUP-1",
    }))
    page = response.content.decode()
    assert "Another provider already has this external ID." in page
    assert "This license (credential, jurisdiction and number) is already listed." in page
    assert Provider.objects.count() == 1


def test_an_editor_cannot_mark_a_license_verified(staff_client, make_provider, today):
    provider = make_provider("Ana", licenses=[("LCSW", "TX", "E-1")])
    license_ = provider.licenses.get()
    client = staff_client("editors")
    page = client.get(f"/admin/directory/provider/{provider.pk}/change/").content.decode()
    assert 'name="licenses-0-verified_on"' not in page
    data = provider_form(**{
        "name": "Ana", "slug": provider.slug, "external_id": provider.external_id,
        "licenses-INITIAL_FORMS": "1", "licenses-0-id": license_.pk, "licenses-0-provider": provider.pk,
        "licenses-0-credential_type": license_.credential_type_id, "licenses-0-jurisdiction": "TX",
        "licenses-0-number": "E-1", "licenses-0-verified_on": today.isoformat(),
    })
    assert client.post(f"/admin/directory/provider/{provider.pk}/change/", data).status_code == 302
    license_.refresh_from_db()
    assert license_.verified_on is None
    # Nor through the license list's bulk action.
    client.post("/admin/directory/license/", {"action": "mark_verified_today", "_selected_action": [license_.pk]})
    license_.refresh_from_db()
    assert license_.verified_on is None


def test_a_verifier_marks_a_license_verified_and_is_recorded_as_the_verifier(staff_client, make_provider, today):
    provider = make_provider("Ana", licenses=[("LCSW", "TX", "V-1")])
    license_ = provider.licenses.get()
    client = staff_client("verifiers")
    data = provider_form(**{
        "name": "Ana", "slug": provider.slug, "external_id": provider.external_id,
        "licenses-INITIAL_FORMS": "1", "licenses-0-id": license_.pk, "licenses-0-provider": provider.pk,
        "licenses-0-credential_type": license_.credential_type_id, "licenses-0-jurisdiction": "TX",
        "licenses-0-number": "V-1", "licenses-0-verified_on": today.isoformat(),
    })
    response = client.post(f"/admin/directory/provider/{provider.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    license_.refresh_from_db()
    assert license_.verified_on == today
    assert license_.verified_by.username == "staff"


def test_the_bulk_verify_action_works_for_verifiers(staff_client, make_provider, today):
    license_ = make_provider("Ana", licenses=[("PMHNP", "NY", "B-1")]).licenses.get()
    staff_client("verifiers").post(
        "/admin/directory/license/", {"action": "mark_verified_today", "_selected_action": [license_.pk]}
    )
    license_.refresh_from_db()
    assert license_.verified_on == today


def test_editing_a_verified_license_number_drops_the_verification(staff_client, make_provider, today):
    provider = make_provider("Ana", licenses=[("LCSW", "TX", "OLD-1", today)])
    license_ = provider.licenses.get()
    data = provider_form(**{
        "name": "Ana", "slug": provider.slug, "external_id": provider.external_id,
        "licenses-INITIAL_FORMS": "1", "licenses-0-id": license_.pk, "licenses-0-provider": provider.pk,
        "licenses-0-credential_type": license_.credential_type_id, "licenses-0-jurisdiction": "TX",
        "licenses-0-number": "NEW-2",
    })
    assert staff_client("editors").post(f"/admin/directory/provider/{provider.pk}/change/", data).status_code == 302
    license_.refresh_from_db()
    assert (license_.number, license_.verified_on) == ("NEW-2", None)


def verified_names(client, **params) -> list[str]:
    """Who the public search lists as holding a license staff verified."""
    return [r["name"] for r in client.get("/api/providers/", {"verified": "true", **params}).json()["results"]]


def license_form(license_, **changes) -> dict:
    """The license change page's form as an editor sees it (no verification fields), with changes."""
    data = {"provider": license_.provider_id, "credential_type": license_.credential_type_id,
            "jurisdiction": license_.jurisdiction, "number": license_.number, "expires_on": ""}
    data.update(changes)
    return data


@pytest.fixture
def verified_prescriber(make_provider, django_user_model, today):
    """Ana's MD license in NY, verified by a verifier 30 days ago; Ben holds none."""
    ana = make_provider("Ana Díaz", licenses=[("MD", "NY", "MD-1")])
    make_provider("Ben Roe", licenses=[("LCSW", "NY", "L-2")])
    verifier = django_user_model.objects.create_user("verifier")
    ana.licenses.update(verified_on=today - datetime.timedelta(days=30), verified_by=verifier)
    return ana.licenses.get()


def test_an_editor_moving_a_verified_license_to_another_provider_leaves_it_unverified(
        staff_client, client, verified_prescriber):
    ben = Provider.objects.get(name="Ben Roe")
    editor = staff_client("editors")
    url = f"/admin/directory/license/{verified_prescriber.pk}/change/"
    response = editor.post(url, license_form(verified_prescriber, provider=ben.pk), follow=True)
    verified_prescriber.refresh_from_db()
    assert verified_prescriber.provider == ben
    assert (verified_prescriber.verified_on, verified_prescriber.verified_by) == (None, None)
    assert "no longer verified" in response.content.decode()
    # Ben now holds a prescribing credential, but nobody checked it for him.
    [result] = client.get("/api/providers/", {"prescriber": "true"}).json()["results"]
    assert result["name"] == "Ben Roe"
    assert {"code": "MD", "state": "NY", "verified": False} in result["credentials"]
    assert verified_names(client) == []


@pytest.mark.parametrize("change", [{"credential_type": "PMHNP"}, {"jurisdiction": "NJ"}, {"number": "MD-2"}])
def test_an_editor_changing_a_verified_licenses_credential_state_or_number_leaves_it_unverified(
        staff_client, client, verified_prescriber, change):
    from directory.models import CredentialType

    if "credential_type" in change:
        change = {"credential_type": CredentialType.objects.get(code=change["credential_type"]).pk}
    url = f"/admin/directory/license/{verified_prescriber.pk}/change/"
    assert staff_client("editors").post(url, license_form(verified_prescriber, **change)).status_code == 302
    verified_prescriber.refresh_from_db()
    assert (verified_prescriber.verified_on, verified_prescriber.verified_by) == (None, None)
    assert verified_names(client) == []


def test_an_editor_changing_only_the_expiry_keeps_the_verification(staff_client, client, verified_prescriber):
    url = f"/admin/directory/license/{verified_prescriber.pk}/change/"
    data = license_form(verified_prescriber, expires_on="2099-01-31")
    page = staff_client("editors").post(url, data, follow=True).content.decode()
    assert "no longer verified" not in page
    verified_prescriber.refresh_from_db()
    assert verified_prescriber.verified_on is not None
    assert verified_names(client) == ["Ana Díaz"]


@pytest.mark.parametrize("change", [{"credential_type": "PMHNP"}, {"jurisdiction": "NJ"}, {"number": "MD-2"}])
def test_an_editor_changing_a_verified_license_on_the_provider_page_leaves_it_unverified(
        staff_client, client, verified_prescriber, change):
    from directory.models import CredentialType

    ana = verified_prescriber.provider
    fields = {"credential_type": verified_prescriber.credential_type_id, "jurisdiction": "NY", "number": "MD-1"}
    if "credential_type" in change:
        change = {"credential_type": CredentialType.objects.get(code=change["credential_type"]).pk}
    fields.update(change)
    data = provider_form(**{
        "name": ana.name, "slug": ana.slug, "external_id": ana.external_id,
        "licenses-INITIAL_FORMS": "1", "licenses-0-id": verified_prescriber.pk, "licenses-0-provider": ana.pk,
        **{f"licenses-0-{name}": value for name, value in fields.items()},
    })
    response = staff_client("editors").post(f"/admin/directory/provider/{ana.pk}/change/", data, follow=True)
    verified_prescriber.refresh_from_db()
    assert (verified_prescriber.verified_on, verified_prescriber.verified_by) == (None, None)
    assert verified_names(client) == []
    assert "no longer verified" in response.content.decode()


def test_a_verifier_who_corrects_a_number_and_gives_the_date_verifies_the_corrected_license(
        staff_client, client, verified_prescriber, today):
    url = f"/admin/directory/license/{verified_prescriber.pk}/change/"
    data = license_form(verified_prescriber, number="MD-2", verified_on=today.isoformat())
    assert staff_client("verifiers").post(url, data).status_code == 302
    verified_prescriber.refresh_from_db()
    assert (verified_prescriber.number, verified_prescriber.verified_on) == ("MD-2", today)
    assert verified_prescriber.verified_by.username == "staff"
    assert verified_names(client) == ["Ana Díaz"]


def test_actions_publish_unpublish_and_mark_checked_today(admin_client, make_provider, today):
    ana = make_provider("Ana", published=False, needs_reverification=True, licenses=[("LCSW", "TX", "L-1", today)])
    url = "/admin/directory/provider/"
    admin_client.post(url, {"action": "publish", "_selected_action": [ana.pk]})
    ana.refresh_from_db()
    assert ana.published
    admin_client.post(url, {"action": "unpublish", "_selected_action": [ana.pk]})
    ana.refresh_from_db()
    assert not ana.published
    admin_client.post(url, {"action": "mark_checked_today", "_selected_action": [ana.pk]})
    ana.refresh_from_db()
    assert (ana.last_verified, ana.needs_reverification) == (today, False)


def test_setup_roles_can_run_twice(db):
    call_command("setup_roles", stdout=io.StringIO())
    call_command("setup_roles", stdout=io.StringIO())
    editors, verifiers = Group.objects.get(name="editors"), Group.objects.get(name="verifiers")
    assert not editors.permissions.filter(codename="verify_license").exists()
    assert verifiers.permissions.filter(codename="verify_license").exists()
    assert editors.permissions.filter(codename="change_provider").exists()
    assert not editors.permissions.filter(codename="delete_provider").exists()


def test_staff_sign_in_is_paused_after_five_failed_attempts(client, db):
    User.objects.create_user("staff", password="right-password-123", is_staff=True)
    for _ in range(4):
        response = client.post("/admin/login/", {"username": "staff", "password": "wrong"})
        assert response.status_code == 200
    assert client.post("/admin/login/", {"username": "staff", "password": "wrong"}).status_code == 429
    response = client.post("/admin/login/?next=/admin/", {"username": "staff", "password": "right-password-123"})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_works_and_resets_the_count(client, db):
    User.objects.create_user("staff", password="right-password-123", is_staff=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "staff", "password": "wrong"})
    response = client.post("/admin/login/?next=/admin/", {"username": "staff", "password": "right-password-123"})
    assert response.status_code == 302


def test_a_license_number_with_a_csv_separator_is_refused(admin_client, taxonomy):
    from directory.models import CredentialType

    lcsw = CredentialType.objects.get(code="LCSW")
    response = admin_client.post("/admin/directory/provider/add/", provider_form(**{
        "licenses-0-credential_type": lcsw.pk, "licenses-0-jurisdiction": "TX", "licenses-0-number": "A:1;2",
    }))
    assert "A license number cannot contain : or ;." in response.content.decode()
    assert not Provider.objects.exists()


# --- The fit finder's guidance, edited by editors ----------------------------------------------------------


def test_an_editor_adds_a_next_step_rule_and_the_fit_finder_uses_it(staff_client, client):
    from directory.models import AgeGroup, Condition, Modality
    from finder.models import NextStepRule

    editor = staff_client("editors")
    assert editor.get("/admin/finder/nextsteprule/").status_code == 200
    grief = Condition.objects.get(slug="grief")
    data = {
        "condition": grief.pk, "after": "", "suggest": Modality.objects.get(slug="ipt").pk,
        "age_groups": [AgeGroup.objects.get(slug="adults").pk], "evidence": "1",
        "why": "Works on the loss and the changes it brought.", "position": "10",
    }
    assert editor.post("/admin/finder/nextsteprule/add/", data).status_code == 302
    rule = NextStepRule.objects.get(condition=grief)
    assert [group.slug for group in rule.age_groups.all()] == ["adults"]
    assert client.get("/api/match/", {"concern": "grief"}).json()["suggested_modalities"] == ["ipt"]
    assert client.get("/api/match/", {"concern": "grief", "age_group": "children"}).json()[
        "suggested_modalities"] == []


def test_a_next_step_rule_for_no_concern_and_no_trigger_is_refused_with_a_message(admin_client, taxonomy):
    from directory.models import Modality
    from finder.models import NextStepRule

    before = NextStepRule.objects.count()
    data = {"condition": "", "after": "", "suggest": Modality.objects.get(slug="ipt").pk, "evidence": "2",
            "why": "Anyone, always.", "position": "0"}
    page = admin_client.post("/admin/finder/nextsteprule/add/", data).content.decode()
    assert "Say which concern it is for, or what the person tried" in page
    assert NextStepRule.objects.count() == before


def test_an_editor_changes_a_concerns_note_and_the_fit_finder_shows_it(staff_client, client):
    from finder.models import GuidanceNote

    editor = staff_client("editors")
    note = GuidanceNote.objects.get(condition__slug="eating-disorders")
    assert editor.get(f"/admin/finder/guidancenote/{note.pk}/change/").status_code == 200
    data = {"condition": note.condition_id, "age_group": "", "text": "See a physician first.", "position": "5"}
    assert editor.post(f"/admin/finder/guidancenote/{note.pk}/change/", data).status_code == 302
    assert "See a physician first." in client.get("/api/match/", {"concern": "eating-disorders"}).json()["notes"]
    page = editor.post("/admin/finder/guidancenote/add/", {**data, "condition": ""}).content.decode()
    assert "Say which concern or age group the note is for." in page
