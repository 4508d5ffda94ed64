"""Under /api/ every error answers in the API's JSON shape with its proper status; pages keep their HTML."""

from __future__ import annotations

import pytest
from django.db import DataError, OperationalError
from django.test import Client

import directory.api

pytestmark = pytest.mark.django_db


@pytest.fixture
def unraised() -> Client:
    """A client that gets the error response, as a browser or script would, rather than the exception."""
    return Client(raise_request_exception=False)


def errors_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["errors"]


@pytest.mark.parametrize("path", ["/api/", "/api/nothing-here/", "/api/providers/extra/", "/api/hsds/nothing"])
def test_an_unknown_api_address_answers_404_in_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert errors_of(response) == {"path": ["No API endpoint here."]}


def test_an_unknown_page_keeps_the_html_404_with_the_crisis_line(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert 'href="tel:988"' in response.content.decode()


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/providers/"), ("delete", "/api/guides/"), ("put", "/api/hsds/services"), ("post", "/api/hsds/"),
    ("post", "/api/match/"),
])
def test_a_wrong_method_answers_405_in_json_and_names_the_allowed_one(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert errors_of(response) == {"method": ["Use GET."]}


def test_a_wrong_method_on_a_page_is_still_a_plain_405(client, make_provider):
    make_provider("Ana Díaz")
    response = client.get("/providers/ana-diaz/report/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not response["Content-Type"].startswith("application/json")


def test_a_post_without_the_csrf_token_answers_403_in_json():
    response = Client(enforce_csrf_checks=True).post("/api/match/", {"concern": "depression"})
    assert response.status_code == 403
    assert list(errors_of(response)) == ["csrf"]


def test_a_page_form_without_the_csrf_token_keeps_the_html_403(make_provider):
    make_provider("Ana Díaz")
    response = Client(enforce_csrf_checks=True).post("/providers/ana-diaz/report/", {"reason": "other"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def failing(exception: Exception):
    def fail(*args, **kwargs):
        raise exception

    return fail


def test_a_server_fault_answers_500_in_json(unraised, monkeypatch):
    monkeypatch.setattr(directory.api, "SearchResults", failing(RuntimeError("a bug")))
    response = unraised.get("/api/providers/")
    assert response.status_code == 500
    assert errors_of(response) == {"server": ["Something went wrong on our side; try again shortly."]}


def test_a_database_outage_answers_503_in_json_with_retry_after(unraised, monkeypatch):
    monkeypatch.setattr(directory.api, "SearchResults", failing(OperationalError("connection refused")))
    response = unraised.get("/api/providers/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert errors_of(response) == {"database": ["The directory is unavailable; try again shortly."]}


def test_a_database_outage_on_a_page_keeps_the_html_503_with_the_crisis_line(unraised, monkeypatch):
    monkeypatch.setattr("directory.views.SearchResults", failing(OperationalError("connection refused")))
    response = unraised.get("/providers/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert 'href="tel:988"' in response.content.decode()


@pytest.mark.parametrize("path", ["/providers/", "/api/providers/"])
def test_a_value_the_database_refuses_is_a_fault_not_an_outage(unraised, monkeypatch, path):
    """Nobody is told to "try again shortly" for a request that will fail every time."""
    monkeypatch.setattr("directory.views.SearchResults", failing(DataError("text cannot contain NUL")))
    monkeypatch.setattr("directory.api.SearchResults", failing(DataError("text cannot contain NUL")))
    response = unraised.get(path)
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "unavailable" not in response.content.decode()
