"""regions.py: canonical country names from codes and names, and inference from text."""

from __future__ import annotations

import pytest

from corpus.documents import RawRecord
from corpus.normalize import to_article
from corpus.regions import canonical_region, canonical_regions, infer_regions


@pytest.mark.parametrize(("value", "expected"), [
    ("ru", "Russia"), ("RU", "Russia"), ("RUS", "Russia"), ("Russian Federation", "Russia"), ("russia", "Russia"),
    ("643", "Russia"), ("usa", "United States"), ("US", "United States"), ("United States of America", "United States"),
    ("uk", "United Kingdom"), ("GB", "United Kingdom"), ("west-germany", "West Germany"), ("east-germany", "East Germany"),
    ("ussr", "Soviet Union"), ("south-korea", "South Korea"), ("Korea, Republic of", "South Korea"),
    ("Republic of Korea", "South Korea"), ("hong-kong", "Hong Kong"), ("Viet Nam", "Vietnam"),
    ("Iran, Islamic Republic of", "Iran"), ("turkey", "Turkey"), ("TR", "Turkey"), ("uae", "United Arab Emirates"),
    ("cs", "Czechoslovakia"), ("yu", "Yugoslavia"), ("de", "Germany"), ("DEU", "Germany"), (" Japan ", "Japan"),
    ("int", "International"),
])
def test_codes_and_names_map_to_one_canonical_name(value, expected):
    assert canonical_region(value) == expected


@pytest.mark.parametrize("value", ["jw", "ah", "ZZ", "Atlantis", "Middle East"])
def test_unknown_codes_and_names_are_kept_verbatim(value):
    assert canonical_region(value) == value


def test_canonical_regions_keep_order_and_drop_repeats():
    assert canonical_regions(["ru", "RUS", "Russia", "", "usa", "jw"]) == ["Russia", "United States", "jw"]


def test_inference_keeps_countries_the_text_discusses():
    text = (
        "Russia and its elites: the Kremlin has tightened control over Russian business. Moscow says the measures "
        "are temporary. A delegation once visited Brazil."
    )
    assert infer_regions(text) == ["Russia"]  # Brazil is mentioned once in passing


def test_inference_ignores_lowercase_words_and_pronouns():
    assert infer_regions("we ate turkey and china plates; let us go, let us stay, us again") == []
    assert infer_regions("US rates rose. The US Federal Reserve said US growth was strong.") == ["United States"]


def test_inference_limits_to_the_main_countries():
    text = "Japan " * 9 + "Canada Canada " + "France France France"
    assert infer_regions(text) == ["Japan", "France"]  # Canada: under a third of Japan's mentions


def test_explicit_region_wins_and_inferred_ones_are_marked():
    body = "Tokyo traders said the Japanese yen rose. Japan's central bank stayed out of the market."
    explicit = to_article(RawRecord(fields={"title": "Yen", "body": body, "region": "fr"}, origin="x", path="x"))
    assert explicit.region == ["France"] and not explicit.region_inferred
    inferred = to_article(RawRecord(fields={"title": "Yen", "body": body}, origin="x", path="x"))
    assert inferred.region == ["Japan"] and inferred.region_inferred
    neither = to_article(RawRecord(fields={"title": "Weather", "body": "It rained."}, origin="x", path="x"))
    assert neither.region == [] and not neither.region_inferred
