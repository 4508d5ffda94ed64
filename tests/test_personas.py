"""People using the fit finder, through the page and the API, each checked for what a clinician would check:
the first approach suggested for their concern, nothing above an age limit, a ranking that agrees with its
own advice, hard rules that hold, honest empty results, and crisis lines first when they are needed."""

from __future__ import annotations

import datetime
import re

import pytest

from finder.models import GuidanceNote, NextStepRule
from guides.models import Topic

pytestmark = pytest.mark.django_db

# Approaches with an age limit in the clinical pathways, and the youngest age each is for.
AGE_LIMITED = {"esketamine": 18, "ketamine-assisted-therapy": 18, "ect": 18, "tms": 15}
# Phone numbers the clinical pathways give; no other may appear in the fit finder's own words.
KNOWN_NUMBERS = {"988", "911", "1-800-662-4357", "1-800-985-5990", "1-866-488-7386", "1-866-277-3553",
                 "741741", "838255", "678-678", "9-8-8"}


def api(client, **answers) -> dict:
    response = client.get("/api/match/", answers)
    assert response.status_code == 200, response.content
    return response.json()


def page(client, **answers) -> str:
    response = client.get("/match/", answers)
    assert response.status_code == 200
    return response.content.decode()


def suggested(client, **answers) -> list[str]:
    return api(client, **answers)["suggested_modalities"]


# --- The first approach for the concern ----------------------------------------------------------


@pytest.mark.parametrize(("answers", "first"), [
    # OCD after psychodynamic therapy: exposure and response prevention, not more general talk therapy.
    ({"concern": "ocd", "tried": "psychodynamic"}, "erp"),
    ({"concern": "ocd"}, "erp"),
    # PTSD: a trauma-focused therapy, prolonged exposure listed with CPT and EMDR.
    ({"concern": "ptsd"}, "prolonged-exposure"),
    ({"concern": "ptsd", "tried": "prolonged-exposure"}, "cpt"),
    # Borderline personality disorder: DBT.
    ({"concern": "borderline-personality-disorder", "tried": "cbt"}, "dbt"),
    # Panic disorder: CBT (with interoceptive exposure).
    ({"concern": "panic-disorder"}, "cbt"),
    # Phobias: exposure therapy.
    ({"concern": "phobias"}, "exposure-therapy"),
    # Treatment-resistant depression: a review with a psychiatrist, even when medication was tried.
    ({"concern": "treatment-resistant-depression", "tried": ["medication-management", "cbt"]},
     "medication-management"),
    # Eating disorders: family-based treatment for a teenager, CBT for an adult.
    ({"concern": "eating-disorders", "age_group": "adolescents"}, "family-based-treatment"),
    ({"concern": "eating-disorders", "age_group": "adults"}, "cbt"),
    # Substance use: motivational interviewing.
    ({"concern": "substance-use"}, "motivational-interviewing"),
    # Suicidal thoughts: DBT.
    ({"concern": "suicidal-thoughts"}, "dbt"),
])
def test_the_first_suggestion_is_the_first_line_approach_for_the_concern(client, taxonomy, answers, first):
    assert suggested(client, **answers)[0] == first


def test_ptsd_gets_all_three_trauma_focused_therapies_before_anything_else(client, taxonomy):
    assert suggested(client, concern="ptsd", tried="cbt")[:3] == ["prolonged-exposure", "cpt", "emdr"]


def test_treatment_resistant_depression_gets_the_pathway_in_its_order(client, taxonomy):
    steps = suggested(client, concern="treatment-resistant-depression", tried=["cbt", "medication-management"],
                      age_group="adults")
    assert steps.index("medication-management") < steps.index("esketamine") < steps.index("ect")
    assert steps.index("tms") < steps.index("ect")
    assert "cbt" not in steps
    html = page(client, concern="treatment-resistant-depression", age_group="adults")
    section = html[html.index('id="next-steps-title"'):]
    assert "(first-line for treatment-resistant depression)" in section
    assert "Typical course: 2 to 3 treatments a week" in section  # ECT's course, in plain words
    assert "For adults (18 and over)." in section  # esketamine's age limit, shown beside it


