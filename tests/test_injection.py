"""Text typed by staff or the public is shown as text, never as markup."""

from __future__ import annotations

import pytest

from directory.models import Report

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_bio_practice_and_name_with_markup_are_shown_as_text(client, make_provider):
    provider = make_provider(f"Ana {SCRIPT}", bio=SCRIPT, practice_name=SCRIPT, telehealth=True)
    for path in [provider.get_absolute_url(), "/providers/", "/match/?state=TX"]:
        page = client.get(path).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, path
    assert "&lt;script&gt;" in client.get(provider.get_absolute_url()).content.decode()


def test_a_report_with_markup_is_shown_as_text_to_staff(admin_client, make_provider):
    provider = make_provider("Ana")
    report = Report.objects.create(provider=provider, reason=Report.Reason.OTHER, details=SCRIPT)
    for path in ["/admin/directory/report/", f"/admin/directory/report/{report.pk}/change/"]:
        page = admin_client.get(path).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, path
