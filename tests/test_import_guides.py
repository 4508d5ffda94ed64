"""Importing the seed documents: structure kept, scraping debris gone, tags found, fixture reproducible."""

from __future__ import annotations

import datetime
import json
import re
from html import escape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from guides.edits import EDITS_FILE, EditError, GuideEdits, NoteEdit, Removal, load_edits
from guides.glossary import Glossary
from guides.importer import fixture_json, parse_document, read_documents, save_guides, split_glued_words
from guides.models import EditorNote, Guide
from tests.readability import flesch_kincaid_grade, syllables

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "guides.json"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"the seed documents are not at {SEEDS} (they sit beside the repository)"
)

OVERVIEW = "000_5f371c2a15f20e71.txt"
DEPRESSION = "001_c5ab72b13a3ba75d.txt"
NEXT_STEPS = "002_f8a267f0d1304ae7.txt"
CLINIC = "003_8420a501e37011d5.txt"
NOT_EFFECTIVE = "004_4f22d4c4d565a468.txt"

DEBRIS = [
    "Add a comment",
    "About the author",
    "Caroline is a dedicated professional",
    "Author of the article",
    "Ramadhar Singh",
    "Psychology professor",
    "Cannabis and Hemp Testing Laboratory",
    "give us a call",
    "we’re experts in finding solutions",
    "Physiological factors encompass",
    "Psychological considerations involve",
    "Evaluating biochemical markers",
    "…",
    "improved outc",
    "Here’s a simplified comparison",
    "psychotherapycognitive",
    "(CBT)Dialectical",
    "(DBT)Psychodynamic",
    "(MBCT)Acceptance",
    "MBCTACTEMDR",
    "\n\n\n",
    # Removed by the editors (guides/edits.toml).
    "Utah ketamine",
    "@HealthierMcGill",
    "McGill",
    "CONVERSATION",
    "Phobies-Zéro",
    "LigneParents",
    "CAP santé mentale",
    "Research-based mental health therapy",
    "Mayo Clinic offers a comprehensive overview",
    "is available online",
    "as statistics show",
    "we can explore",
    "so you can achieve",
    "- Personalized treatment plans",
    "1. Empowering patients",
    "- Biological factors",
]
# The claims the editors' notes must answer, each with words its note has to say.
CLAIMS = [
    (NEXT_STEPS, "Medication helps correct chemical imbalances", "outdated and contested"),
    (NEXT_STEPS, "known as systematic desensitization", "one older form of exposure therapy"),
    (CLINIC, "improve medication efficacy", "mixed"),
    (NOT_EFFECTIVE, "Journal of Clinical Psychology", "could not confirm"),
    (OVERVIEW, "only about 15 percent of successful therapies are attributed to the specific model",
     "rough estimate from one older review"),
]


def headings(html: str) -> list[tuple[int, str]]:
    return [
        (int(level), re.sub(r"<[^>]+>", "", text))
        for level, text in re.findall(r"<h([2-6])[^>]*>(.*?)</h\1>", html, flags=re.S)
    ]


@pytest.fixture(scope="module")
def seed_documents(django_db_setup, django_db_blocker) -> list:
    """The seeds parsed once for the module: parsing is most of an import, and it reads only the taxonomy."""
    with django_db_blocker.unblock():
        documents, errors = read_documents(sorted(SEEDS.glob("*.txt")), Glossary.from_taxonomy(), load_edits())
    assert errors == []
    return documents


@pytest.fixture
def seeded(taxonomy, seed_documents) -> dict[str, Guide]:
    """The seeds imported as import_guides does (the tests below run the command itself)."""
    save_guides(seed_documents)
    return {guide.source: guide for guide in Guide.objects.all()}


@needs_seeds
def test_each_seed_becomes_one_guide_named_by_its_first_line_with_its_source_kept(seeded):
    assert set(seeded) == {OVERVIEW, DEPRESSION, NEXT_STEPS, CLINIC, NOT_EFFECTIVE}
    assert seeded[DEPRESSION].title == "Effective Therapy for Treatment-Resistant Depression"
    assert seeded[DEPRESSION].slug == "effective-therapy-for-treatment-resistant-depression"
    assert seeded[NOT_EFFECTIVE].title == "When Therapy Isn’t Effective – Understanding Why"


