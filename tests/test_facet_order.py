"""Facet counts and their order against brute force over the hits: by count, then value case aside, then as stored.

The Whoosh engine sorts a facet's values with numpy and turns only the page (and any selected
value past it) into Python objects; this checks the page, the number of distinct values and the
selected values' counts against counts made from every hit's own stored values.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from corpus.engines.whoosh import WhooshBackend
from corpus.ingest import ingest
from corpus.search.types import SearchRequest
from support import write_corpus

FIRST = ["Ana", "bo", "Cy", "Dee", "eli", "Fay", "Gus", "hal", "Ivo", "Jo"]
LAST = ["Lima", "chen", "Diaz", "Okoro", "smith"]
WORDS = ["oil", "price", "said", "grain", "bank", "rate", "trade", "gold"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> WhooshBackend:
    rng = random.Random(5)
    files = {}
    for n in range(400):
        author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
        region = rng.choice(["France", "Japan", "Brazil", "Kenya", "Chile", "Peru", "Iran"])
        files[f"d{n:03d}.txt"] = f"Title: T{n}\nAuthor: {author}\nDate: 1990-01-0{rng.randint(1, 9)}\nRegion: {region}\n\n{body}."
    data, settings = write_corpus(tmp_path_factory.mktemp("facets"), files)
    assert ingest([data], settings, progress=False).exit_code == 0
    return WhooshBackend(settings)


def _expected(service: WhooshBackend, name: str, req: SearchRequest) -> list[tuple[str, int]]:
    """Every value's count over the hits of the request without this facet's own selection, sorted."""
    others = tuple((n, v) for n, v in req.filters if n != name)
    everything = service.search(SearchRequest(q=req.q, filters=others, per_page=1000, highlight=False, timeline=False))
    assert everything.total <= 1000
    counts: Counter[str] = Counter()
    for hit in everything.hits:
        values = {"author": hit.authors, "region": hit.region}[name]
        counts.update(set(values))
    return sorted(counts.items(), key=lambda p: (-p[1], p[0].casefold(), p[0]))


@pytest.mark.parametrize("q", ["", "oil", "said AND gold", "nosuchword"])
@pytest.mark.parametrize("name", ["author", "region"])
def test_facet_pages_match_brute_force(service: WhooshBackend, q: str, name: str) -> None:
    base = SearchRequest(q=q)
    expected = _expected(service, name, base)
    if not expected:
        assert service.search(base).facets[name].values == []
        return
    # One value from far down the list selected: it shows after the page, with its count.
    far = expected[-1][0]
    for size in (3, 5, 50):
        req = SearchRequest(q=q, facet_size=size, filters=((name, (far,)),) if len(expected) > size else ())
        facet = service.search(req).facets[name]
        page = [(v.value, v.count) for v in facet.values]
        want = _expected(service, name, req)
        assert page[:size] == want[:size], (size, q)
        assert facet.distinct == len(want)
        if len(expected) > size:
            assert page[-1] == (far, dict(want)[far]) and facet.values[-1].selected
    for page_no in (1, 2, 3):
        facet = service.facet_values(name, base, page=page_no, size=4)
        assert [(v.value, v.count) for v in facet.values] == expected[(page_no - 1) * 4:page_no * 4]
        assert facet.distinct == len(expected)
    prefixed = service.facet_values(name, base, prefix=expected[0][0][:2].lower(), size=50)
    folded = expected[0][0][:2].casefold()
    assert [(v.value, v.count) for v in prefixed.values] == [p for p in expected if p[0].casefold().startswith(folded)
                                                            or any(w.startswith(folded) for w in p[0].casefold().split())]
