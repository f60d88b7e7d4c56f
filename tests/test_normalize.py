"""normalize.py: dates, authors, text cleaning, titles, sources, ids, mapping and stored metadata."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest

from corpus.documents import RawRecord
from corpus.normalize import (
    as_text,
    clean_inline,
    clean_text,
    date_from_url,
    display_name,
    parse_date,
    readable_title,
    safe_url,
    source_from_url,
    split_authors,
    to_article,
)


def raw(fields: dict, path: str = "folder/file.jsonl", recno: int | None = 3, meta: dict | None = None) -> RawRecord:
    return RawRecord(fields=fields, origin=f"{path}:{recno}", path=path, recno=recno, meta=meta or {})


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-01-14", "2025-01-14T00:00:00+00:00"),
    ("2025-01-14T10:30:00Z", "2025-01-14T10:30:00+00:00"),
    ("2025-01-14T10:30:00+02:00", "2025-01-14T08:30:00+00:00"),
    ("January 14, 2025", "2025-01-14T00:00:00+00:00"),
    ("14 Jan 2025", "2025-01-14T00:00:00+00:00"),
    ("2017/3/1", "2017-03-01T00:00:00+00:00"),
    ("21-APR-1987 12:17:49.31", "1987-04-21T12:17:49.310000+00:00"),
    (1736848800, "2025-01-14T10:00:00+00:00"),
    (1736848800000, "2025-01-14T10:00:00+00:00"),
    ("1736848800", "2025-01-14T10:00:00+00:00"),
    ({"$date": "2025-01-14T10:00:00Z"}, "2025-01-14T10:00:00+00:00"),
    ({"$date": {"$numberLong": "1736848800000"}}, "2025-01-14T10:00:00+00:00"),
    ({"year": 2024, "month": 2, "day": 29}, "2024-02-29T00:00:00+00:00"),
    (date(2025, 1, 15), "2025-01-15T00:00:00+00:00"),
    (1917, "1917-01-01T00:00:00+00:00"),
    ("&nbsp;3 March 2025&nbsp;", "2025-03-03T00:00:00+00:00"),
])
def test_dates_in_every_listed_form_are_stored_in_utc(value, expected):
    parsed = parse_date(value)
    assert parsed is not None and parsed.isoformat() == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value", [None, "", "   ", True, "yesterday", "May", "5", {"when": "soon"}, [], "31/31/2025", 1e20, "x" * 500])
def test_values_that_are_not_dates_give_none(value):
    assert parse_date(value) is None


def test_day_first_is_configurable():
    assert parse_date("03/04/2025").date() == date(2025, 3, 4)  # type: ignore[union-attr]
    assert parse_date("03/04/2025", dayfirst=True).date() == date(2025, 4, 3)  # type: ignore[union-attr]


def test_date_from_the_url_path():
    assert date_from_url("https://example.com/2025/01/14/some-story/") == datetime(2025, 1, 14, tzinfo=UTC)
    assert date_from_url("https://example.com/news/2019-07/story") == datetime(2019, 7, 1, tzinfo=UTC)
    assert date_from_url("https://example.com/2025/13/40/x") is None
    assert date_from_url("https://example.com/item/20250114") is None
    assert date_from_url(None) is None


def test_record_date_wins_and_the_url_date_is_the_fallback():
    url = "https://example.com/2025/01/14/story/"
    assert to_article(raw({"title": "t", "url": url, "date": "2024-06-01"})).date == datetime(2024, 6, 1, tzinfo=UTC)
    assert to_article(raw({"title": "t", "url": url})).date == datetime(2025, 1, 14, tzinfo=UTC)
    assert to_article(raw({"title": "t", "url": url, "date": "not a date"})).date == datetime(2025, 1, 14, tzinfo=UTC)
    assert to_article(raw({"title": "t"})).date is None  # undated, not invented


@pytest.mark.parametrize(("value", "expected"), [
    ("By Jane Doe", ["Jane Doe"]),
    ("by: jane doe", ["Jane Doe"]),
    ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("Jane Doe, John Roe", ["Jane Doe", "John Roe"]),
    ("Jane Doe; John Roe & Ann Lee", ["Jane Doe", "John Roe", "Ann Lee"]),
    (["Jane Doe", "JANE DOE", "jane doe"], ["Jane Doe"]),
    ([{"name": "Jane Doe"}, {"name": "John Roe"}], ["Jane Doe", "John Roe"]),
    ("By Jane Doe, Reuters", ["Jane Doe"]),
    ("John Roe, Staff Writer", ["John Roe"]),
    ("Smith, John", ["Smith, John"]),
    ("R. W. Seton-Watson", ["R. W. Seton-Watson"]),
    ("A. F. W", ["A. F. W."]),
    ("A. F. Whyte.", ["A. F. Whyte"]),
    ("MARK O'NEILL", ["Mark O'Neill"]),
    ("ludwig van beethoven", ["Ludwig van Beethoven"]),
    ("Malcolm X", ["Malcolm X"]),
])
def test_author_forms(value, expected):
    assert split_authors(value) == expected


@pytest.mark.parametrize("value", ["Not_signed", "not signed", "staff", "Staff", "unknown", "UNKNOWN", "", "  ", None, 12345, "By", "n/a", [], ["", "staff"], {}])
def test_placeholders_and_non_names_mean_unsigned(value):
    assert split_authors(value) == []


def test_unsigned_record_keeps_no_placeholder_anywhere():
    article = to_article(raw({"title": "t", "body": "b", "author": "Not_signed"}))
    assert article.authors == [] and "author" not in article.extra


def test_display_name_makes_one_form_of_case_variants():
    assert display_name("PAUL GOBLE") == display_name("paul goble") == display_name("Paul Goble") == "Paul Goble"


def test_clean_text_unicode_whitespace_and_entities():
    decomposed = unicodedata.normalize("NFD", "Caf\u00e9 cr\u00e8me")
    assert clean_text(decomposed) == "Caf\u00e9 cr\u00e8me"
    assert clean_text("Tom &amp; Jerry&nbsp;say &quot;hi&quot; &#8211; ok") == 'Tom & Jerry say "hi" \u2013 ok'
    assert clean_text("  a\t\tb  \u00a0 c  ") == "a b c"
    assert clean_text("one\r\n\r\ntwo\rthree") == "one\n\ntwo three"


def test_clean_text_rejoins_hard_wrapped_lines_and_keeps_paragraphs():
    wrapped = (
        "Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought\n"
        "since early January.\n    The dry period means the temporao will\nbe late this year.\n\nA third paragraph.\n"
    )
    assert clean_text(wrapped) == (
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early January.\n\n"
        "The dry period means the temporao will be late this year.\n\nA third paragraph."
    )


def test_clean_text_keeps_long_lines_as_paragraphs():
    long_a = "This paragraph was written on one long line, as content management systems export it. " * 2
    long_b = "So was this one, and joining the two would make one paragraph out of two very different ones. " * 2
    assert clean_text(f"{long_a}\n{long_b}\n{long_a}") == f"{long_a.strip()}\n\n{long_b.strip()}\n\n{long_a.strip()}"


def test_clean_text_drops_the_scraped_email_placeholder():
    assert clean_text("Write to [email\u00a0protected] or [email protected].") == "Write to or."
    assert "protected" not in clean_inline("contact [email protected] now")


def test_clean_text_undoes_doubled_csv_quotes_only_when_every_quote_is_doubled():
    assert clean_text('He said ""no"" and ""never"".') == 'He said "no" and "never".'
    assert clean_text('A "quoted" word and an empty "" pair.') == 'A "quoted" word and an empty "" pair.'


def test_clean_text_turns_html_markup_into_paragraphs():
    assert clean_text("<p>One &amp; two.</p><p>Three <em>four</em>.</p><script>track()</script>") == "One & two.\n\nThree four."
    assert clean_text("5 < 6 and 7 > 3") == "5 < 6 and 7 > 3"


@pytest.mark.parametrize("text", [
    "Shares of <Oppenheimer-Palmieri Fund L.P.> rose.",
    "<A.G. Edwards and Sons Inc> said <I> and <P> and <EM> gained; <B.F. Goodrich> fell.",
    "The unit of <I P Sharp Associates Ltd> and <A/S Norske Shell> and <S.G. Warburg and Co (Japan) Ltd>.",
    "Bought by <Brown-Forman Inc> <BFD>, it said <em> was wrong, <BR> too.",
])
def test_clean_text_keeps_angle_bracketed_names_in_plain_text(text):
    # Reuters writes company names and tickers in angle brackets; they are words, not markup.
    assert clean_text(text) == text


def test_clean_text_strips_only_real_markup_from_html_and_keeps_bracketed_names():
    html = '<p class="lead">Shares of &lt;Oppenheimer Fund&gt; and <Oppenheimer-Palmieri Fund L.P.> rose.</p><p>Two<br/>lines</p>'
    assert clean_text(html) == "Shares of <Oppenheimer Fund> and <Oppenheimer-Palmieri Fund L.P.> rose.\n\nTwo lines"
    assert clean_text("A <a href='https://x.org/'>link</a> and <strong>bold</strong>.") == "A link and bold."


def test_parse_date_takes_numbers_too_large_for_a_date_as_no_date():
    for value in (1e300, -1e300, 99999999999999999999, int("9" * 500), float("inf"), float("nan"),
                  "99999999999999999999", {"year": 99999999999999999999, "month": 1, "day": 1}, {"$date": 1e300}):
        assert parse_date(value) is None, value


def test_clean_text_marks_bullets():
    assert clean_text("Points:\n\n* first\n* second") == "Points:\n\n\u2022 first\n\n\u2022 second"


def test_as_text_reads_wrong_types():
    assert as_text(["a", "b", 3]) == "a b 3"
    assert as_text({"rendered": "x"}) == "x"
    assert as_text({"other": 1}) == "" and as_text(None) == "" and as_text(True) == ""


@pytest.mark.parametrize(("title", "expected"), [
    ("BAHIA COCOA REVIEW", "Bahia Cocoa Review"),
    ("U.S. SAYS JAPAN'S SURPLUS IS TOO HIGH", "U.S. Says Japan's Surplus Is Too High"),
    ("OPEC TO MEET IN VIENNA", "OPEC to Meet in Vienna"),
    ("COMPUTER TERMINAL SYSTEMS <CPML> COMPLETES SALE", "Computer Terminal Systems <CPML> Completes Sale"),
    ("ARGENTINE 1986/87 GRAIN/OILSEED REGISTRATIONS", "Argentine 1986/87 Grain/Oilseed Registrations"),
    ("Already Mixed Case", "Already Mixed Case"),
    ("NATO", "NATO"),
    ("MR. SHAW'S WAR SATIRE", "Mr. Shaw's War Satire"),
])
def test_readable_titles_for_all_capitals(title, expected):
    assert readable_title(title) == expected


def test_capital_title_keeps_what_was_written_as_metadata():
    article = to_article(raw({"title": "BAHIA COCOA REVIEW", "body": "b"}))
    assert article.title == "Bahia Cocoa Review" and article.extra["title_as_written"] == "BAHIA COCOA REVIEW"


def test_source_from_metadata_then_folder_then_url_then_unknown():
    url = "https://www.example.org/a"
    folder = {"source": "Folder Default"}
    assert to_article(raw({"title": "t", "publication": "The Paper", "url": url}, meta=folder)).source == "The Paper"
    assert to_article(raw({"title": "t", "url": url}, meta=folder)).source == "Folder Default"
    assert to_article(raw({"title": "t", "url": url})).source == "example.org"
    assert to_article(raw({"title": "t"})).source is None
    # A file name in the source field is where a converter read the record, not a publication.
    article = to_article(raw({"title": "t", "source": "newEurope_volume01.txt"}))
    assert article.source is None and article.extra["source"] == "newEurope_volume01.txt"


def test_urls_and_their_domains():
    assert safe_url("https://example.org/x") == "https://example.org/x"
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None and safe_url(None) is None
    assert source_from_url("http://www.news.example.co.uk/x") == "news.example.co.uk"
    assert source_from_url("not a url") is None


def test_ids_from_the_record_or_from_path_and_record_number():
    assert to_article(raw({"id": "Reuters 1/2", "title": "t"})).id == "Reuters-1-2"
    assert to_article(raw({"doc_id": 17, "title": "t"})).id == "17"
    assert to_article(raw({"title": "t"})).id == "folder-file.jsonl-3"
    assert to_article(raw({"title": "t"}, path="a/b.txt", recno=None)).id == "a-b"
    assert to_article(raw({"title": "t"}, path="a/b.jsonl.gz", recno=1)).id == "a-b.jsonl-1"
    assert to_article(raw({"title": "t"}, path="a/b.txt.gz", recno=None)).id == "a-b"
    # Files that differ only in their type do not share ids.
    assert to_article(raw({"title": "t"}, path="a.csv", recno=1)).id != to_article(raw({"title": "t"}, path="a.tsv", recno=1)).id
    assert to_article(raw({"id": {"$oid": "x"}, "title": "t"})).id == "folder-file.jsonl-3"


def test_explicit_mapping_wins_over_synonyms():
    fields = {"article": "The real title", "title": "a slug", "text": "Body."}
    article = to_article(raw(fields), mapping={"title": "article"})
    assert article.title == "The real title" and article.extra == {"title": "a slug", "language_detected": True}
    assert to_article(raw(fields)).title == "a slug"
    folder = {"mapping": {"title": "article"}}
    assert to_article(raw(fields, meta=folder)).title == "The real title"
    assert to_article(raw(fields, meta=folder), mapping={"title": "title"}).title == "a slug"


def test_extra_fields_are_stored_and_categories_exposed():
    article = to_article(raw({
        "title": "t", "body": "b", "topics": ["Oil", "OPEC"], "volume": "IV", "number": 3, "empty": "",
        "nested": {"a": [1, {"b": 2}]}, "_private": "x",
    }))
    assert article.category == ["Oil", "OPEC"]
    assert article.extra == {"volume": "IV", "number": 3, "nested": '{"a": [1, {"b": 2}]}'}


def test_bios_from_record_fields():
    article = to_article(raw({"title": "t", "author": "Jane Doe", "bio": "Jane Doe covers energy."}))
    assert article.bios == {"Jane Doe": "Jane Doe covers energy."}
    two = to_article(raw({"title": "t", "author": "Jane Doe and John Roe", "bio": "One of them wrote this."}))
    assert two.bios == {} and two.extra["bio"] == "One of them wrote this."


def test_clean_text_long_lines_break_paragraphs_even_beside_blank_lines():
    long_a = "A paragraph exported on one long line by a content management system, as they do. " * 2
    long_b = "Another one right below it, with only a single line break between the two of them. " * 2
    assert clean_text(f"{long_a}\n{long_b}\n\n{long_a}").split("\n\n") == [long_a.strip(), long_b.strip(), long_a.strip()]
