"""A generated fixture corpus for the concordance and collocation tests, and an app serving it."""

from __future__ import annotations

import json
import random
from pathlib import Path

from corpus.ingest import ingest
from corpus.web import create_app
from support import make_settings

WORDS = ("oil", "crude", "prices", "rose", "fell", "sharply", "said", "the", "market", "traders", "Café", "cafe",
         "export", "exports", "exporters", "exported", "interest", "rates", "bank", "of", "a", "to", "in", "OPEC",
         "Zürich", "zurich", "grain", "wheat")
SOURCES = ("Reuters", "Wire Service", "the Gazette")
N = 70


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 12))]
    if rng.random() < 0.3:
        at = rng.randint(0, len(words) - 1)
        words[at:at] = ["crude", "oil"]
    if rng.random() < 0.2:
        words += ["interest", "rates"]
    return " ".join(words) + rng.choice([".", ".", "!", "?", ";"])


def documents() -> list[dict]:
    rng = random.Random(17)
    docs = []
    for n in range(N):
        paragraphs = ["  ".join(sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 3))]
        doc = {"id": f"doc-{n:03d}", "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize(),
               "body": "\n\n".join(paragraphs), "source": rng.choice(SOURCES), "language": "en"}
        if n % 9:
            doc["date"] = f"{1985 + n % 4}-{1 + n % 12:02d}-{1 + n % 27:02d}"
        docs.append(doc)
    # A line that starts like a formula, for the export's neutralising.
    docs[3]["body"] = "Hyperlink =SUM(1) oil said. " + docs[3]["body"]
    return docs



def build_app(tmp: Path):
    """The app over an index of the generated corpus."""
    data = tmp / "data"
    data.mkdir()
    (data / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in documents()) + "\n", encoding="utf-8")
    settings = make_settings(tmp)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    return create_app(settings)