@needs_seeds
@pytest.mark.parametrize(
    "source, expected",
    [
        (OVERVIEW, [
            (2, "Evidence-Based Modalities in Mental Health Therapy"),
            (2, "What to Expect: From the First Session to Ongoing Care"),
            (3, "Finding the Right Fit: Choosing a Qualified Provider"),
        ]),
        (DEPRESSION, [
            (2, "Approaches to Therapy"),
            (3, "Cognitive Behavioral Therapy (CBT)"),
            (3, "What is Treatment-Resistant Depression?"),
            (2, "Innovative Therapeutic Techniques"),
            (3, "Transcranial Magnetic Stimulation (TMS)"),
        ]),
        (NEXT_STEPS, [
            (2, "Recognizing When Therapy Isn’t Working: Signs and Signals"),
            (3, "Indicators of Ineffective Therapy"),
            (3, "What are comprehensive mental health services?"),
            (2, "Psychotherapy Modalities Beyond CBT: Exploring Alternatives"),
            (3, "What is Solution-Focused Brief Therapy (SFBT)?"),
        ]),
        (CLINIC, [
            (2, "Facts About Treatment-Resistance"),
            (3, "Prevalence and Complexity"),
            (3, "Non-Adherence in Bipolar Disorder"),
        ]),
        (NOT_EFFECTIVE, [
            (2, "Challenges in Traditional Therapy"),
            (2, "The Impact of Music on Healing"),
            (2, "Exploring Biological Factors Impacting Therapy Efficacy"),
        ]),
    ],
)
def test_real_headings_of_each_seed_survive_at_their_level(seeded, source, expected):
    found = headings(seeded[source].rendered.html)
    for heading in expected:
        assert heading in found


@needs_seeds
def test_numbered_and_bulleted_lists_survive_with_their_lead_ins(seeded):
    depression = seeded[DEPRESSION].rendered.html
    assert re.search(r"<ol>\s*<li><strong>Limited treatment options:</strong> As the name suggests", depression)
    overview = seeded[OVERVIEW].rendered.html
    assert "<li><strong>Group Therapy:</strong> Involves one or more therapists" in overview
    assert "<li>Regular physical exercise</li>" in seeded[NEXT_STEPS].rendered.html
    assert "<li><strong>Logistical hurdles:</strong> Appointment scheduling" in seeded[NOT_EFFECTIVE].rendered.html


@needs_seeds
def test_pipe_tables_become_real_tables(seeded):
    html = seeded[NEXT_STEPS].rendered.html
    assert html.count("<table>") == 2
    assert "<th>Component</th>" in html
    assert "<td>SSRIs</td>" in html
    assert "<td>Fluoxetine, Sertraline</td>" in html


@needs_seeds
def test_tables_whose_columns_ran_together_are_split_back_into_cells(seeded):
    html = seeded[NOT_EFFECTIVE].rendered.html
    assert html.count("<table>") == 6
    assert "<th>Biological Factor</th>" in html
    assert "<th>Impact on Therapy Effectiveness</th>" in html
    assert "<td>Individual Variability</td>" in html
    assert "<td>The diverse needs and experiences of individuals" in html
    assert "<td>Resistance to Vulnerability</td>" in html
    assert "<strong>Summary of Music Therapy Benefits</strong>" in html


@needs_seeds
def test_no_scraping_debris_survives_in_any_guide(seeded):
    for guide in seeded.values():
        for debris in DEBRIS:
            assert debris not in guide.body, f"{debris!r} survived in {guide.source}"
            assert debris not in guide.summary


@needs_seeds
def test_a_repeated_title_and_repeated_pull_quotes_appear_once(seeded):
    body = seeded[NOT_EFFECTIVE].body
    assert "Understanding Why" not in body
    assert body.count("Alternative therapeutic approaches encompass a diverse range") == 1
    assert body.count("conduct a comprehensive evaluation to pinpoint") == 1


