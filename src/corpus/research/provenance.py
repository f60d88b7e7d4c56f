"""What an answer was computed on, so that it can be cited and checked: provenance, citations, bundles.

Every research answer, page and export carries the query as typed and as understood, the filters,
the index build, the counts and the denominators used, the software version and the time. A bundle
is a zip of the data files, their SHA-256 and a provenance.json; the data files depend only on the
request and the build (never on the time), so the same request on the same build gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..search.types import IndexInfo, SearchRequest

SOFTWARE = {"name": "corpus", "version": __version__}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: entries carry no time of their own


def now() -> str:
    """The time of an answer, UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def query_json(req: SearchRequest, parsed: str, role: str = "query", label: str | None = None) -> dict[str, Any]:
    """One search as typed and as understood, with its filters and dates."""
    out: dict[str, Any] = {"role": role, "q": req.q, "parsed": parsed, "filters": req.filter_dict,
                           "from": req.date_from.isoformat() if req.date_from else None,
                           "to": req.date_to.isoformat() if req.date_to else None}
    if label is not None:
        out["label"] = label
    return out


def provenance(kind: str, url: str, queries: list[dict[str, Any]], index: IndexInfo, version: str,
               counts: dict[str, Any], denominators: dict[str, Any], options: dict[str, Any] | None = None,
               generated: str | None = None) -> dict[str, Any]:
    """The provenance block of an answer (the same keys for every kind of answer)."""
    return {
        "kind": kind, "url": url, "queries": queries, "options": options or {},
        "counts": counts, "denominators": denominators,
        "index": {"build": index.build, "documents": index.documents, "updated": index.updated, "index_version": version},
        "software": dict(SOFTWARE), "generated": generated or now(),
    }


def citation(note: dict[str, Any], address: str) -> str:
    """A plain-text citation of an answer from its provenance."""
    parts = []
    for q in note["queries"]:
        text = f"“{q['q']}”" if q["q"] else "all documents"
        filters = "; ".join(f"{k}: {', '.join(v)}" for k, v in q["filters"].items())
        dates = f"{q['from'] or '…'} to {q['to'] or '…'}" if q["from"] or q["to"] else ""
        extra = ", ".join(x for x in (filters, dates) if x)
        label = f"{q['label']}: " if q.get("label") else ""
        parts.append(f"{label}{text}" + (f" ({extra})" if extra else "") + (f", understood as {q['parsed']}" if q["parsed"] and q["parsed"] != q["q"] else ""))
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in note["counts"].items() if isinstance(v, int))
    index = note["index"]
    software = note["software"]
    return (f"corpus {note['kind']} of {'; '.join(parts)}. {counts}. Index build {index['build']} "
            f"({index['documents']:,} documents), {software['name']} {software['version']}. "
            f"Retrieved {note['generated']} from {address}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle(files: dict[str, bytes], note: dict[str, Any]) -> bytes:
    """A zip of the data files, SHA256SUMS and provenance.json (which lists each file's digest and size)."""
    note = {**note, "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in files.items()}}
    sums = "".join(f"{sha256(data)}  {name}\n" for name, data in files.items())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in [*files.items(), ("SHA256SUMS", sums.encode()),
                           ("provenance.json", (json.dumps(note, ensure_ascii=False, indent=1) + "\n").encode())]:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()
