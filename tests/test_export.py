"""/api/export: every matching document as CSV or JSON Lines, streamed, never truncated silently."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from typing import Any

import pytest

from corpus.web import create_app
from corpus.web.params import EXPORT_FIELDS

QUERIES = ["", "q=oil", "q=rates+OR+grain", "author=Anna+Reed&author=Tom+Baker", "region=United+States&sort=oldest",
           "from=1987&to=1987-12", "q=nothingmatchesthis", "source=Farm+Weekly&q=tariffs+OR+grain"]


def csv_rows(response: Any) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def jsonl_rows(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


@pytest.mark.parametrize("params", QUERIES)
def test_csv_and_jsonl_hold_every_match_in_search_order(mini_client, params):
    search = mini_client.get(f"/api/search?{params}&per_page=100").get_json()
    as_csv = mini_client.get(f"/api/export?{params}")
    assert as_csv.status_code == 200 and as_csv.is_streamed
    assert as_csv.mimetype == "text/csv" and "attachment" in as_csv.headers["Content-Disposition"]
    rows = csv_rows(as_csv)
    assert len(rows) == search["total"] == int(as_csv.headers["X-Total-Count"]) == int(as_csv.headers["X-Export-Rows"])
    assert as_csv.headers["X-Export-Truncated"] == "false" and "X-Export-Cap" not in as_csv.headers
    assert [r["id"] for r in rows] == [h["id"] for h in search["hits"]]
    lines = jsonl_rows(mini_client.get(f"/api/export?{params}&format=jsonl"))
    assert [r["id"] for r in lines] == [h["id"] for h in search["hits"]]


def test_csv_has_a_header_and_readable_multi_valued_cells(mini_client):
    response = mini_client.get("/api/export?q=oil")
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(EXPORT_FIELDS)
    rows = {r["id"]: r for r in csv_rows(response)}
    glut = rows["wire-oil-glut"]
    assert glut["author"] == "Anna Reed; Tom Baker" and glut["region"] == "United States"
    assert rows["wire-oil-prices"]["region"] == "Saudi Arabia; United States"
    assert glut["date"] == "1987-03-15T00:00:00Z" and glut["source"] == "Reuters" and float(glut["score"]) > 0
    article = mini_client.get("/api/articles/wire-oil-glut").get_json()
    assert glut["body"] == article["body"] and "\n\n" in glut["body"]  # paragraphs survive inside a quoted cell
    assert glut["url"] == "" and glut["category"] == ""  # missing values are empty cells, never "None"


def test_jsonl_keeps_lists_and_nulls(mini_client):
    rows = {r["id"]: r for r in jsonl_rows(mini_client.get("/api/export?format=jsonl"))}
    assert len(rows) == 12
    assert rows["wire-oil-glut"]["author"] == ["Anna Reed", "Tom Baker"]
    assert rows["opinion-undated"]["date"] is None and rows["opinion-unsigned"]["author"] == []
    assert rows["opinion-xss"]["title"].startswith("<script>")  # data, not markup: JSON carries it as text
    assert set(rows["wire-corn"]) == set(EXPORT_FIELDS)


def test_fields_choose_and_order_the_columns(mini_client):
    response = mini_client.get("/api/export?q=oil&fields=title,id&fields=date")
    assert response.get_data(as_text=True).splitlines()[0] == "title,id,date"
    assert [list(r) for r in csv_rows(response)] == [["title", "id", "date"]] * 3
    lines = jsonl_rows(mini_client.get("/api/export?format=jsonl&fields=id,author"))
    assert all(list(r) == ["id", "author"] for r in lines)


def test_bom_for_spreadsheets_is_optional(mini_client):
    assert not mini_client.get("/api/export?q=oil").get_data().startswith(b"\xef\xbb\xbf")
    with_bom = mini_client.get("/api/export?q=oil&bom=true").get_data()
    assert with_bom.startswith(b"\xef\xbb\xbfid,")
    assert len(list(csv.DictReader(io.StringIO(with_bom.decode("utf-8-sig"))))) == 3


@pytest.fixture(scope="module")
def capped_client(mini_settings: Any) -> Any:
    return create_app(replace(mini_settings, export_cap=5)).test_client()


def test_a_cap_is_announced_in_headers_and_in_the_last_csv_line(capped_client):
    response = capped_client.get("/api/export")
    assert response.headers["X-Export-Cap"] == "5" and response.headers["X-Export-Truncated"] == "true"
    assert response.headers["X-Total-Count"] == "12" and response.headers["X-Export-Rows"] == "5"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert rows[0] == list(EXPORT_FIELDS) and len(rows) == 1 + 5 + 1
    last = rows[-1]
    assert len(last) == 1 and last[0].startswith("# export stopped") and "5 of 12" in last[0]
    assert "CORPUS_EXPORT_CAP" in last[0]


def test_a_cap_is_announced_in_the_last_jsonl_line(capped_client):
    lines = jsonl_rows(capped_client.get("/api/export?format=jsonl"))
    assert len(lines) == 6 and all("id" in r for r in lines[:5])
    note = lines[-1]["export_truncated"]
    assert (note["cap"], note["rows"], note["total"]) == (5, 5, 12) and "narrow" in note["message"]


def test_a_cap_that_is_not_reached_changes_nothing(capped_client):
    response = capped_client.get("/api/export?q=oil")
    assert response.headers["X-Export-Cap"] == "5" and response.headers["X-Export-Truncated"] == "false"
    assert len(csv_rows(response)) == 3
    assert not response.get_data(as_text=True).rstrip().splitlines()[-1].startswith("# export stopped")