@needs_seeds
def test_the_clinic_pitch_goes_but_the_article_around_it_stays(seeded):
    body = seeded[CLINIC].body
    assert "CNY Total Wellness" not in body
    assert "optimizing existing treatments by ensuring medication adherence" in body


@needs_seeds
def test_words_glued_where_links_were_stripped_are_split(seeded):
    body = seeded[DEPRESSION].body
    assert "such as psychotherapy, cognitive behavioral therapy, or interpersonal therapy" in body
    assert (
        "Cognitive Behavioral Therapy (CBT), Dialectical Behavior Therapy (DBT), Psychodynamic Therapy, and "
        "Interpersonal Therapy (IPT)." in body
    )
    assert "Acceptance and Commitment Therapy (ACT), Eye Movement Desensitization" in body
    assert "such as MBCT, ACT, EMDR, and TMS, provide" in body


@needs_seeds
@pytest.mark.parametrize(
    "source, modalities, conditions",
    [
        (DEPRESSION, {"cbt", "dbt", "psychodynamic", "ipt", "mbct", "act", "emdr", "tms"},
         {"treatment-resistant-depression", "depression"}),
        (OVERVIEW, {"cbt", "dbt", "psychodynamic", "ketamine-assisted-therapy"}, {"depression", "anxiety"}),
        (NEXT_STEPS, {"cbt", "act", "sfbt", "ipt", "behavioral-activation", "exposure-therapy", "ect", "tms",
                      "biofeedback"}, {"depression", "anxiety", "treatment-resistant-depression"}),
        (CLINIC, {"pharmacogenetic-testing"}, {"schizophrenia", "bipolar-disorder", "substance-use"}),
        (NOT_EFFECTIVE, {"art-therapy", "music-therapy"}, set()),
    ],
)
def test_tags_include_what_each_document_plainly_discusses(seeded, source, modalities, conditions):
    guide = seeded[source]
    assert modalities <= {m.slug for m in guide.modalities.all()}
    assert conditions <= {c.slug for c in guide.conditions.all()}


@needs_seeds
def test_each_seed_gets_the_topic_it_is_about(seeded):
    assert seeded[DEPRESSION].topic == "treatment-resistance"
    assert seeded[CLINIC].topic == "treatment-resistance"
    assert seeded[NEXT_STEPS].topic == "when-therapy-is-not-working"
    assert seeded[NOT_EFFECTIVE].topic == "when-therapy-is-not-working"


@needs_seeds
def test_importing_again_updates_the_guides_without_duplicating_them(seeded):
    Guide.objects.filter(source=DEPRESSION).update(title="Edited by hand")
    call_command("import_guides", SEEDS / DEPRESSION, verbosity=0)
    assert Guide.objects.count() == 5
    assert Guide.objects.get(source=DEPRESSION).title == "Effective Therapy for Treatment-Resistant Depression"


@needs_seeds
def test_the_committed_fixture_is_exactly_what_a_fresh_import_of_the_seeds_writes(taxonomy, tmp_path):
    output = tmp_path / "guides.json"
    call_command("import_guides", *sorted(SEEDS.glob("*.txt")), output=output, verbosity=0)
    assert output.read_text(encoding="utf-8") == FIXTURE.read_text(encoding="utf-8"), (
        "fixtures/guides.json is out of date: run "
        "`python manage.py import_guides ../shared/seeds/*.txt --output fixtures/guides.json`"
    )


def test_the_guides_fixture_loads_twice_without_duplicates(taxonomy):
    call_command("loaddata", "guides", verbosity=0)
    notes = EditorNote.objects.count()
    call_command("loaddata", "guides", verbosity=0)
    assert Guide.objects.count() == 5
    assert EditorNote.objects.count() == notes >= len(CLAIMS)
    guide = Guide.objects.get(slug="effective-therapy-for-treatment-resistant-depression")
    assert "tms" in {m.slug for m in guide.modalities.all()}
    assert guide.reading_minutes > 1


