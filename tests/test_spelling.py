"""The word list behind "did you mean": counted at ingest, merged across runs, one per build."""

from __future__ import annotations

from collections import Counter

from corpus import indexdir, spelling
from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.search import SearchRequest
from support import write_corpus


def test_count_words_keeps_words_of_three_to_24_letters_lower_cased():
    counts = spelling.count_words(["Oil, oil and OIL prices; 1987 a an", "x" * 30 + " Exporters"])
    assert counts == Counter({"oil": 3, "and": 1, "prices": 1, "exporters": 1})


def test_save_merges_with_the_previous_list(tmp_path):
    spelling.save(tmp_path, Counter({"grain": 2}), {"grain": 1, "wheat": 4})
    assert spelling.load(tmp_path) == {"grain": 3, "wheat": 4}
    assert spelling.load(tmp_path / "missing") == {}


def test_each_build_carries_the_words_of_every_ingest_so_far(tmp_path):
    data, settings = write_corpus(tmp_path, {"a.txt": "Title: Grain\n\nWheat harvest news.\n"})
    ingest([data], settings, progress=False)
    (data / "b.txt").write_text("Title: Metals\n\nCopper prices rose.\n")
    ingest([data], settings, progress=False)
    words = spelling.load(indexdir.current_build(settings.index_dir))
    assert {"wheat", "harvest", "copper", "prices"} <= set(words)
    svc = open_backend(settings)
    assert svc.search(SearchRequest(q="coper")).suggestion == "copper"
    assert svc.search(SearchRequest(q="harvets")).suggestion == "harvest"
