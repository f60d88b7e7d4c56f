"""What a user sees, recorded: about 40 API answers and the CLI's JSON on the fixture corpus.

The answers are kept in tests/golden/api.json. Any change to what a user sees (a count, an
order, a field, a header that scripts read) fails this test; a refactor must leave every one
equal. After an intended change, re-record with `CORPUS_GOLDEN_RECORD=1 pytest tests/test_golden.py`
and say in the commit what changed and why.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from corpus.cli import main as cli

GOLDEN = Path(__file__).parent / "golden" / "api.json"
RECORD = os.environ.get("CORPUS_GOLDEN_RECORD") == "1"
VOLATILE = {"took_ms", "build", "updated", "generated", "index_version"}  # differ from one build or run to the next
HEADERS = ("Content-Type", "X-Total-Count", "X-Export-Rows", "X-Export-Truncated", "Cache-Control")

REQUESTS = [
    # every query-language feature
    "/api/search?q=oil",
    "/api/search?q=oil+OR+wheat",
    "/api/search?q=oil+-glut",
    "/api/search?q=oil+AND+NOT+glut",
    "/api/search?q=%22oil+prices%22",
    "/api/search?q=%22oil+opec%22~5",
    "/api/search?q=pri*",
    "/api/search?q=w?eat",
    "/api/search?q=runing~",
    "/api/search?q=title:oil",
    "/api/search?q=author:novak",
    "/api/search?q=bio:baltic",
    "/api/search?q=source:reuters",
    "/api/search?q=region:japan",
    "/api/search?q=date:1987",
    "/api/search?q=date:[1987-03+TO+1987-06]",
    "/api/search?q=oil+date:>1987-03",
    "/api/search?q=(oil+OR+yen)+AND+NOT+opec",
    "/api/search?q=elite",
    "/api/search?q=",
    # sorts, paging, filters, facet options
    "/api/search?q=oil&sort=newest",
    "/api/search?sort=oldest&per_page=3",
    "/api/search?sort=newest&page=2&per_page=2",
    "/api/search?q=oil&author=Anna+Reed",
    "/api/search?source=Reuters&region=Japan",
    "/api/search?year=1987&facet=author&facet_size=2",
    "/api/search?from=1987-03&to=1987-04",
    "/api/search?q=oil&highlight=false",
    # errors
    "/api/search?q=%22unclosed+(",
    "/api/search?per_page=100000",
    "/api/search?page=x",
    "/api/search?from=1987-13",
    # facet values, exports, documents, authors, stats
    "/api/facets/author?q=oil",
    "/api/facets/source?prefix=r",
    "/api/facets/region",
    "/api/facets/nothing",
    "/api/export?q=oil&format=csv",
    "/api/export?format=jsonl&sort=oldest",
    "/api/export?q=oil&fields=id,title,date",
    "/api/articles/wire-oil-prices",
    "/api/articles/no-such-article",
    "/api/authors",
    "/api/authors?prefix=m",
    "/api/authors/maria-novak",
    "/api/authors/nobody-at-all",
    "/api/stats",
]
CLI = [
    ["search", "oil", "--json"],
    ["search", "oil", "--source", "Reuters", "--sort", "newest", "--json"],
    ["stats", "--json"],
]


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<volatile>" if k in VOLATILE else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _answer(client: Any, url: str) -> dict[str, Any]:
    response = client.get(url)
    body: Any
    if response.mimetype == "application/json":
        body = _mask(response.get_json())
    else:
        body = response.get_data(as_text=True)
    return {"status": response.status_code, "headers": {h: response.headers.get(h) for h in HEADERS if h in response.headers},
            "body": body}


def _cli(settings: Any, args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = cli(["--index-dir", str(settings.index_dir), *args])
    out = capsys.readouterr().out
    return {"exit": code, "body": _mask(json.loads(out))}


def test_every_recorded_answer_is_unchanged(mini_app: Any, mini_settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with mini_app.test_client() as client:
        answers = {url: _answer(client, url) for url in REQUESTS}
    answers.update({"corpus " + " ".join(args): _cli(mini_settings, args, capsys) for args in CLI})
    if RECORD:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(answers, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    assert GOLDEN.is_file(), "no golden answers yet: record them with CORPUS_GOLDEN_RECORD=1"
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(golden) == sorted(answers), "the list of recorded requests changed: re-record"
    for key in golden:
        assert answers[key] == golden[key], f"the answer to {key} changed"
    # The recording holds real answers, not empty ones: most requests succeed and return documents.
    ok = [a for a in golden.values() if a.get("status", 200) == 200]
    assert len(ok) >= 35
    assert any(a.get("status") == 400 for a in golden.values()) and any(a.get("status") == 404 for a in golden.values())