def test_a_bad_document_means_nothing_is_imported_and_every_problem_is_named(taxonomy, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A Good Title\n\nSome text about CBT that is long enough to be a paragraph.\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CommandError) as error:
        call_command("import_guides", good, empty, binary, tmp_path / "missing.txt", verbosity=0)
    message = str(error.value)
    assert "empty.txt: the document is empty" in message
    assert "binary.txt: not UTF-8 text" in message
    assert "missing.txt: no such file" in message
    assert Guide.objects.count() == 0


def test_two_documents_with_the_same_title_are_refused(taxonomy, tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Same Title\n\nA paragraph of ordinary text here.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="same title"):
        call_command("import_guides", tmp_path / "a.txt", tmp_path / "b.txt", verbosity=0)
    assert Guide.objects.count() == 0


def test_glued_abbreviations_split_only_into_known_ones(taxonomy):
    glossary = Glossary.from_taxonomy()
    assert split_glued_words("such as MBCTACTEMDR, and TMS", glossary) == "such as MBCT, ACT, EMDR, and TMS"
    assert split_glued_words("the SAMHSA and NIMH sites", glossary) == "the SAMHSA and NIMH sites"
    assert split_glued_words("therapy (CBT)Dialectical", glossary) == "therapy (CBT), Dialectical"
    assert split_glued_words("a (PTSD): note", glossary) == "a (PTSD): note"


def test_a_plain_document_keeps_headings_lists_and_tables(taxonomy):
    text = (
        "My Guide\n\nAn opening paragraph that says what the guide is about.\n\nWhat Helps\n"
        "Several things help:\n- Sleep\n- Exercise\n\n| Kind | Example |\n|---|---|\n| Talk | CBT |\n"
    )
    document = parse_document(text, "my.txt", Glossary.from_taxonomy())
    assert document.title == "My Guide"
    assert document.summary == "An opening paragraph that says what the guide is about."
    assert "## What Helps" in document.body
    assert "- Sleep\n- Exercise" in document.body
    assert "| Talk | CBT |" in document.body
    assert document.modalities == ["cbt"]


# --- The editors' edits (guides/edits.toml) ----------------------------------------------------------


def guide_body_html(page: str) -> str:
    """The guide's own text on its page: from the body's start to the disclaimer after it."""
    start = page.index('<div class="guide-body">')
    return page[start:page.index('class="guide-disclaimer', start)]


def note_after(html: str, words: str) -> str:
    """The editor's note that directly follows the paragraph, list or table holding words ("" if none)."""
    end = re.compile(r"</(p|ul|ol|table|blockquote)>").search(html, html.index(words)).end()
    following = re.match(r'\s*<aside class="editor-note" role="note" aria-label="Editor\'s note">(.*?)</aside>',
                         html[end:], flags=re.S)
    return following.group(1) if following else ""


@needs_seeds
@pytest.mark.parametrize("source, claim, note_says", CLAIMS)
def test_each_dubious_claim_has_an_editors_note_right_after_it_on_the_page(client, seeded, source, claim, note_says):
    html = guide_body_html(client.get(seeded[source].get_absolute_url()).content.decode())
    note = note_after(html, claim)
    assert "<strong>Editor's note:</strong>" in note, f"no note after {claim!r}"
    assert note_says in note


@needs_seeds
def test_every_note_in_the_edit_file_sits_after_its_claim_on_the_page(client, seeded):
    by_slug = {guide.slug: guide for guide in seeded.values()}
    for slug, edits in load_edits().items():
        html = guide_body_html(client.get(by_slug[slug].get_absolute_url()).content.decode())
        text_only = re.sub(r"<a [^>]*>|</a>", "", html)  # claims may hold a linked term
        assert text_only.count('class="editor-note"') == len(edits.notes), slug
        for note in edits.notes:
            assert escape(note.note, quote=False) in note_after(text_only, escape(note.claim, quote=False)), (
                slug, note.claim)


