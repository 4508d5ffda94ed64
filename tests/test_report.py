"""Reporting a problem with a listing: stored for staff, the provider flagged, bad input rejected, CSRF enforced."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.asserts import assertContains

from directory.models import Provider, Report

pytestmark = pytest.mark.django_db


def test_a_report_is_stored_and_flags_the_provider_for_reverification(client, make_provider):
    ana = make_provider("Ana Díaz")
    response = client.post(
        "/providers/ana-diaz/report/", {"reason": "not-accepting", "details": "Said the practice is full."}
    )
    assert response.status_code == 302
    assert response["Location"] == "/providers/ana-diaz/"
    report = Report.objects.get()
    assert (report.provider, report.reason, report.details) == (ana, "not-accepting", "Said the practice is full.")
    assert Provider.objects.get(pk=ana.pk).needs_reverification is True
    assertContains(client.get(response["Location"]), "Thank you. Our staff will check this listing.")


def test_the_details_are_optional(client, make_provider):
    make_provider("Ana Díaz")
    assert client.post("/providers/ana-diaz/report/", {"reason": "unreachable"}).status_code == 302
    assert Report.objects.get().details == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose what the problem is."),
        ({"reason": "rude"}, "Choose one of the listed problems."),
        ({"reason": "other", "details": "x" * 1001}, "Ensure this value has at most 1000 characters"),
        ({"reason": "other", "details": "bad\x00byte"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(client, make_provider, data, message):
    ana = make_provider("Ana Díaz")
    response = client.post("/providers/ana-diaz/report/", data)
    assert response.status_code == 400
    assertContains(response, message, status_code=400)
    assert Report.objects.count() == 0
    assert Provider.objects.get(pk=ana.pk).needs_reverification is False


def test_the_form_requires_the_csrf_token(make_provider):
    make_provider("Ana Díaz")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/providers/ana-diaz/report/", {"reason": "other"}).status_code == 403
    assert Report.objects.count() == 0
    page = strict.get("/providers/ana-diaz/")
    token = page.cookies["csrftoken"].value
    response = strict.post("/providers/ana-diaz/report/", {"reason": "other", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_an_unpublished_provider_cannot_be_reported(client, make_provider):
    make_provider("Hidden Person", published=False)
    assert client.post("/providers/hidden-person/report/", {"reason": "other"}).status_code == 404
    assert Report.objects.count() == 0


def test_the_report_address_only_accepts_post(client, make_provider):
    make_provider("Ana Díaz")
    assert client.get("/providers/ana-diaz/report/").status_code == 405


def test_the_form_offers_every_reason(client, make_provider):
    make_provider("Ana Díaz")
    response = client.get("/providers/ana-diaz/")
    for value, label in Report.Reason.choices:
        assertContains(response, f'value="{value}"')
        assertContains(response, label)


def attachment() -> SimpleUploadedFile:
    return SimpleUploadedFile("evidence.pdf", b"%PDF-1.4 " + b"x" * 100_000, content_type="application/pdf")


def assert_nothing_saved(provider: Provider) -> None:
    assert Report.objects.count() == 0
    assert Provider.objects.get(pk=provider.pk).needs_reverification is False


def test_a_report_with_a_file_is_refused_with_a_message_and_nothing_saved(client, make_provider):
    ana = make_provider("Ana Díaz")
    response = client.post("/providers/ana-diaz/report/", {"reason": "other", "attachment": attachment()})
    assertContains(response, "This site does not accept files.", status_code=400)
    # Also where the CSRF check reads the form first, as it does for a browser's post.
    strict = Client(enforce_csrf_checks=True)
    token = strict.get("/providers/ana-diaz/").cookies["csrftoken"].value
    response = strict.post("/providers/ana-diaz/report/",
                           {"reason": "other", "csrfmiddlewaretoken": token, "attachment": attachment()})
    assertContains(response, "This site does not accept files.", status_code=400)
    assert_nothing_saved(ana)


def test_the_report_form_itself_refuses_files_should_the_site_ever_accept_them(client, make_provider, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = None
    settings.FILE_UPLOAD_HANDLERS = [h for h in settings.FILE_UPLOAD_HANDLERS if not h.startswith("config.")]
    ana = make_provider("Ana Díaz")
    response = client.post("/providers/ana-diaz/report/", {"reason": "other", "attachment": attachment()})
    assertContains(response, "Reports are text only: remove the attached file", status_code=400)
    assert_nothing_saved(ana)


def test_an_oversized_report_is_refused_with_413_and_nothing_saved(client, make_provider):
    ana = make_provider("Ana Díaz")
    response = client.post("/providers/ana-diaz/report/", {"reason": "other", "details": "x" * 2_000_000})
    assertContains(response, "What was sent is too large.", status_code=413)
    assert_nothing_saved(ana)
