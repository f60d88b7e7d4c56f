"""Reuters-21578: the distinctive words of region=Japan, and the shares of a compare of oil and gold.

Skips (saying why) when ../shared/corpora is absent, through the shared `reuters_index` fixture.
"""

from __future__ import annotations

import pytest

from corpus.web import create_app

pytestmark = [pytest.mark.corpora, pytest.mark.slow]


@pytest.fixture(scope="module")
def client(reuters_index):
    settings, _ = reuters_index
    with create_app(settings).test_client() as c:
        yield c


def test_japan_against_the_rest_has_yen_and_tokyo_in_the_top_20_by_g2(client):
    answer = client.get("/api/keywords", query_string={"region": "Japan", "limit": 20}).get_json()
    words = [k["word"] for k in answer["over"]]
    assert "yen" in words and "tokyo" in words, words
    assert answer["vs"] == "rest" and answer["target_documents"] > 500
    assert answer["target_documents"] + answer["reference_documents"] == answer["provenance"]["index"]["documents"]


def test_compare_oil_and_gold_shares_add_up_to_the_timeline_totals(client):
    answer = client.get("/api/compare", query_string={"q1": "oil", "q2": "gold", "interval": "month"}).get_json()
    # The search timeline of every article, by month: the denominators of the shares.
    everything = client.get("/api/search", query_string={"per_page": 1, "sort": "oldest"}).get_json()["timeline"]
    assert everything["interval"] == "month"
    corpus = {b["period"]: b["count"] for b in everything["buckets"]}
    for n, q in enumerate(("oil", "gold")):
        timeline = client.get("/api/search", query_string={"q": q, "per_page": 1}).get_json()["timeline"]
        assert timeline["interval"] == "month"
        counts = {b["period"]: b["count"] for b in timeline["buckets"]}
        totals = {b["period"]: b["corpus_count"] for b in timeline["buckets"]}
        seen = 0
        for period in answer["periods"]:
            cell = period["series"][n]
            assert period["denominator"] == corpus.get(period["period"], 0)
            if period["period"] in totals:
                assert period["denominator"] == totals[period["period"]]
            assert cell["count"] == counts.get(period["period"], 0)
            if period["denominator"]:
                assert abs(cell["share"] * period["denominator"] - cell["count"]) < 1e-3 * max(1, period["denominator"])
            seen += cell["count"]
        assert seen + answer["queries"][n]["undated"] == answer["queries"][n]["total"]
