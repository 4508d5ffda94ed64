"""Hostile input at the fit finder: arbitrary text, numbers and repeats never cause a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

PARAMS = [
    "concern", "tried", "state", "zip", "radius", "mode", "budget", "insurance", "language", "format",
    "age_group", "gender", "gender_required", "prescriber", "modality", "crisis", "limit", "page",
]
# Everything a person or a script could type, including control characters and huge numbers;
# "\x00" is what PostgreSQL refuses, so it must never reach a query.
values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "true", "TRUE", "0", "depression", "cbt", "TX", "78701", "\x00", "1e309", "NaN", "-0"]),
)
queries = st.lists(st.tuples(st.sampled_from(PARAMS), values), max_size=8)



@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_the_match_api_answers_200_or_a_400_with_the_contract_shape(client, taxonomy, query):
    response = client.get("/api/match/", query)
    assert response.status_code in (200, 400), response.content[:500]
    body = response.json()
    if response.status_code == 400:
        assert set(body) == {"errors"}
        assert all(isinstance(messages, list) and messages for messages in body["errors"].values())
    else:
        assert "results" in body


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_the_match_page_never_fails(client, taxonomy, query):
    response = client.get("/match/", query)
    assert response.status_code == 200
    assert b'href="tel:988"' in response.content


def test_a_huge_repeated_parameter_is_refused_cleanly(client, taxonomy):
    response = client.get("/api/match/", {"concern": ["depression"] * 2000, "budget": "9" * 5000})
    assert response.status_code == 400
    assert response.json()["errors"]
