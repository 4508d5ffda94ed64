"""The fit finder page and API: questions, ranked results with reasons, crisis first, nothing kept."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}


@pytest.fixture
def two_providers(make_provider, resources, today):
    make_provider(
        "Ana Díaz", licenses=[("LCSW", "TX", "L-1", today)], telehealth=True, modalities=["act"],
        conditions=["treatment-resistant-depression"], standard_fee=140, sliding_scale_min=40,
        sliding_scale_max=120, free_consultation=True, accepting_confirmed=today, last_verified=today,
    )
    make_provider("Ben Roe", licenses=[("LPC", "TX")], offices=[AUSTIN], modalities=["cbt"], standard_fee=150)


def test_the_bare_page_asks_the_questions_and_shows_no_results(client, taxonomy):
    page = client.get("/match/").content.decode()
    assert "Are you safe right now?" in page
    assert "What have you tried that did not help?" in page
    assert 'name="concern" value="not-sure"' in page
    assert 'id="match-results-title"' not in page


def test_the_questions_are_seven_numbered_steps_of_one_form_that_works_without_javascript(client, taxonomy):
    page = client.get("/match/").content.decode()
    assert page.count("<form") == 1
    for number in range(1, 8):
        assert f'data-step="{number}"' in page and f"Step {number} of 7" in page
    # The step-by-step buttons wait for the script; without it the one button sends every answer.
    for button in ("data-step-back hidden", "data-step-skip hidden", "data-step-next hidden"):
        assert button in page
    assert '<button type="submit" data-step-submit>Show providers who fit</button>' in page


def test_every_choice_of_every_question_is_offered(client, taxonomy):
    from finder.forms import MatchForm

    page = client.get("/match/").content.decode()
    for name in ("concern", "tried", "modality", "mode"):
        for value, _ in MatchForm().fields[name].choices:
            assert f'name="{name}" value="{value}"' in page, (name, value)


def test_answers_give_ranked_results_with_reasons(client, two_providers):
    answers = {"concern": "depression", "tried": "cbt", "state": "TX", "budget": "50"}
    page = client.get("/match/", answers).content.decode()
    assert "1 provider who can see you" in page
    assert "Ana Díaz" in page and "Ben Roe" not in page  # Ben's lowest fee is above the budget
    assert "Offers ACT, an alternative to CBT, which you said did not help" in page
    assert "Sliding scale from $40 fits your $50 budget" in page
    assert "Approaches worth asking about" in page


def test_crisis_answers_lead_with_988_before_any_provider(client, two_providers):
    page = client.get("/match/", {"crisis": "true", "state": "TX"}).content.decode()
    main = page[page.index('<main'):]
    assert main.index('href="tel:988"') < main.index("Ana Díaz")
    assert main.index("You do not have to go through this alone") < main.index("<h1")


def test_the_crisis_first_block_lists_every_crisis_line_with_links_to_call_and_text(client, two_providers):
    page = client.get("/match/", {"crisis": "true", "state": "QC"}).content.decode()
    first = page[page.index('<section class="notice crisis crisis-first"'):page.index("<h1")]
    assert first.index('href="tel:988">Call 988</a>') < first.index("Veterans Crisis Line")
    assert 'href="sms:988">Text 988</a>' in first
    for words in ["9-8-8 Suicide Crisis Helpline", 'href="tel:18662773553"', 'href="sms:741741?body=HOME"',
                  'href="sms:678678?body=START"', 'href="sms:838255"', 'href="tel:911"']:
        assert words in first, words


def test_invalid_answers_are_explained_beside_the_questions(client, taxonomy):
    response = client.get("/match/", {"budget": "lots", "zip": "1234", "concern": "sadness", "radius": "900"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter an amount in dollars, like 60." in page
    assert "Enter a five-digit US ZIP code, such as 78701." in page
    assert "sadness is not a concern we know." in page
    assert "Choose a distance from 1 to 500 miles." in page


def test_the_api_returns_the_contract_shape(client, two_providers):
    body = client.get("/api/match/", {"concern": "depression", "tried": "cbt", "state": "TX"}).json()
    assert set(body) >= {"results", "guides", "suggested_modalities", "notes", "crisis_resources"}
    first = body["results"][0]
    assert first["slug"] == "ana-diaz"
    assert 0 <= first["score"] <= 100
    assert first["reasons"] and isinstance(first["cautions"], list)
    assert first["fees"] == {"standard": 140.0, "sliding_scale_min": 40.0, "sliding_scale_max": 120.0,
                             "lowest": 40.0, "free_consultation": True}
    # Depression's first-line approaches that were not tried, strongest evidence first; never CBT again.
    assert body["suggested_modalities"][:2] == ["behavioral-activation", "ipt"]
    assert "cbt" not in body["suggested_modalities"]
    assert body["notes"] == []
    assert body["crisis_resources"][0] == {"name": "988 Suicide & Crisis Lifeline", "phone": "988",
                                           "url": "https://988lifeline.org/"}


def test_with_crisis_the_api_puts_crisis_resources_first(client, two_providers):
    body = client.get("/api/match/", {"crisis": "true"}).json()
    assert list(body)[0] == "crisis_resources"


def test_the_api_answers_400_with_the_field_for_bad_input(client, taxonomy):
    response = client.get("/api/match/", {"budget": "-3", "mode": "teleport", "limit": "1000", "prescriber": "maybe"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"budget", "mode", "limit", "prescriber"}
    assert errors["budget"] == ["A budget cannot be negative."]


def test_a_zip_in_another_state_than_the_one_given_is_an_error(client, taxonomy):
    errors = client.get("/api/match/", {"state": "NY", "zip": "78701"}).json()["errors"]
    assert errors == {"zip": ["ZIP code 78701 is in TX, not NY."]}


def test_the_relaxed_answer_link_gives_results_when_followed(client, two_providers):
    page = client.get("/match/", {"state": "TX", "budget": "10"}).content.decode()
    assert "No provider fits every answer yet" in page
    body = client.get("/api/match/", {"state": "TX", "budget": "10"}).json()
    relaxation = body["relaxations"][0]
    assert relaxation["param"] == "budget"
    assert f'href="?{relaxation["url"].split("?", 1)[1]}"'.replace("&", "&amp;") in page
    followed = client.get(relaxation["url"]).content.decode()
    assert "2 providers who can see you" in followed


def test_answers_are_never_logged_or_cached(client, two_providers, caplog):
    secret = "treatment-resistant-depression"
    with caplog.at_level(logging.DEBUG):
        response = client.get("/match/", {"concern": secret, "state": "TX", "budget": "oops"})
        client.get("/api/match/", {"concern": secret, "state": "TX", "budget": "oops"})
        client.get("/api/match/", {"concern": secret, "state": "TX"})
    assert secret not in caplog.text
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_query_count_does_not_grow_with_the_number_of_results(client, make_provider, django_assert_max_num_queries):
    for n in range(30):
        make_provider(f"Provider {n}", telehealth=True, modalities=["act", "cbt"], conditions=["depression"],
                      offices=[AUSTIN] if n % 2 else [])
    params = {"concern": "depression", "tried": "cbt", "zip": "78701"}
    client.get("/api/match/", params)  # the first request reads the taxonomy into the cache
    with django_assert_max_num_queries(12) as small:
        client.get("/api/match/", {**params, "limit": "2"})
    with django_assert_max_num_queries(12) as large:
        client.get("/api/match/", {**params, "limit": "30"})
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_required_gender_is_kept_in_the_address_and_needs_a_gender(client, make_provider):
    make_provider("Ana Díaz", licenses=[("LCSW", "TX")], telehealth=True, gender="woman")
    make_provider("Ben Roe", licenses=[("LPC", "TX")], telehealth=True, gender="man")
    body = client.get("/api/match/", {"state": "TX", "gender": "woman", "gender_required": "true"}).json()
    assert [result["name"] for result in body["results"]] == ["Ana Díaz"]
    refused = client.get("/api/match/", {"state": "TX", "gender_required": "true"})
    assert refused.status_code == 400
    assert "Choose the provider's gender" in refused.json()["errors"]["gender"][0]
    page = client.get("/match/", {"state": "TX", "gender": "man", "gender_required": "true"}).content.decode()
    assert "Ben Roe" in page and "Ana Díaz" not in page
    assert 'name="gender_required"' in page
