"""The benchmark corpora: Reuters-21578 as shipped, a scaled-up generator, and a 1%-changed copy.

Everything generated is written under bench/work/ (gitignored). Corpora are JSON Lines, the format
Reuters ships in. While the project has no JSON Lines reader, they are written as plain-text files
with a `Key: value` header block instead, which the text reader understands; the results say which.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import REUTERS, WORK, log

LINES_PER_FILE = 20_000
HEADER_KEYS = (("id", "ID"), ("title", "Title"), ("author", "Author"), ("date", "Date"), ("source", "Source"))


def jsonl_supported() -> bool:
    """Whether `corpus ingest` has a reader for .jsonl files."""
    from corpus.readers import reader_for

    return reader_for(Path("corpus.jsonl")) is not None


def reuters_file() -> Path:
    """The shipped Reuters JSON Lines file."""
    return REUTERS / "reuters21578.jsonl"


def load_reuters() -> list[dict[str, Any]]:
    """Every Reuters record as a dict, in file order."""
    with open(reuters_file(), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _txt(rec: dict[str, Any]) -> str:
    lines = [f"{label}: {' '.join(str(rec[key]).split())}" for key, label in HEADER_KEYS if rec.get(key)]
    if rec.get("region"):
        lines.append("Region: " + "; ".join(rec["region"]))
    if rec.get("topics"):
        lines.append("Topics: " + "; ".join(rec["topics"]))
    # A title-less record still needs a header key, so the body is never taken for a title.
    body = (rec.get("body") or "").replace("\r", "")
    return "\n".join(lines) + "\n\n" + body + "\n"


def write_corpus(folder: Path, records: Iterator[dict[str, Any]] | list[dict[str, Any]], fmt: str) -> int:
    """Write records into folder as JSON Lines files or one text file each; returns the bytes written."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    written = 0
    if fmt == "jsonl":
        fh = None
        for n, rec in enumerate(records):
            if n % LINES_PER_FILE == 0:
                if fh:
                    fh.close()
                fh = open(folder / f"part-{n // LINES_PER_FILE:04d}.jsonl", "w", encoding="utf-8")  # noqa: SIM115
            line = json.dumps(rec, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode("utf-8"))
        if fh:
            fh.close()
        return written
    for n, rec in enumerate(records):
        sub = folder / f"{n // 1000:04d}"
        if n % 1000 == 0:
            sub.mkdir()
        data = _txt(rec).encode("utf-8")
        (sub / f"{rec['id']}.txt").write_bytes(data)
        written += len(data)
    return written


def corpus_bytes(folder: Path) -> int:
    """Total size of the document files of a corpus."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _paragraphs(body: str) -> list[str]:
    # Reuters marks paragraphs with an indented line, not a blank one.
    return [p.strip() for p in body.replace("\n    ", "\n\n").split("\n\n") if p.strip()]


def generate(base: list[dict[str, Any]], scale: int, seed: int = 21578) -> Iterator[dict[str, Any]]:
    """`scale` copies of Reuters with new ids, dates spread over `scale` years, and varied bodies.

    Copy c keeps each article's title and text but adds one paragraph of another real article, so
    no generated document is a duplicate of another (ingest drops exact duplicates), and moves the
    date to a random day of year 1987 + c.
    """
    rng = random.Random(seed)
    paragraphs = [_paragraphs(r.get("body") or "") for r in base]
    donors = [i for i, ps in enumerate(paragraphs) if ps]
    for c in range(scale):
        year_start = datetime(1987 + c, 1, 1)
        for i, rec in enumerate(base):
            donor = paragraphs[rng.choice(donors)]
            extra = donor[rng.randrange(len(donor))]
            out = dict(rec)
            out["id"] = f"gen{c}-{rec['id']}"
            out["body"] = "\n\n".join([*paragraphs[i], extra])
            when = year_start + timedelta(days=rng.randrange(365), seconds=rng.randrange(86400))
            out["date"] = when.isoformat()
            yield out


def build_scaled(base: list[dict[str, Any]], scale: int, fmt: str) -> Path:
    """Write the scale-x corpus under bench/work/corpora/ (reused when already there)."""
    folder = WORK / "corpora" / f"scale-{scale}x-{fmt}"
    stamp = folder / ".complete"
    if stamp.exists():
        return folder
    log(f"generating the {scale}x corpus ({scale * len(base):,} documents, {fmt})")
    write_corpus(folder, generate(base, scale), fmt)
    (folder / ".complete").write_text("ok\n")  # hidden, so ingest never reads it
    return folder


def reuters_copy(base: list[dict[str, Any]], fmt: str) -> Path:
    """A private copy of the Reuters records that the 1%-changed re-ingest may edit."""
    folder = WORK / "corpora" / f"reuters-copy-{fmt}"
    if fmt == "jsonl":
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        with open(folder / "reuters21578.jsonl", "w", encoding="utf-8") as fh:
            for rec in base:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    else:
        write_corpus(folder, base, fmt)
    return folder


def change_one_percent(folder: Path, base: list[dict[str, Any]], fmt: str, seed: int = 7) -> int:
    """Edit the body of 1% of the documents in a Reuters copy; returns how many were changed."""
    rng = random.Random(seed)
    picked = set(rng.sample(range(len(base)), len(base) // 100))
    records = []
    for i, rec in enumerate(base):
        if i in picked:
            rec = dict(rec, body=(rec.get("body") or "") + "\n    Corrected figures were issued later the same day.")
        records.append(rec)
    if fmt == "jsonl":
        with open(folder / "reuters21578.jsonl", "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    else:
        for n, rec in enumerate(records):
            if n in picked:
                (folder / f"{n // 1000:04d}" / f"{rec['id']}.txt").write_text(_txt(rec), encoding="utf-8")
    return len(picked)