@needs_seeds
def test_each_page_shows_in_short_the_review_and_an_honest_source_line_and_no_file_name(client, seeded):
    for guide in seeded.values():
        page = client.get(guide.get_absolute_url()).content.decode()
        assert '<h2 id="guide-in-short-title">In short</h2>' in page
        assert guide.in_short in page
        assert "Reviewed on <time datetime=\"2026-11-30\">November 30, 2026</time> by Directory editorial team" in page
        assert "Adapted from a published article; original source not recorded." in page
        assert ".txt" not in page and guide.source.removesuffix(".txt") not in page
    assert ".txt" not in client.get("/api/guides/").content.decode()


def test_every_in_short_in_the_committed_fixture_reads_at_grade_8_or_below():
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    guides = [row["fields"] for row in rows if row["model"] == "guides.guide"]
    assert len(guides) == 5
    for guide in guides:
        assert guide["in_short"], f"{guide['slug']} has no In short summary"
        grade = flesch_kincaid_grade(guide["in_short"])
        assert grade <= 8, f"{guide['slug']}: In short reads at grade {grade:.1f}"


def test_the_grade_level_follows_the_flesch_kincaid_formula():
    assert [syllables(w) for w in ["cat", "table", "therapy", "medication", "notes", "CBT", "988"]] == [
        1, 2, 3, 4, 1, 3, 3]
    # 6 words, 6 syllables, 1 sentence: 0.39 * 6 + 11.8 * 1 - 15.59
    assert flesch_kincaid_grade("The cat sat on the mat.") == pytest.approx(-1.45)
    hard = "Psychotherapeutic interventions necessitate comprehensive individualized evaluation."
    assert flesch_kincaid_grade(hard) > 16


@needs_seeds
def test_every_guide_in_the_edit_file_is_one_a_seed_makes_and_every_seed_guide_is_reviewed(seed_documents):
    edits = load_edits()
    assert set(edits) == {document.slug for document in seed_documents}
    for slug, guide_edits in edits.items():
        assert guide_edits.reviewed_on and guide_edits.reviewed_by == "Directory editorial team", slug
        assert all(removal.why for removal in guide_edits.remove), slug


@pytest.fixture
def broken_edits(tmp_path) -> Path:
    """The real edit file with one claim no longer quoted as the guide has it."""
    text = EDITS_FILE.read_text(encoding="utf-8")
    assert 'claim = "This process, known as systematic desensitization"' in text
    path = tmp_path / "edits.toml"
    path.write_text(text.replace("known as systematic desensitization", "known as flooding"), encoding="utf-8")
    return path


@needs_seeds
def test_an_edit_whose_quote_is_gone_stops_the_import_naming_the_guide_and_the_edit(seeded, broken_edits):
    before = fixture_json(list(Guide.objects.all()))
    with pytest.raises(CommandError) as error:
        call_command("import_guides", *sorted(SEEDS.glob("*.txt")), edits=broken_edits, verbosity=0)
    message = str(error.value)
    assert "Nothing was imported" in message
    assert "guide “understanding-therapy-challenges-and-next-steps”" in message
    assert "note #1 (claim “This process, known as flooding”): the claim is not in the guide" in message
    assert fixture_json(list(Guide.objects.all())) == before


@needs_seeds
def test_an_import_that_fails_part_way_through_saving_leaves_the_database_as_it_was(seeded, monkeypatch):
    before = fixture_json(list(Guide.objects.all()))
    Guide.objects.update(in_short="Changed by hand.")
    EditorNote.objects.all().delete()
    changed = fixture_json(list(Guide.objects.all()))
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("the database went away")
        return original(*args, **kwargs)

    original = EditorNote.objects.update_or_create
    monkeypatch.setattr(EditorNote.objects, "update_or_create", failing)
    with pytest.raises(RuntimeError):
        call_command("import_guides", *sorted(SEEDS.glob("*.txt")), verbosity=0)
    assert len(calls) == 5
    assert fixture_json(list(Guide.objects.all())) == changed != before