def test_the_first_suggestion_on_the_page_is_the_first_in_the_api(client, taxonomy):
    html = page(client, concern="ocd", tried="psychodynamic")
    section = html[html.index('id="next-steps-title"'):]
    assert re.search(r"<li><a href=\"/modalities/erp/\">Exposure and Response Prevention \(ERP\)</a>", section)
    assert section.index("/modalities/erp/") < section.index("/modalities/medication-management/")


def test_a_talk_therapy_of_an_unknown_kind_counts_as_therapy_tried(client, taxonomy):
    body = api(client, tried="talk-therapy")
    assert body["suggested_modalities"] == ["cbt"]
    html = page(client, tried="talk-therapy")
    assert re.search(r'value="talk-therapy"[^>]*checked', html)
    assert "Talk therapy, not sure which kind" in html


# --- Age limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize("age_group", ["children", "adolescents"])
@pytest.mark.parametrize("concern", ["depression", "treatment-resistant-depression", "ocd"])
def test_nothing_above_its_age_limit_is_suggested_to_children_or_adolescents(client, taxonomy, concern, age_group):
    steps = suggested(client, concern=concern, tried=["medication-management", "cbt"], age_group=age_group)
    assert steps, "a child still gets suggestions"
    assert not set(steps) & set(AGE_LIMITED)


def test_a_child_is_never_given_an_age_limited_approach_as_a_reason(client, make_provider):
    make_provider("TMS clinic", licenses=[("MD", "TX")], telehealth=True, age_groups=["children", "adults"],
                  modalities=["tms", "esketamine", "medication-management"], conditions=["depression"])
    body = api(client, concern="depression", tried="cbt", age_group="children", state="TX",
               modality=["tms", "esketamine"])
    reasons = " ".join(body["results"][0]["reasons"])
    assert "TMS" not in reasons and "Esketamine" not in reasons
    assert "medication management" in reasons.lower()
    adult = api(client, concern="depression", tried="cbt", state="TX", modality="tms")
    assert any("TMS" in reason for reason in adult["results"][0]["reasons"])


def test_a_note_says_who_should_review_a_childs_medication(client, taxonomy):
    assert any("child and adolescent psychiatrist" in note for note in api(client, age_group="children")["notes"])


# --- A ranking that agrees with its advice --------------------------------------------------------


@pytest.fixture
def after_medication(make_provider, today):
    """A psychiatric nurse practitioner who specializes in treatment-resistant depression and offers medication
    management only, and two therapists."""
    make_provider("Nurse Practitioner", licenses=[("PMHNP", "TX", "N-1", today)], telehealth=True,
                  modalities=["medication-management"], conditions=["treatment-resistant-depression"],
                  accepting_confirmed=today)
    make_provider("Only CBT", telehealth=True, modalities=["cbt"], conditions=["depression"])
    make_provider("Offers IPT", telehealth=True, modalities=["ipt"])
    make_provider("Offers nothing listed", telehealth=True)


def test_a_prescriber_is_never_demoted_for_tried_medication(client, after_medication):
    body = api(client, concern="depression", tried=["medication-management", "cbt"], state="TX")
    first = body["results"][0]
    assert first["name"] == "Nurse Practitioner"
    assert not any("did not help" in caution for caution in first["cautions"])
    assert "Offers medication management: a different medication plan is a next step when medication did not " \
           "help" in first["reasons"]
    only_cbt = next(r for r in body["results"] if r["name"] == "Only CBT")
    assert "Offers only CBT, which you said did not help" in only_cbt["cautions"]


def test_scores_come_in_display_order_and_the_page_shows_words(client, after_medication):
    answers = {"concern": "depression", "tried": ["medication-management", "cbt"], "state": "TX"}
    results = api(client, **answers)["results"]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    names = [r["name"] for r in results]
    # Offering only what was tried ranks below an evidence-based alternative, with a lower score.
    assert names.index("Offers IPT") < names.index("Only CBT")
    html = page(client, **answers)
    shown = re.findall(r'<p class="score [^"]*">([^<]+)</p>', html)
    assert len(shown) == len(results)
    assert set(shown) <= {"Strong fit", "Good fit", "Possible fit"}
    assert "/100" not in html
    rank = {"Strong fit": 0, "Good fit": 1, "Possible fit": 2}
    assert [rank[words] for words in shown] == sorted(rank[words] for words in shown)


