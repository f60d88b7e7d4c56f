"""What an ingest did: the report saved as last-ingest.json and printed by the CLI, and the exit codes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import indexdir

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_SKIPPED = 3  # the ingest finished, but some files or records were skipped (see the report)
EXIT_LOCKED = 4  # another ingest holds the lock
SHOWN_DUPLICATES = 20  # in the printed summary; the JSON report lists them all (skips are always all printed)


@dataclass
class IngestReport:
    """What an ingest did; saved as JSON beside the index and printed by the CLI."""

    roots: list[str]
    index_dir: str
    build: str = ""
    rebuilt: bool = False
    files_seen: int = 0
    files_unchanged: int = 0
    records_seen: int = 0
    inputs: int = 0  # records read plus files and lines that could not be read: each ends as one outcome below
    unchanged_read: int = 0  # read again (the file changed) but the document had not
    duplicates_carried: int = 0  # duplicates in unchanged files, reported again without reading
    skips_carried: int = 0  # skipped records of unchanged files, reported again without reading
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicate: int = 0
    skipped: int = 0
    authors: int = 0
    documents: int = 0
    seconds: float = 0.0
    started_at: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    skipped_items: list[dict[str, str]] = field(default_factory=list)
    duplicate_items: list[dict[str, str]] = field(default_factory=list)
    ignored_items: list[dict[str, str]] = field(default_factory=list)  # README, LICENSE: not articles
    kept_items: list[dict[str, str]] = field(default_factory=list)  # could not be read now: documents kept
    notes: list[dict[str, str]] = field(default_factory=list)  # read, with something to know (a renamed file)
    # Metadata: what was read by content, what was dropped from bylines, what was inferred or linked.
    field_choices: list[dict[str, Any]] = field(default_factory=list)  # keys read by their content (readers/detect.py)
    dropped_authors: list[dict[str, Any]] = field(default_factory=list)  # {"value", "reason", "count"}, most first
    regions_inferred: int = 0  # documents read in this run whose region was inferred from their text
    source_links: dict[str, str] = field(default_factory=dict)  # domain -> the publication name it was shown as
    suspects_kept: list[dict[str, str]] = field(default_factory=list)  # non-articles indexed with --keep-suspect
    author_people: int = 0
    author_organisations: int = 0

    @property
    def exit_code(self) -> int:
        return EXIT_SKIPPED if self.skipped_items or self.kept_items else EXIT_OK

    def unreadable(self, origin: str, reason: str) -> None:
        """Name a file or folder that exists but cannot be read now; its documents stay indexed."""
        self.inputs += 1
        self.skipped += 1
        self.kept_items.append({"origin": origin, "reason": reason})

    def skip(self, origin: str, reason: str, counted: bool = False, evidence: str = "") -> None:
        """Name a rejected input; `counted` when it was already counted as a record read."""
        self.skipped += 1
        if not counted:
            self.inputs += 1
        item = {"origin": origin, "reason": reason}
        if evidence:
            item["evidence"] = evidence
        self.skipped_items.append(item)

    def choose_field(self, rel: str, note: dict[str, Any]) -> None:
        """Record a key read (or offered) by its content; the same choice in many files is one entry."""
        for entry in self.field_choices:
            if (entry["field"], entry["key"], entry["used"]) == (note["field"], note["key"], note["used"]):
                entry["files"] += 1
                entry["matching"] += note["matching"]
                entry["values"] += note["values"]
                return
        self.field_choices.append({**note, "files": 1, "first_file": rel})

    @property
    def reconciliation(self) -> dict[str, int | bool]:
        """Every input read in this run is indexed, a duplicate, or rejected: nothing is lost."""
        indexed = self.added + self.updated + self.unchanged_read
        duplicate = self.duplicate - self.duplicates_carried
        rejected = self.skipped - self.skips_carried
        return {"inputs": self.inputs, "indexed": indexed, "duplicate": duplicate, "rejected": rejected,
                "balanced": self.inputs == indexed + duplicate + rejected}

    def summary(self) -> str:
        """A few human lines, then every skipped item with its reason."""
        lines = [
            f"ingested {', '.join(self.roots)} into {self.index_dir} in {self.seconds:.1f}s"
            + (" (new build)" if self.rebuilt else ""),
            f"files seen {self.files_seen} (unchanged {self.files_unchanged}); records seen {self.records_seen}",
            f"documents: added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, duplicate {self.duplicate}, skipped {self.skipped}",
            f"index now holds {self.documents} articles and {self.authors} authors",
            "inputs read {inputs} = indexed {indexed} + duplicate {duplicate} + rejected {rejected}".format(**self.reconciliation)
            + ("" if self.reconciliation["balanced"] else "  (DOES NOT BALANCE: please report this)"),
        ]
        lines.extend(self._metadata_lines())
        for item in self.ignored_items:
            lines.append(f"  ignored {item['origin']}: {item['reason']}")
        for item in self.notes:
            lines.append(f"  note {item['origin']}: {item['reason']}")
        for item in self.duplicate_items[:SHOWN_DUPLICATES]:
            lines.append(f"  duplicate {item['origin']}: same title and body as {item['duplicate_of']}")
        if len(self.duplicate_items) > SHOWN_DUPLICATES:
            lines.append(f"  ... and {len(self.duplicate_items) - SHOWN_DUPLICATES} more duplicates, "
                         f"every one listed in {Path(self.index_dir) / indexdir.REPORT}")
        for item in self.skipped_items:
            lines.append(f"  skipped {item['origin']}: {item['reason']}"
                         + (f" (\u201c{item['evidence']}\u201d)" if item.get("evidence") else ""))
        for item in self.kept_items:
            lines.append(f"  not read {item['origin']}: {item['reason']}")
        return "\n".join(lines)

    def _metadata_lines(self) -> list[str]:
        lines = []
        if self.author_organisations:
            lines.append(f"authors: {self.author_people} people and {self.author_organisations} organisations "
                         "(wire services, newsrooms, desks)")
        for c in self.field_choices:
            where = c["first_file"] + (f" and {c['files'] - 1} more files" if c["files"] > 1 else "")
            if c["used"]:
                lines.append(f"  read `{c['key']}` as {c['field']} by its content in {where}: {self._reason(c)}")
            else:
                lines.append(f"  not read `{c['key']}` ({c['field']} candidate) in {where}: {self._reason(c)}")
        if self.regions_inferred:
            lines.append(f"regions inferred from the text for {self.regions_inferred:,} documents "
                         "(marked as inferred in their metadata)")
        for domain, name in self.source_links.items():
            lines.append(f"  source {domain} shown as {name!r}: records name it so")
        if self.dropped_authors:
            total = sum(d["count"] for d in self.dropped_authors)
            lines.append(f"author strings dropped: {total:,} ({len(self.dropped_authors):,} distinct)")
            for d in self.dropped_authors[:SHOWN_DUPLICATES]:
                lines.append(f"  dropped author {d['value']!r} x{d['count']:,}: {d['reason']}")
            if len(self.dropped_authors) > SHOWN_DUPLICATES:
                lines.append(f"  ... and {len(self.dropped_authors) - SHOWN_DUPLICATES:,} more, every one listed in "
                             f"{Path(self.index_dir) / indexdir.REPORT}")
        for item in self.suspects_kept:
            lines.append(f"  kept {item['origin']} (--keep-suspect): {item['reason']}")
        return lines

    @staticmethod
    def _reason(choice: dict[str, Any]) -> str:
        # The counts over every file the choice was made in; the reason's own words after them.
        _, _, tail = choice["reason"].partition(" values are ")
        if not tail or choice["field"] == "facet":
            return str(choice["reason"])
        return f"{choice['matching']:,} of {choice['values']:,} values are {tail}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        data["reconciliation"] = self.reconciliation
        return data
