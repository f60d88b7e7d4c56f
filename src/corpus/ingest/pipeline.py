"""The ingest pipeline: discover -> read -> normalise (in parallel) -> dedupe -> write -> commit -> report.

Incremental by default: files whose size and mtime are unchanged are not read again, documents
whose content hash is unchanged are not rewritten, and documents whose file has gone are removed.
`rebuild=True` (and the first ingest) builds a new index beside the live one and swaps it in
atomically, so searches never see a half-built index.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import indexdir, spelling
from ..config import Settings
from ..documents import Article, Author, RawRecord, slugify
from ..engines import open_writer
from ..errors import CorpusError
from ..normalize import clean_text, safe_url
from ..readers import CORPUS_DOCS, discover, is_control_file
from ..readers.authors import read_authors_file
from ..readers.base import IGNORED, UNREADABLE, Skipped, display_path, plain_reason, rel_name
from ..search.backend import IndexWriter
from .changes import Run, file_of, file_signature, read_json, write_json
from .parallel import parallel_normalize
from .progress import Progress
from .reading import RemoteReader, group_files, iter_records, open_cluster, split_large
from .report import IngestReport

log = logging.getLogger("corpus.ingest")

BATCH = 200
CLUSTER_TIMEOUT = 10.0  # seconds to reach a Dask scheduler, and for it to have a worker


class Ingester:
    """One ingest run over one or more roots into the index folder."""

    def __init__(self, settings: Settings, mapping: dict[str, str] | None = None, progress: bool | None = None,
                 follow_links: bool = False, keep_suspect: bool = False, cluster: str | None = None,
                 cluster_timeout: float = CLUSTER_TIMEOUT) -> None:
        self.settings = settings
        self.cluster = cluster  # a Dask scheduler's address: read and normalise there (ingest/cluster.py)
        self.cluster_timeout = cluster_timeout
        self.remote: RemoteReader | None = None
        self.index_dir = Path(settings.index_dir)
        self.mapping = mapping or {}
        self.progress = sys.stderr.isatty() if progress is None else progress
        procs = settings.ingest_procs or (os.cpu_count() or 1)
        self.procs = max(1, procs)
        self.follow_links = follow_links
        self.keep_suspect = keep_suspect
        self.roots: list[Path] = []
        self.author_names: dict[str, str] = {}
        self.aliases: dict[str, str] = {}  # slug of a spelling -> the name it is (from the authors files)
        self.source_names: dict[str, Counter[str]] = defaultdict(Counter)  # domain -> publication names seen with it
        self.dropped: Counter[tuple[str, str]] = Counter()  # (author string, why) -> times dropped
        self.words: Counter[str] = Counter()  # words read in this run, for spelling suggestions

    def run(self, roots: list[Path], rebuild: bool = False, wait: bool = False) -> IngestReport:
        """Ingest the roots; returns the report (also saved as last-ingest.json).

        A failure to write the index (a full disk, a read-only folder) raises CorpusError with one
        plain sentence; the build being served is never touched by it.
        """
        started = time.monotonic()
        roots = [Path(os.path.realpath(r)) for r in roots]  # realpath, unlike resolve, never raises on a loop
        for root in roots:
            if not root.exists():
                raise CorpusError(f"no such file or folder: {display_path(str(root))}")
        self.roots = roots
        # The cluster is reached, and seen to read the roots, before the lock or any build is made.
        self.remote = open_cluster(self.cluster, roots, self.cluster_timeout) if self.cluster else None
        try:
            return self._run(roots, rebuild, wait, started)
        finally:
            if self.remote is not None:
                self.remote.close()
                self.remote = None

    def _run(self, roots: list[Path], rebuild: bool, wait: bool, started: float) -> IngestReport:
        report = IngestReport(roots=[display_path(str(r)) for r in roots], index_dir=display_path(str(self.index_dir)),
                              started_at=datetime.now(UTC).isoformat(timespec="seconds"))
        try:
            with indexdir.ingest_lock(self.index_dir, wait=wait):
                self._run_locked(roots, rebuild, report)
                report.seconds = round(time.monotonic() - started, 3)
                try:
                    write_json(self.index_dir / indexdir.REPORT, report.to_json())
                except OSError as exc:  # the new build is in place; only the saved copy of the report is missing
                    log.warning("could not save the report in %s: %s", self.index_dir, plain_reason(exc))
        except OSError as exc:
            where = display_path(str(exc.filename)) if exc.filename else display_path(str(self.index_dir))
            raise CorpusError(f"cannot write the index in {display_path(str(self.index_dir))}: {plain_reason(exc)} "
                              f"({where}); the index being served was not changed") from None
        return report

    def _run_locked(self, roots: list[Path], rebuild: bool, report: IngestReport) -> None:
        # Every ingest writes a new build (a hard-linked copy for incremental runs) and
        # publishes it when done, so the served build is never written to.
        writer = open_writer(self.settings, rebuild=rebuild, procs=self.procs)
        report.build, report.rebuilt = writer.name, writer.fresh
        try:
            try:
                changed = self._ingest_into(writer, roots, report)
            finally:
                writer.close()
        except BaseException:
            writer.discard()
            raise
        _checkpoint("before-swap")
        if changed or writer.fresh:
            clock = time.monotonic()
            writer.publish()  # with Whoosh, after the frequent words' postings are decoded (engines/whoosh/hot.py)
            report.timings["publish"] = round(time.monotonic() - clock, 3)
        else:
            writer.discard()
            report.build = writer.live_name

    # The body of a run, under the lock, into an open build.
    def _ingest_into(self, writer: IndexWriter, roots: list[Path], report: IngestReport) -> bool:
        fresh, build = writer.fresh, writer.folder
        manifest = {} if fresh else read_json(build / indexdir.MANIFEST)
        run = Run(
            report=report, existing=writer.indexed(),
            files=manifest.get("files", {}), duplicates=manifest.get("duplicates", {}),
            author_files=manifest.get("author_files", {}), skips=manifest.get("skips", {}),
        )
        run.by_dedupe = {e.dedupe: doc_id for doc_id, e in run.existing.items()}
        run.current_dedupe = {doc_id: e.dedupe for doc_id, e in run.existing.items()}
        authors_stale = manifest.get("generation") != writer.generation()
        self.author_names = writer.author_names()
        # Every root is walked first, so the aliases of every authors file apply to every record.
        walks = {root: self._walk(root, run) for root in roots}
        self.aliases = _alias_map(run.author_files)
        old_aliases = manifest.get("aliases", {})
        reread = not fresh and old_aliases != self.aliases  # an alias changed: every article is read again
        if reread:
            report.notes.append({"origin": "_authors", "reason": "author aliases changed; every file is read again so "
                                 "each spelling becomes its author everywhere"})
        for domain, name in (manifest.get("source_links") or {}).items():
            self.source_names[domain][name] += 0  # known from an earlier run: a name, with no new evidence
        writer.begin()
        try:
            clock = time.monotonic()
            for root in roots:
                self._ingest_root(writer, root, run, walks[root], reread)
            report.timings["read_and_write"] = round(time.monotonic() - clock, 3)
            if run.changed or authors_stale or fresh:
                _checkpoint("before-commit")
                clock = time.monotonic()
                writer.commit()
                report.timings["commit"] = round(time.monotonic() - clock, 3)
                _checkpoint("after-commit")
                clock = time.monotonic()
                report.author_people, report.author_organisations = self._rebuild_authors(writer, run.author_files)
                report.timings["authors"] = round(time.monotonic() - clock, 3)
                spelling.save(build, self.words, {} if fresh else spelling.load(build))
                run.changed = True
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
        changed = run.changed
        new_manifest = {**run.files, **run.new_files}
        new_duplicates = {**run.duplicates, **run.new_duplicates}
        new_skips = {**run.skips, **run.new_skips}
        author_files = run.author_files
        report.documents, report.authors = writer.counts()
        report.dropped_authors = [{"value": value, "reason": reason, "count": n}
                                  for (value, reason), n in sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0]))]
        links = {**(manifest.get("source_links") or {}), **report.source_links}
        write_json(build / indexdir.MANIFEST, {
            "files": new_manifest, "duplicates": new_duplicates, "skips": new_skips, "author_files": author_files,
            "generation": writer.generation(), "aliases": self.aliases, "source_links": links,
        })
        # A file read again with no document changed (touched, or only its skips changed) changes
        # the manifest alone: the build is served anyway, or the file would be read on every run.
        return changed or any(manifest.get(key, {}) != value for key, value in
                              (("files", new_manifest), ("duplicates", new_duplicates), ("skips", new_skips)))

    def _walk(self, root: Path, run: Run) -> tuple[list[Path], list[Skipped]]:
        """Every file below root (authors files read and left out), and what could not be walked."""
        problems: list[Skipped] = []
        paths: list[Path] = []
        authors_here: dict[str, dict[str, Any]] = {}
        for path in discover(root, follow_links=self.follow_links, within=self.roots, problems=problems):
            if path.name.lower().startswith("_authors."):
                authors_here.update(read_authors_file(path, run.report))
            else:
                paths.append(path)
        run.author_files[display_path(str(root))] = authors_here
        return paths, problems

    def _ingest_root(self, writer: IndexWriter, root: Path, run: Run, walk: tuple[list[Path], list[Skipped]],
                     reread: bool = False) -> None:
        """Read and write one root (walked already); remove documents whose file or record has gone."""
        report, existing = run.report, run.existing
        root_key = display_path(str(root))
        old_files = {} if reread else run.files.get(root_key, {})
        old_duplicates = run.duplicates.get(root_key, {})
        old_skips = {} if reread else run.skips.get(root_key, {})
        root_files: dict[str, list[int]] = {}
        kept_paths: set[str] = set()  # files present now, read or not
        by_rel: dict[str, Path] = {}
        to_read: list[str] = []
        unchanged: list[str] = []
        unreadable: set[str] = set()  # files that exist but cannot be read now: their documents stay
        folder_sigs: dict[Path, list[int]] = {}
        base = root if root.is_dir() else root.parent
        paths, problems = walk
        for path in paths:
            rel = rel_name(path, base)
            if path.name.lower().split(".", 1)[0] in CORPUS_DOCS:
                report.ignored_items.append({"origin": rel, "reason": "the corpus's own documentation, not an article"})
                continue
            if is_control_file(path):
                continue
            if rel != path.relative_to(base).as_posix():
                report.notes.append({"origin": rel, "reason": "the file name is not valid UTF-8; it is read, and shown "
                                     "and stored with each byte that is not UTF-8 written as \\xNN"})
            report.files_seen += 1
            kept_paths.add(rel)
            by_rel[rel] = path
            try:
                root_files[rel] = file_signature(path, root, folder_sigs)
            except OSError as exc:
                report.unreadable(rel, f"cannot read file: {plain_reason(exc)}; the documents already indexed from it are kept")
                unreadable.add(rel)
                continue
            (unchanged if old_files.get(rel) == root_files[rel] else to_read).append(rel)
        unreadable_folders: list[str] = []
        for item in problems:
            if item.kind == UNREADABLE:
                report.unreadable(item.origin, item.reason)
                if item.origin.endswith("/"):
                    unreadable_folders.append("" if item.origin == "./" else item.origin)
                else:
                    unreadable.add(item.origin)
                    kept_paths.add(item.origin)
            elif item.kind == IGNORED:
                report.ignored_items.append({"origin": item.origin, "reason": item.reason})
            else:
                report.skip(item.origin, item.reason)
        if unreadable_folders:
            # A folder that cannot be listed now still holds its files: keep what the last run
            # recorded of them, so their documents are neither read nor removed.
            prefixes = tuple(unreadable_folders)
            for rel, sig in old_files.items():
                if rel not in root_files and rel not in unreadable and rel.startswith(prefixes):
                    root_files[rel] = sig
                    kept_paths.add(rel)
                    unchanged.append(rel)

        # An unchanged file whose duplicates point at a document that is changing or gone is
        # read again, so a duplicate takes the place of its original when that one goes.
        changing = set(to_read)
        for rel in list(unchanged):
            if rel not in by_rel:
                continue
            originals = [existing.get(d["duplicate_of"]) for d in old_duplicates.get(rel, [])]
            if any(o is None or o.path in changing or o.path not in kept_paths for o in originals):
                unchanged.remove(rel)
                to_read.append(rel)
        # Read in the order the files were found, as a first run reads them: the first of two copies
        # read is the original, so another order would swap an original and its copy.
        walked = {rel: i for i, rel in enumerate(by_rel)}
        to_read.sort(key=lambda rel: walked.get(rel, len(walked)))
        read_paths = set(to_read)
        report.files_unchanged += len(unchanged)
        for doc_id, e in existing.items():  # documents of unchanged files stay as they are
            if e.root == root_key and e.path in root_files and e.path not in read_paths:
                report.unchanged += 1
                run.seen_ids[doc_id] = e.path
        kept_duplicates: dict[str, list[dict[str, str]]] = {}
        kept_skips: dict[str, list[dict[str, str]]] = {}
        for rel in unchanged:  # their duplicates are still duplicates, and their skips still skips: say so without reading
            if old_duplicates.get(rel):
                kept_duplicates[rel] = old_duplicates[rel]
                report.duplicate += len(old_duplicates[rel])
                report.duplicates_carried += len(old_duplicates[rel])
                report.duplicate_items.extend(old_duplicates[rel])
            if old_skips.get(rel):
                kept_skips[rel] = old_skips[rel]
                report.skipped += len(old_skips[rel])
                report.skips_carried += len(old_skips[rel])
                report.skipped_items.extend(old_skips[rel])
        first_new_skip = len(report.skipped_items)

        failed_files: set[str] = set()
        first_new_duplicate = len(report.duplicate_items)
        # Articles whose source is only a domain wait (on disk) until every record of the root has
        # been read: a later record may name the publication behind that domain.
        with tempfile.TemporaryFile(prefix="corpus-pending-") as pending:
            waiting = 0
            for found in self._read_all([(by_rel[rel], rel) for rel in to_read], root, report, failed_files, unreadable):
                if isinstance(found, Skipped):  # a record that could not be normalised
                    report.skip(found.origin, found.reason, counted=True, evidence=found.evidence)
                    continue
                self._take_notes(found, report)
                if "source_domain" in found.notes and not self.source_names.get(found.notes["source_domain"]):
                    pickle.dump(found, pending, protocol=pickle.HIGHEST_PROTOCOL)
                    waiting += 1
                    continue
                run.changed |= self._write_article(writer, found, root_key, run, kept_paths, report)
            pending.seek(0)
            for _ in range(waiting):
                article: Article = pickle.load(pending)
                run.changed |= self._write_article(writer, article, root_key, run, kept_paths, report)
        for dup in report.duplicate_items[first_new_duplicate:]:
            kept_duplicates.setdefault(file_of(dup["origin"]), []).append(dup)
        # A file whose records were skipped keeps its signature: while it is unchanged, its skips are
        # reported again from the manifest without reading it (`--rebuild` reads every file again).
        for skip in report.skipped_items[first_new_skip:]:
            if file_of(skip["origin"]) in failed_files:
                kept_skips.setdefault(file_of(skip["origin"]), []).append(skip)
        for rel in unreadable:  # files that could not be read now are read again next time
            root_files.pop(rel, None)
        run.new_files[root_key] = root_files
        run.new_duplicates[root_key] = kept_duplicates
        run.new_skips[root_key] = kept_skips

        # Documents of files that exist but could not be read stay as they were.
        for doc_id, e in existing.items():
            if e.root == root_key and e.path in unreadable and doc_id not in run.seen_ids:
                report.unchanged += 1
                run.seen_ids[doc_id] = e.path
        # Documents whose file has gone, or whose record has gone from a re-read file.
        gone = [doc_id for doc_id, e in existing.items()
                if e.root == root_key and doc_id not in run.seen_ids and (e.path not in kept_paths or e.path in read_paths)]
        for doc_id in gone:
            existing.pop(doc_id)
            writer.delete(doc_id)
            run.current_dedupe.pop(doc_id, None)
            report.removed += 1
            run.changed = True

    def _read_all(self, files: list[tuple[Path, str]], root: Path, report: IngestReport, failed: set[str],
                  unreadable: set[str]) -> Iterator[Article | Skipped]:
        progress = Progress([p for p, _ in files], self.progress)
        if self.remote is None:
            yield from self._read_local(files, root, report, failed, unreadable, progress)
        else:
            # A file too big to come back whole from one task is read here, streamed, in its turn.
            for here, part in split_large(files):
                if here:
                    yield from self._read_local(part, root, report, failed, unreadable, progress)
                else:
                    yield from self._read_remote(self.remote, part, root, report, failed, unreadable, progress)
        progress.close()

    def _read_local(self, files: list[tuple[Path, str]], root: Path, report: IngestReport, failed: set[str],
                    unreadable: set[str], progress: Progress) -> Iterator[Article | Skipped]:
        """Read in this process and normalise in local worker processes, a few batches in flight."""
        # The first records of a structured file wait until the keys of the file are read by
        # their content (readers/detect.py); every record of the file shares its meta.
        records = iter_records(files, root, self.mapping, {}, report.choose_field, progress.file_done)

        def batches() -> Iterator[list[RawRecord]]:
            batch: list[RawRecord] = []
            for rel, item in records:
                if isinstance(item, Skipped):
                    _read_skip(rel, item, report, failed, unreadable)
                    continue
                report.records_seen += 1
                report.inputs += 1
                progress.record()
                batch.append(item)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

        for item in parallel_normalize(batches(), self.procs, self.mapping, self.settings.dayfirst, str(root), self.words,
                                       keep_suspect=self.keep_suspect):
            if isinstance(item, Skipped):
                failed.add(file_of(item.origin))
            yield item

    def _read_remote(self, remote: RemoteReader, files: list[tuple[Path, str]], root: Path, report: IngestReport,
                     failed: set[str], unreadable: set[str], progress: Progress) -> Iterator[Article | Skipped]:
        """Read and normalise on the cluster; replay what each task did, in order, as a local run does it."""
        results = remote.read(group_files(files), str(root), self.mapping, self.settings.dayfirst, self.keep_suspect)
        for result in results:
            self.words.update(result.words)
            for kind, name, value in result.events:
                if kind == "choose":
                    report.choose_field(name, value)
                elif kind == "skip":
                    _read_skip(name, value, report, failed, unreadable)
                elif kind == "done":
                    progress.file_done(Path(name))
                else:
                    report.records_seen += 1
                    report.inputs += 1
                    progress.record()
                    if isinstance(value, Skipped):
                        failed.add(file_of(value.origin))
                    yield value

    def _write_article(self, writer: IndexWriter, article: Article, root_key: str, run: Run, kept_paths: set[str],
                       report: IngestReport) -> bool:
        existing, by_dedupe, seen_ids = run.existing, run.by_dedupe, run.seen_ids
        self._apply_source_name(article)
        # An alias in an authors file is that author everywhere ("R.W.S." -> "R. W. Seton-Watson").
        # Then spellings that share a slug ("R. W. Seton-Watson", "R.W. Seton-Watson") are one author:
        # one facet value and one author page, shown in the first spelling the index met.
        def as_author(name: str) -> str:
            name = self.aliases.get(slugify(name), name)
            return self.author_names.setdefault(slugify(name), name)

        canonical_names = list(dict.fromkeys(as_author(name) for name in article.authors))
        if canonical_names != article.authors:
            article.authors = canonical_names
            orgs = article.extra.get("author_organisations")
            if isinstance(orgs, list):
                article.extra["author_organisations"] = list(dict.fromkeys(as_author(str(n)) for n in orgs))
            article.bios = {as_author(name): bio for name, bio in article.bios.items()}
            article.digest = article.content_hash()
        elif article.bios:
            article.bios = {as_author(name): bio for name, bio in article.bios.items()}
        if article.id in seen_ids:
            # Another file, or an earlier record of this one, has the id already.
            report.skip(article.origin, f"duplicate id {article.id!r}: already used by {seen_ids[article.id]}", counted=True)
            return False
        old = existing.get(article.id)
        # The id belongs to a document of another file; that file still exists unless it is a
        # file of this root that has gone (then this is a move, and the document follows).
        moved_or_same = old is None or (old.root, old.path) == (root_key, article.path)
        if not moved_or_same and old is not None and (old.root != root_key or old.path in kept_paths):
            report.skip(article.origin, f"duplicate id {article.id!r}: already used by {old.path}", counted=True)
            return False
        key = article.dedupe
        canonical = by_dedupe.get(key)
        # The original counts while it is known to stay with the same text: seen in this run
        # (its file unchanged, or read already), or kept under another root. One whose file has
        # gone, or whose text was edited in this run, is not an original any more.
        original_stays = (canonical in seen_ids or (canonical in existing and existing[canonical].root != root_key)) \
            and run.current_dedupe.get(canonical or "") == key
        if canonical is not None and canonical != article.id and original_stays:
            report.duplicate += 1
            report.duplicate_items.append({"origin": article.origin, "id": article.id, "duplicate_of": canonical})
            if old is not None:
                # It used to be indexed on its own; now it is a duplicate of another document.
                existing.pop(article.id)
                writer.delete(article.id)
                run.current_dedupe.pop(article.id, None)
                report.removed += 1
                return True
            return False
        digest = article.digest
        if old is not None and old.hash == digest:
            seen_ids[article.id] = article.path
            by_dedupe[key] = article.id
            run.current_dedupe[article.id] = key
            self._count_indexed(article, report)
            report.unchanged += 1
            report.unchanged_read += 1
            return False
        try:
            # A new id is added; a changed one is added and its old version deleted by number.
            # Neither searches the index, so the cost follows what changed, not the index's size.
            writer.put(article, digest, key)
        except OSError:
            raise
        except Exception as exc:  # one record never stops the ingest
            log.debug("writing %s failed", article.origin, exc_info=True)
            report.skip(article.origin, f"cannot be written to the index: {plain_reason(exc)}", counted=True)
            return False
        seen_ids[article.id] = article.path
        by_dedupe[key] = article.id
        run.current_dedupe[article.id] = key
        self._count_indexed(article, report)
        if old is not None:
            writer.delete(article.id)
            report.updated += 1
        else:
            report.added += 1
        return True

    def _take_notes(self, article: Article, report: IngestReport) -> None:
        """What normalising noted for the report: dropped author strings, a domain linked to a name."""
        for value, reason in article.notes.get("dropped_authors", ()):
            self.dropped[(value, reason)] += 1
        link = article.notes.get("source_link")
        if link:
            self.source_names[link[0]][link[1]] += 1

    def _apply_source_name(self, article: Article) -> None:
        """A source that is only a domain shows the publication name that other records give that domain."""
        domain = article.notes.get("source_domain")
        names = self.source_names.get(domain) if domain else None
        if not names:
            return
        name = max(names.items(), key=lambda kv: (kv[1], kv[0]))[0]
        article.source = name
        article.extra["source_domain"] = domain
        article.notes.pop("source_domain")
        article.notes["source_link"] = [domain, name]
        article.digest = article.content_hash()

    def _count_indexed(self, article: Article, report: IngestReport) -> None:
        if article.region_inferred:
            report.regions_inferred += 1
        link = article.notes.get("source_link")
        if link and article.source == link[1] and article.source != link[0]:
            report.source_links.setdefault(link[0], link[1])
        if "suspect" in article.notes:
            kind, evidence = article.notes["suspect"]
            report.suspects_kept.append({"origin": article.origin, "reason": f"not an article: {kind}", "evidence": evidence})

    def _rebuild_authors(self, writer: IndexWriter, author_files: dict[str, dict[str, dict[str, Any]]]) -> tuple[int, int]:
        """Recompute every author document from the articles and the authors files."""
        extra: dict[str, dict[str, Any]] = {}
        for per_root in author_files.values():
            for name, info in per_root.items():
                extra[slugify(name)] = info
        authors: dict[str, Author] = {}
        for byline in writer.bylines():
            date = byline.date
            for name in byline.authors:
                slug = slugify(name)
                author = authors.setdefault(slug, Author(slug=slug, name=name))
                author.article_count += 1
                if date is not None:
                    author.first_date = min(author.first_date or date, date)
                    author.last_date = max(author.last_date or date, date)
                for source in byline.sources:
                    if source not in author.sources:
                        author.sources.append(source)
                bio = byline.bios.get(name)
                if bio and len(bio) > len(author.bio):
                    author.bio = bio
                if name in byline.organisations:
                    author.organisation = True
        for slug, author in authors.items():
            info = extra.get(slug) or {}
            if info.get("bio"):
                author.bio = clean_text(info["bio"])
            author.url = safe_url(info.get("url"))
            author.aliases = [a for a in info.get("aliases") or () if a != author.name]
        writer.put_authors(authors.values())
        return (sum(1 for a in authors.values() if not a.organisation), sum(1 for a in authors.values() if a.organisation))


def _read_skip(rel: str, item: Skipped, report: IngestReport, failed: set[str], unreadable: set[str]) -> None:
    """A file or line that could not be read: unreadable now (its documents stay) or skipped (named)."""
    if item.kind == UNREADABLE:
        unreadable.add(rel)
        report.unreadable(item.origin, item.reason + "; the documents already indexed from it are kept")
    else:
        failed.add(rel)
        report.skip(item.origin, item.reason, evidence=item.evidence)


def _checkpoint(name: str) -> None:
    """A fault-injection point for the crash-safety tests: CORPUS_TEST_PAUSE_AT=name stops here.

    The process announces the point on stderr and sleeps (for an hour, or for the seconds given
    as name:seconds), so a test can SIGKILL it exactly there, or just after it. Unset (always,
    outside those tests), this does nothing.
    """
    wanted = os.environ.get("CORPUS_TEST_PAUSE_AT", "")
    point, _, seconds = wanted.partition(":")
    if point == name:
        print(f"corpus-checkpoint {name}", file=sys.stderr, flush=True)
        time.sleep(float(seconds) if seconds else 3600)


def ingest(paths: list[Path], settings: Settings, *, rebuild: bool = False, wait: bool = False,
           mapping: dict[str, str] | None = None, progress: bool | None = None,
           follow_links: bool = False, keep_suspect: bool = False, cluster: str | None = None,
           cluster_timeout: float = CLUSTER_TIMEOUT) -> IngestReport:
    """Ingest paths into settings.index_dir and return the report.

    `keep_suspect` indexes error pages, bot challenges, walls and bare paywall notices (flagged in
    their metadata) instead of skipping them. `cluster` (a Dask scheduler's address) reads and
    normalises on that cluster; the index, the report and the rules are the same as without it.
    """
    return Ingester(settings, mapping=mapping, progress=progress, follow_links=follow_links, keep_suspect=keep_suspect,
                    cluster=cluster, cluster_timeout=cluster_timeout).run(paths, rebuild=rebuild, wait=wait)


def _alias_map(author_files: dict[str, dict[str, dict[str, Any]]]) -> dict[str, str]:
    """slug of each alias -> the author's name, from every authors file (a name is never an alias of another)."""
    names = {slugify(name) for per_root in author_files.values() for name in per_root}
    out: dict[str, str] = {}
    for per_root in author_files.values():
        for name, info in per_root.items():
            for alias in info.get("aliases") or ():
                slug = slugify(alias)
                if slug != slugify(name) and slug not in names:
                    out.setdefault(slug, name)
    return out