def test_removals_take_exact_text_or_a_pattern_and_leave_tidy_spacing():
    body = "One. Two, as they say, here. Three.\n\nBuy now!\n\n- a\n- b\n\nEnd.\n"
    edits = GuideEdits("g", remove=(
        Removal(text="Two, as they say, here."), Removal(text=", as they say,"), Removal(pattern=r"^Buy \w+!$"),
        Removal(text="- a\n- b"),
    ))
    with pytest.raises(EditError, match="remove #2"):
        edits.apply(body, "")
    edits = GuideEdits("g", remove=(
        Removal(text=", as they say,"), Removal(text="One."), Removal(pattern=r"^Buy \w+!$"), Removal(text="- a\n- b"),
    ))
    assert edits.apply(body, "One. Two.") == ("Two here. Three.\n\nEnd.\n", "Two.")


def test_an_edit_that_no_longer_applies_names_the_guide_and_every_broken_edit():
    edits = GuideEdits("my-guide", remove=(Removal(text="present"), Removal(pattern="gone+")),
                       notes=(NoteEdit("missing claim", "A note."), NoteEdit("present", "Fine.")))
    with pytest.raises(EditError) as error:
        edits.apply("Text present here, more present.\n", "")
    assert str(error.value) == (
        "guide “my-guide”, remove #2 (pattern “gone+”): not found in the guide; "
        "guide “my-guide”, note #1 (claim “missing claim”): the claim is not in the guide; "
        "guide “my-guide”, note #2 (claim “present”): the claim is not in the guide"
    )


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[g]\nremvoe = []\n', "unknown key remvoe"),
        ('[g]\nreviewed_on = 2026-11-30\n', "reviewed_on needs reviewed_by"),
        ('[g]\nreviewed_on = "yesterday"\nreviewed_by = "Team"\n', "reviewed_on must be a date"),
        ('[[g.remove]]\nwhy = "no text"\n', "give either text or pattern"),
        ('[[g.remove]]\npattern = "(unclosed"\n', "not a valid regular expression"),
        ('[[g.notes]]\nclaim = "x"\n', "needs both a claim and a note"),
        ('[g\n', "not valid TOML"),
    ],
)
def test_a_malformed_edit_file_is_refused_with_the_reason(tmp_path, toml, message):
    path = tmp_path / "edits.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(EditError, match=re.escape(message)):
        load_edits(path)


def test_a_malformed_edit_file_stops_the_import_before_anything_is_written(taxonomy, tmp_path):
    document = tmp_path / "doc.txt"
    document.write_text("A Title\n\nA paragraph of ordinary text about CBT here.\n", encoding="utf-8")
    edits = tmp_path / "edits.toml"
    edits.write_text("[a-title]\nin_shrot = 'typo'\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unknown key in_shrot"):
        call_command("import_guides", document, edits=edits, verbosity=0)
    assert not Guide.objects.exists()


def test_edits_apply_to_the_guide_with_their_slug_and_tags_come_from_the_edited_text(taxonomy, tmp_path):
    text = "A Title\n\nA paragraph about CBT. Also try EMDR today.\n\nSecond paragraph here.\n"
    edits = {"a-title": GuideEdits(
        "a-title", in_short="Short.", reviewed_on=datetime.date(2026, 11, 30), reviewed_by="Directory editorial team",
        remove=(Removal(text="Also try EMDR today."),), notes=(NoteEdit("about CBT", "A note."),),
    )}
    document = parse_document(text, "doc.txt", Glossary.from_taxonomy(), edits)
    assert document.body == "A paragraph about CBT.\n\nSecond paragraph here.\n"
    assert document.modalities == ["cbt"]
    assert (document.in_short, document.reviewed_by, document.notes) == (
        "Short.", "Directory editorial team", [("about CBT", "A note.")])
    guide = save_guides([document])[0]
    assert [(n.claim, n.note) for n in guide.notes.all()] == [("about CBT", "A note.")]
    assert parse_document(text, "doc.txt", Glossary.from_taxonomy()).modalities == ["cbt", "emdr"]


@needs_seeds
def test_reimporting_updates_the_reading_time_with_the_body(seeded):
    Guide.objects.filter(source=DEPRESSION).update(body="short", reading_minutes=1)
    call_command("import_guides", SEEDS / DEPRESSION, verbosity=0)
    assert Guide.objects.get(source=DEPRESSION).reading_minutes > 1
