"""Guide pages, approach and concern pages, the guides API, rendering and the admin preview."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import IntegrityError, transaction

from directory.models import Condition, Modality
from guides.glossary import Glossary
from guides.models import EditorNote, Guide, Topic
from guides.rendering import render_body


@pytest.fixture
def make_guide(taxonomy):
    def make(title: str, *, body: str = "", modalities=(), conditions=(), **fields) -> Guide:
        fields.setdefault("slug", re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"))
        fields.setdefault("summary", f"About {title}.")
        fields.setdefault("topic", Topic.APPROACHES)
        guide = Guide.objects.create(title=title, body=body or f"## About\n\nText about {title}.", **fields)
        guide.modalities.set(Modality.objects.filter(slug__in=modalities))
        guide.conditions.set(Condition.objects.filter(slug__in=conditions))
        return guide

    return make


def titles(response) -> list[str]:
    return [r["title"] for r in response.json()["results"]]


# --- Rendering ---------------------------------------------------------------------------


def test_script_typed_into_a_body_is_neutralized(client, make_guide):
    make_guide(
        "Risky",
        body="Hello\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(1)" onclick="alert(2)">click</a>\n\n<p style="color:red">styled</p>',
    )
    html = client.get("/guides/risky/").content.decode()
    body = html[html.index('class="guide-body"'):]
    assert "alert(" not in body
    assert "onerror" not in body
    assert "onclick" not in body
    assert "javascript:" not in body
    assert "style=" not in body
    assert "Hello" in body


def test_each_term_is_linked_once_and_never_inside_headings_or_existing_links(taxonomy):
    rendered = render_body(
        "## CBT basics\n\nCBT helps many people. Cognitive behavioral therapy (CBT) again.\n\n"
        "See [CBT elsewhere](https://example.org/) and panic disorder.",
        Glossary.from_taxonomy(),
    )
    assert rendered.html.count('href="/modalities/cbt/"') == 1
    assert '<h2 id="guide-cbt-basics">CBT basics</h2>' in rendered.html
    assert '<a href="/modalities/cbt/" class="term-link">CBT</a> helps' in rendered.html
    assert '<a href="https://example.org/" rel="noopener noreferrer">CBT elsewhere</a>' in rendered.html
    assert '<a href="/conditions/panic-disorder/" class="term-link">panic disorder</a>' in rendered.html


def test_the_table_of_contents_lists_the_headings_with_their_anchors(taxonomy):
    rendered = render_body("## First part\n\nText.\n\n### A detail\n\nMore.\n\n## Second part\n\nEnd.")
    assert [(i["name"], i["id"]) for i in rendered.toc] == [
        ("First part", "guide-first-part"), ("Second part", "guide-second-part"),
    ]
    assert rendered.toc[0]["children"][0]["name"] == "A detail"
    assert 'id="guide-a-detail"' in rendered.html


def test_a_guide_that_discusses_suicide_shows_the_crisis_callout(client, make_guide):
    make_guide("Hard times", body="Some people have thoughts of suicide. Help exists.")
    make_guide("Calm times", body="Sleep and exercise help mood.")
    assert "If you are thinking about suicide or are in crisis" in client.get("/guides/hard-times/").content.decode()
    assert "If you are thinking about suicide" not in client.get("/guides/calm-times/").content.decode()


# --- Guide list and filters ----------------------------------------------------------------


@pytest.fixture
def library(make_guide):
    make_guide("TMS explained", modalities=["tms"], conditions=["treatment-resistant-depression"],
               topic=Topic.TREATMENT_RESISTANCE, body="Magnetic pulses for depression.")
    make_guide("Talking therapies", modalities=["cbt", "act"], conditions=["anxiety"], topic=Topic.APPROACHES)
    make_guide("When it stalls", modalities=["cbt"], topic=Topic.NOT_WORKING)
    make_guide("Draft guide", modalities=["tms"], published=False)


def test_the_guide_list_shows_title_summary_reading_time_and_tags(client, library):
    html = client.get("/guides/").content.decode()
    assert "TMS explained" in html
    assert "About TMS explained." in html
    assert "1 min read" in html
    assert 'href="/modalities/tms/"' in html
    assert "3 guides" in html


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"modality": "cbt"}, ["Talking therapies", "When it stalls"]),
        ({"modality": ["tms", "act"]}, ["TMS explained", "Talking therapies"]),
        ({"condition": "anxiety"}, ["Talking therapies"]),
        ({"condition": "depression"}, ["TMS explained"]),
        ({"topic": "when-therapy-is-not-working"}, ["When it stalls"]),
        ({"q": "magnetic depression"}, ["TMS explained"]),
        ({"q": "commitment"}, ["Talking therapies"]),
        ({"modality": "cbt", "topic": "therapy-approaches"}, ["Talking therapies"]),
    ],
)
def test_filters_narrow_the_list(client, library, params, expected):
    assert sorted(titles(client.get("/api/guides/", params))) == sorted(expected)
    html = client.get("/guides/", params).content.decode()
    for title in ["TMS explained", "Talking therapies", "When it stalls"]:
        assert (f">{title}</a>" in html) == (title in expected)


def test_an_unknown_filter_value_gives_a_message_not_an_error(client, library):
    response = client.get("/guides/", {"modality": "nonsense", "topic": "bogus", "condition": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown approach: nonsense." in html
    assert "Unknown topic: bogus." in html
    assert "Unknown concern: x." in html
    api = client.get("/api/guides/", {"modality": "nonsense"})
    assert api.status_code == 400
    assert api.json() == {"errors": {"modality": ["Unknown approach: nonsense."]}}


def test_unpublished_guides_appear_nowhere(client, library):
    assert "Draft guide" not in titles(client.get("/api/guides/"))
    assert "Draft guide" not in client.get("/guides/").content.decode()
    assert client.get("/guides/draft-guide/").status_code == 404
    assert "Draft guide" not in client.get("/modalities/tms/").content.decode()


def test_the_api_lists_guides_in_the_contract_shape(client, library):
    results = client.get("/api/guides/", {"modality": "act"}).json()["results"]
    assert results == [{
        "slug": "talking-therapies", "title": "Talking therapies", "summary": "About Talking therapies.",
        "in_short": "", "url": "/guides/talking-therapies/", "topic": "therapy-approaches", "reading_minutes": 1,
        "reviewed_on": None, "reviewed_by": "", "conditions": ["anxiety"], "modalities": ["act", "cbt"],
    }]


# --- One guide -----------------------------------------------------------------------------


def test_a_guide_links_to_providers_who_offer_what_it_discusses(client, library):
    html = client.get("/guides/talking-therapies/").content.decode()
    assert "Find providers who offer what this guide discusses" in html
    assert 'href="/providers/?modality=act&amp;modality=cbt"' in html or \
        'href="/providers/?modality=cbt&amp;modality=act"' in html


def test_a_guide_shows_its_contents_related_guides_and_source(client, make_guide):
    make_guide("Main guide", modalities=["cbt"], source="001_seed.txt",
               body="## Why it helps\n\nText.\n\n## What to expect\n\nMore text.")
    make_guide("Sibling guide", modalities=["cbt"])
    make_guide("Unrelated guide", modalities=["ect"])
    html = client.get("/guides/main-guide/").content.decode()
    assert '<a href="#guide-why-it-helps">Why it helps</a>' in html
    assert '<a href="#guide-what-to-expect">What to expect</a>' in html
    related = html[html.index("Related guides"):]
    assert "Sibling guide" in related
    assert "Unrelated guide" not in related
    assert "Adapted from a published article; original source not recorded." in html
    assert "001_seed" not in html and ".txt" not in html


def test_an_unknown_guide_is_not_found(client, taxonomy):
    assert client.get("/guides/no-such-guide/").status_code == 404


# --- Approaches and concerns ---------------------------------------------------------------


def test_the_approaches_page_groups_every_approach_by_category(client, taxonomy):
    html = client.get("/modalities/").content.decode()
    for heading in ["Psychotherapy", "Complementary", "Brain stimulation", "Medical"]:
        assert f">{heading}</h2>" in html
    assert html.index("Cognitive Behavioral Therapy (CBT)") < html.index(">Brain stimulation</h2>")
    assert html.index(">Brain stimulation</h2>") < html.index("Transcranial Magnetic Stimulation (TMS)")
    assert len(re.findall(r'href="/modalities/[a-z]', html)) == Modality.objects.count()


def test_an_approach_page_explains_it_and_lists_guides_and_published_providers(client, library, make_provider):
    make_provider("Ana Díaz", modalities=["cbt"])
    make_provider("Hidden Provider", modalities=["cbt"], published=False)
    make_provider("Ben Roe", modalities=["ect"])
    html = client.get("/modalities/cbt/").content.decode()
    assert Modality.objects.get(slug="cbt").description in html
    assert "Often 12 to 20 weekly sessions for depression or anxiety" in html
    assert "Talking therapies" in html and "When it stalls" in html
    assert "TMS explained" not in html
    assert "Ana Díaz" in html
    assert "Hidden Provider" not in html
    assert "Ben Roe" not in html
    assert 'href="/providers/?modality=cbt"' in html


def test_an_approach_page_shows_at_most_six_providers(client, make_provider):
    for n in range(8):
        make_provider(f"Provider {n}", modalities=["tms"])
    html = client.get("/modalities/tms/").content.decode()
    assert len(re.findall(r">Provider \d</a>", html)) == 6


def test_a_concern_page_lists_guides_and_providers_including_narrower_specialists(client, library, make_provider):
    make_provider("Cara Lee", conditions=["treatment-resistant-depression"])
    make_provider("Dan Moss", conditions=["anxiety"])
    html = client.get("/conditions/depression/").content.decode()
    assert "TMS explained" in html
    assert "Cara Lee" in html
    assert "Dan Moss" not in html
    assert 'href="/providers/?condition=depression"' in html


def test_unknown_approaches_and_concerns_are_not_found(client, taxonomy):
    assert client.get("/modalities/no-such-thing/").status_code == 404
    assert client.get("/conditions/no-such-thing/").status_code == 404


# --- Model and admin -----------------------------------------------------------------------


def test_reading_time_follows_the_length_of_the_body(make_guide):
    assert make_guide("Short", body="word " * 150).reading_minutes == 1
    assert make_guide("Long", body="word " * 1001).reading_minutes == 6


@pytest.mark.parametrize("field", ["title", "slug"])
def test_a_guide_needs_a_title_and_a_slug(taxonomy, field):
    values = {"title": "T", "slug": "t", "summary": "s", "body": "b", "topic": Topic.MEDICATION, field: ""}
    with transaction.atomic(), pytest.raises(IntegrityError):
        Guide.objects.create(**values)


def test_the_admin_preview_renders_the_body_as_the_page_will(admin_client, taxonomy):
    response = admin_client.post("/admin/guides/guide/preview/", {"body": "## Hi\n\nCBT <script>x()</script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 id="guide-hi">Hi</h2>' in html
    assert 'href="/modalities/cbt/"' in html
    assert "<script" not in html


def test_the_admin_preview_is_for_staff_only(client, taxonomy):
    response = client.post("/admin/guides/guide/preview/", {"body": "hello"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_guide_change_form_shows_the_preview(admin_client, make_guide):
    guide = make_guide("Preview me", body="## Section\n\nAbout EMDR.")
    html = admin_client.get(f"/admin/guides/guide/{guide.pk}/change/").content.decode()
    assert 'id="guide-preview"' in html
    assert 'href="/modalities/emdr/"' in html
    assert "js/guide-preview" in html


def test_the_summary_is_not_repeated_when_the_body_opens_with_it(client, make_guide):
    make_guide("Repeats", summary="Therapy can stall.", body="Therapy can stall. Here is why.\n\n## More\n\nText.")
    make_guide("Distinct", summary="A short overview.", body="## Start\n\nSomething else entirely.")
    page = client.get("/guides/repeats/").content.decode()
    assert page[page.index("<main"):].count("Therapy can stall.") == 1
    assert "A short overview." in client.get("/guides/distinct/").content.decode()


@pytest.mark.parametrize("params", [{"q": "cbt\x00"}, {"modality": "cbt\x00"}, {"condition": "\x00"}])
def test_a_null_character_in_a_filter_gives_a_message_not_an_error(client, library, params):
    assert client.get("/guides/", params).status_code == 200
    response = client.get("/api/guides/", params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(params)


def test_an_htmx_request_gets_only_the_results(client, library):
    response = client.get("/guides/", {"modality": "tms"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="guide-results"')
    assert "TMS explained" in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_pages_listing_guides_query_the_database_a_fixed_number_of_times(
    client, library, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        client.get("/guides/")
    with django_assert_max_num_queries(12):
        client.get("/modalities/cbt/")


# --- Review, "In short" and editor's notes --------------------------------------------------------


def test_a_reviewed_guide_says_when_and_by_whom_and_an_unreviewed_one_says_so(client, make_guide):
    make_guide("Checked", reviewed_on=datetime.date(2026, 11, 30), reviewed_by="Directory editorial team")
    make_guide("Unchecked")
    checked = client.get("/guides/checked/").content.decode()
    assert 'Reviewed on <time datetime="2026-11-30">November 30, 2026</time> by Directory editorial team' in checked
    assert "Not yet reviewed" not in checked
    assert "Not yet reviewed" in client.get("/guides/unchecked/").content.decode()


def test_the_in_short_summary_comes_right_under_the_title_as_the_first_section(client, make_guide):
    make_guide("Summed up", in_short="Therapy can help. Ask about fees.", body="## Details\n\nLonger text.")
    make_guide("Not summed up")
    html = client.get("/guides/summed-up/").content.decode()
    assert [level for level, _ in headings(html)][:3] == [1, 2, 2]
    assert headings(html)[1] == (2, "In short")
    assert html.index("In short") < html.index("Therapy can help. Ask about fees.") < html.index("Details")
    assert ">In short</h2>" not in client.get("/guides/not-summed-up/").content.decode()


def headings(html: str) -> list[tuple[int, str]]:
    return [(int(level), re.sub(r"<[^>]+>", "", text).strip())
            for level, text in re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", html, flags=re.S)]


def test_an_editors_note_follows_the_paragraph_list_or_table_that_makes_the_claim(taxonomy):
    body = (
        "## Causes\n\nSome say CBT cures everything. Others disagree.\n\nA second paragraph.\n\n"
        "- one item\n- an item claiming magic\n\n| A | B |\n| --- | --- |\n| x | a cell claim |\n\nThe end."
    )
    notes = [
        EditorNote(claim="CBT cures everything", note="Not so: <b>evidence</b> & care vary."),
        EditorNote(claim="claiming magic", note="Listed note."),
        EditorNote(claim="a cell claim", note="Table note."),
    ]
    html = render_body(body, Glossary.from_taxonomy(), notes=notes).html
    aside = '<aside class="editor-note" role="note" aria-label="Editor\'s note"><p><strong>Editor\'s note:</strong> '
    escaped = "Not so: &lt;b&gt;evidence&lt;/b&gt; &amp; care vary.</p></aside>"
    assert "everything. Others disagree.</p>\n" + aside + escaped in html
    assert html.index("A second paragraph") > html.index("Not so")
    assert re.search(r"claiming magic</li>\s*</ul>\s*" + re.escape(aside + "Listed note."), html)
    assert re.search(r"</table>\s*" + re.escape(aside + "Table note."), html)
    assert '<a href="/modalities/cbt/" class="term-link">CBT</a> cures' in html, "the claim's words are still linked"


def test_a_note_whose_claim_has_gone_from_the_body_is_still_shown_with_the_claim_quoted(taxonomy):
    html = render_body("Only this.", notes=[EditorNote(claim="a removed claim", note="Still here.")]).html
    assert html.startswith("<p>Only this.</p>")
    assert "<strong>Editor's note on “a removed claim”:</strong> Still here." in html


def test_the_guide_page_shows_its_notes(client, make_guide):
    guide = make_guide("Noted", body="Pills fix a chemical imbalance.\n\nMore text.")
    EditorNote.objects.create(guide=guide, claim="chemical imbalance", note="That explanation is outdated.")
    html = client.get("/guides/noted/").content.decode()
    assert re.search(r"chemical imbalance\.</p>\s*<aside class=\"editor-note\" role=\"note\"", html)
    assert "That explanation is outdated." in html


def test_the_source_file_name_is_never_shown_publicly(client, make_guide):
    make_guide("From a file", source="000_5f371c2a15f20e71.txt", modalities=["cbt"])
    for url in ["/guides/from-a-file/", "/guides/", "/api/guides/", "/modalities/cbt/"]:
        text = client.get(url).content.decode()
        assert "5f371c2a" not in text and ".txt" not in text, url
    assert "Adapted from a published article; original source not recorded." in (
        client.get("/guides/from-a-file/").content.decode()
    )


def test_a_review_date_needs_a_reviewer(make_guide):
    with transaction.atomic(), pytest.raises(IntegrityError):
        make_guide("Half reviewed", reviewed_on=datetime.date(2026, 11, 30))


def test_a_claim_has_one_note_and_a_note_needs_its_claim_and_text(make_guide):
    guide = make_guide("Claims", body="A bold claim.")
    EditorNote.objects.create(guide=guide, claim="bold claim", note="First.")
    with transaction.atomic(), pytest.raises(IntegrityError):
        EditorNote.objects.create(guide=guide, claim="bold claim", note="Second.")
    for fields in ({"claim": "", "note": "x"}, {"claim": "bold", "note": ""}):
        with transaction.atomic(), pytest.raises(IntegrityError):
            EditorNote.objects.create(guide=guide, **fields)


def change_form_data(guide: Guide, **changes) -> dict:
    data = {
        "title": guide.title, "slug": guide.slug, "summary": guide.summary, "in_short": guide.in_short,
        "topic": guide.topic, "published": "on", "body": guide.body, "reviewed_on": "", "reviewed_by": "",
        "source": guide.source, "modalities": [], "conditions": [],
        "notes-TOTAL_FORMS": "0", "notes-INITIAL_FORMS": "0", "notes-MIN_NUM_FORMS": "0", "notes-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_staff_edit_the_summary_review_and_notes_in_the_admin(admin_client, make_guide):
    guide = make_guide("Editable", body="Therapy fixes all problems fast.\n\nMore.")
    form = admin_client.get(f"/admin/guides/guide/{guide.pk}/change/").content.decode()
    for field in ["id_in_short", "id_reviewed_on", "id_reviewed_by", "id_source", "notes-TOTAL_FORMS"]:
        assert field in form
    response = admin_client.post(f"/admin/guides/guide/{guide.pk}/change/", change_form_data(
        guide, in_short="Short and plain.", reviewed_on="2026-11-30", reviewed_by="Directory editorial team",
        **{"notes-TOTAL_FORMS": "1", "notes-0-claim": "fixes all problems", "notes-0-note": "It does not."},
    ))
    assert response.status_code == 302
    guide.refresh_from_db()
    assert (guide.in_short, guide.reviewed_on, guide.reviewed_by) == (
        "Short and plain.", datetime.date(2026, 11, 30), "Directory editorial team")
    assert [(n.claim, n.note) for n in guide.notes.all()] == [("fixes all problems", "It does not.")]


def test_the_admin_refuses_a_note_whose_claim_is_not_in_the_body(admin_client, make_guide):
    guide = make_guide("Strict", body="Plain words only.")
    response = admin_client.post(f"/admin/guides/guide/{guide.pk}/change/", change_form_data(
        guide, **{"notes-TOTAL_FORMS": "1", "notes-0-claim": "words never written", "notes-0-note": "Hm."},
    ))
    assert response.status_code == 200
    assert "Quote words exactly as they appear in the body." in response.content.decode()
    assert not EditorNote.objects.exists()


def test_the_admin_preview_shows_the_notes_being_typed(admin_client, taxonomy):
    response = admin_client.post("/admin/guides/guide/preview/", {
        "body": "A claim here.\n\nNext.", "notes-TOTAL_FORMS": "2",
        "notes-0-claim": "claim here", "notes-0-note": "A typed note.",
        "notes-1-claim": "Next", "notes-1-note": "Deleted note.", "notes-1-DELETE": "on",
    })
    html = response.content.decode()
    assert re.search(r"A claim here\.</p>\s*<aside class=\"editor-note\"[^>]*><p><strong>Editor's note:</strong> "
                     r"A typed note\.", html)
    assert "Deleted note." not in html