def test_a_provider_who_does_not_list_the_concern_gets_a_caution(client, after_medication):
    results = api(client, concern="ocd", state="TX")["results"]
    offers_ipt = next(r for r in results if r["name"] == "Offers IPT")
    assert "Does not list obsessive-compulsive disorder (OCD) among their specialties: ask whether they treat it" \
        in offers_ipt["cautions"]
    depression = api(client, concern="treatment-resistant-depression", state="TX")["results"]
    # A depression specialist counts for treatment-resistant depression, and the other way round.
    only_cbt = next(r for r in depression if r["name"] == "Only CBT")
    assert not any(c.startswith("Does not list") for c in only_cbt["cautions"])


def test_the_availability_caution_only_appears_when_it_tells_something(client, make_provider, today):
    make_provider("Fresh", telehealth=True, accepting_confirmed=today - datetime.timedelta(days=10))
    make_provider("Stale", telehealth=True, accepting_confirmed=today - datetime.timedelta(days=60))
    make_provider("Unknown", telehealth=True, accepting_confirmed=today - datetime.timedelta(days=91))
    make_provider("Never", telehealth=True, accepting_confirmed=None)
    results = {r["name"]: r for r in api(client, state="TX")["results"]}
    caution = "Availability not confirmed recently: ask whether they have openings"
    assert caution not in results["Fresh"]["cautions"]
    assert caution in results["Stale"]["cautions"]
    assert results["Fresh"]["score"] > results["Stale"]["score"]
    # Not confirmed in 90 days, or never: nobody knows whether they are accepting, so they are not listed.
    assert "Unknown" not in results and "Never" not in results


# --- Hard rules -----------------------------------------------------------------------------------


def test_a_prescriber_in_wyoming_must_prescribe_in_wyoming(client, make_provider, today):
    make_provider("California NP", licenses=[("PMHNP", "CA"), ("LPC", "WY")], telehealth=True)
    make_provider("Wyoming MD", licenses=[("MD", "WY")], telehealth=True)
    lapsed = make_provider("Lapsed MD", licenses=[("MD", "WY")], telehealth=True)
    lapsed.licenses.update(expires_on=today - datetime.timedelta(days=1))
    body = api(client, state="WY", prescriber="true")
    assert [r["name"] for r in body["results"]] == ["Wyoming MD"]
    assert any(r.startswith("Can prescribe medication in Wyoming (") for r in body["results"][0]["reasons"])
    search = client.get("/api/providers/", {"state": "WY", "prescriber": "true"}).json()
    assert [r["name"] for r in search["results"]] == ["Wyoming MD"]
    everyone = {r["name"]: r for r in client.get("/api/providers/", {"state": "WY"}).json()["results"]}
    assert "Lapsed MD" not in everyone  # an expired license never counts
    assert everyone["California NP"]["can_prescribe"] is True and "WY" in everyone["California NP"]["licensed_states"]


def test_a_required_gender_holds_on_the_page(client, make_provider):
    make_provider("Ana", telehealth=True, gender="woman")
    make_provider("Ben", telehealth=True, gender="man", free_consultation=True, conditions=["ptsd"])
    html = page(client, state="TX", concern="ptsd", gender="woman", gender_required="true")
    assert "Ana" in html and "Ben" not in html
    assert "Is a woman, as you asked" in html


# --- Honest empty results ---------------------------------------------------------------------------


def test_nobody_in_the_state_says_so_and_where_else_to_look(client, make_provider):
    make_provider("Texan", telehealth=True)
    body = api(client, state="WY", concern="depression")
    assert body["results"] == []
    notes = " ".join(body["notes"])
    assert "No provider licensed in Wyoming is listed here yet." in notes
    assert "FindTreatment.gov" in notes and "community mental health center" in notes and "988" in notes
    html = page(client, state="WY", concern="depression")
    assert "No provider licensed in Wyoming is listed here yet." in html
    assert 'href="https://findtreatment.gov/"' in html
    assert "Try fewer answers" not in html


def test_nobody_fitting_every_answer_offers_the_answers_that_do_find_someone(client, make_provider):
    make_provider("Texan", telehealth=True, standard_fee=200)
    body = api(client, state="TX", budget="40")
    assert "Providers licensed in Texas are listed, but none fits every answer." in body["notes"]
    assert body["relaxations"][0]["param"] == "budget"


def test_in_canada_the_note_gives_the_canadian_crisis_line(client, taxonomy):
    notes = " ".join(api(client, state="QC")["notes"])
    assert "No provider licensed in Quebec is listed here yet." in notes
    assert "9-8-8" in notes and "FindTreatment.gov" not in notes


