"""The sample article in corpus_data/ (beside the New Europe demo in corpus_data/demo/): parsing and normalisation."""

from __future__ import annotations

from pathlib import Path

from corpus.documents import RawRecord
from corpus.normalize import to_article
from corpus.readers import read_file
from support import ROOT, SAMPLE


def sample_article():
    records = list(read_file(SAMPLE, SAMPLE.parent))
    assert len(records) == 1 and isinstance(records[0], RawRecord)
    return to_article(records[0])


def test_title_is_line_one_exactly():
    article = sample_article()
    assert article.title == (
        "West Must Take Five Steps Now To Encourage Members Of Russian Elite To Break With Putin "
        "And Flee Abroad \u2013 OpEd"
    )


def test_author_comes_from_the_trailing_block_when_the_by_line_is_empty():
    assert sample_article().authors == ["Paul Goble"]


def test_body_runs_from_first_paragraph_to_last_without_author_block_or_boilerplate():
    body = sample_article().body
    assert body.startswith("Between 1953 and 1990, more than 1200 members of the Soviet elite fled abroad")
    assert body.endswith("Proposals aimed at dividing and fragmenting the Russian establishment \u2026 will not have the desired effect.\u201d")
    for furniture in ("Leave a Reply", "Your email address will not be published", "Required fields are marked", "Paul Goble is a longtime", "By\n"):
        assert furniture not in body
    assert not body.startswith("By")


def test_bullets_and_non_breaking_spaces_are_normalised():
    article = sample_article()
    assert "\u00a0" not in article.body
    bullets = [p for p in article.paragraphs if p.startswith("\u2022")]
    assert len(bullets) == 5
    assert bullets[0].startswith("\u2022 First of all, \u201cthe West must construct policies")


def test_bio_is_stored_with_the_author_and_ends_before_the_comment_form():
    bio = sample_article().bios["Paul Goble"]
    assert bio.startswith("Paul Goble is a longtime specialist on ethnic and religious questions in Eurasia.")
    assert bio.endswith("Mr. Goble maintains the Window on Eurasia blog and can be contacted directly at.")
    assert "Leave a Reply" not in bio


def test_scraped_email_placeholder_is_not_kept_as_words():
    article = sample_article()
    text = article.body + article.bios["Paul Goble"]
    assert "protected" not in text and "[email" not in text


def test_source_and_date_are_not_invented():
    article = sample_article()
    assert article.source is None
    assert article.date is None


def test_region_is_inferred_as_russia():
    article = sample_article()
    assert "Russia" in article.region
    assert article.region_inferred


def test_sidecar_supplies_source_and_date(tmp_path: Path):
    (tmp_path / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    (tmp_path / (SAMPLE.name + ".meta.yaml")).write_text("source: Eurasia Review\ndate: 2025-01-15\n", encoding="utf-8")
    [record] = list(read_file(tmp_path / SAMPLE.name, tmp_path))
    article = to_article(record)
    assert article.source == "Eurasia Review"
    assert article.date is not None and article.date.date().isoformat() == "2025-01-15"


def test_read_from_the_bundled_folder_it_is_the_same_article_as_alone(tmp_path: Path):
    """corpus_data/ also holds the demo (demo/ with its own _folder.yaml): none of it reaches the sample."""
    (tmp_path / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    [record] = list(read_file(tmp_path / SAMPLE.name, tmp_path))
    [from_folder] = list(read_file(SAMPLE, ROOT / "corpus_data"))
    assert isinstance(record, RawRecord) and isinstance(from_folder, RawRecord)
    alone, bundled = to_article(record), to_article(from_folder)
    assert (bundled.id, bundled.title, bundled.authors, bundled.body) == (alone.id, alone.title, alone.authors, alone.body)
    assert bundled.source is None and bundled.date is None
    assert "Russia" in bundled.region