# --- Crisis first -----------------------------------------------------------------------------------


def test_suicidal_thoughts_without_the_crisis_box_still_lead_with_the_crisis_lines(client, make_provider, resources):
    make_provider("Ana", telehealth=True, conditions=["suicidal-thoughts"])
    body = api(client, concern="suicidal-thoughts", state="TX")
    assert list(body)[0] == "crisis_resources"
    assert body["crisis_resources"][0]["phone"] == "988"
    assert any("call or text 988 now" in note for note in body["notes"])
    html = page(client, concern="suicidal-thoughts", state="TX")
    main = html[html.index("<main"):]
    assert main.index("You do not have to go through this alone") < main.index("Ana")


@pytest.mark.parametrize(("concern", "words"), [
    ("bipolar-disorder", "an antidepressant on its own can trigger mania"),
    ("eating-disorders", "see a physician for a medical check"),
    ("substance-use", "SAMHSA National Helpline, 1-800-662-4357"),
    ("ocd", "General talk therapy is not the recommended treatment for OCD"),
])
def test_concerns_that_need_a_note_get_one(client, taxonomy, concern, words):
    assert any(words in note for note in api(client, concern=concern)["notes"])
    assert words in page(client, concern=concern)


# --- The shipped guidance agrees with the clinical pathways -------------------------------------------


def test_the_shipped_rules_only_suggest_evidence_based_approaches_and_respect_age_limits(taxonomy):
    rules = list(NextStepRule.objects.select_related("suggest"))
    assert len(rules) >= 40
    assert all(rule.suggest.evidence_based for rule in rules), [r for r in rules if not r.suggest.evidence_based]
    from directory.models import Modality

    for slug, age in AGE_LIMITED.items():
        assert Modality.objects.get(slug=slug).min_age == age
    assert not Modality.objects.filter(aliases__icontains="spravato").exists()
    assert not Modality.objects.filter(aliases__icontains="genesight").exists()
    assert Modality.objects.get(slug="sfbt").evidence_based is False


def test_the_fit_finders_own_words_use_only_known_phone_numbers(taxonomy):
    texts = [note.text for note in GuidanceNote.objects.all()] + list(NextStepRule.objects.values_list("why",
                                                                                                      flat=True))
    for text in texts:
        for number in re.findall(r"\d[\d-]{1,}\d", text):  # three or more digits and hyphens: a phone number
            assert number in KNOWN_NUMBERS, (number, text)


def test_a_never_treated_panic_disorder_gets_no_guide_about_failed_treatment(client, taxonomy):
    from django.core.management import call_command

    from guides.models import Guide

    call_command("loaddata", "guides", verbosity=0)
    for guide in api(client, concern="panic-disorder")["guides"]:
        assert Guide.objects.get(slug=guide["slug"]).topic not in (Topic.TREATMENT_RESISTANCE, Topic.NOT_WORKING)


def test_an_approach_page_gives_its_age_limit_and_typical_course(client, taxonomy):
    html = client.get("/modalities/esketamine/").content.decode()
    assert "Who it is for:</strong> For adults (18 and over)." in html
    assert "Twice a week for 4 weeks" in html
    assert "Who it is for" not in client.get("/modalities/cbt/").content.decode()


def test_brain_stimulation_is_never_offered_as_any_alternative_to_therapy_for_panic(client, make_provider):
    make_provider("Stimulation clinic", licenses=[("MD", "TX")], telehealth=True,
                  modalities=["ect", "tms", "esketamine"])
    make_provider("Therapist", telehealth=True, modalities=["act"])
    results = api(client, concern="panic-disorder", tried="cbt", state="TX")["results"]
    clinic = next(r for r in results if r["name"] == "Stimulation clinic")
    assert not any("ECT" in reason or "TMS" in reason for reason in clinic["reasons"])
    assert [r["name"] for r in results][0] == "Therapist"  # ACT: an evidence-based talk therapy not tried
    # For treatment-resistant depression a rule suggests them: then they count.
    trd = api(client, concern="treatment-resistant-depression", tried="cbt", state="TX")["results"]
    assert any("TMS" in reason or "ECT" in reason or "Esketamine" in reason
               for reason in next(r for r in trd if r["name"] == "Stimulation clinic")["reasons"])
