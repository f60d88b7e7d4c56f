"""The `corpus` command: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from .config import Settings
from .engines import check_engine, open_backend
from .errors import BadRequest, CorpusError, IngestLocked
from .fields import FACETS, SORTS, SYNONYMS
from .ingest import EXIT_LOCKED, ingest
from .search.request import QueryParams, parse_search
from .search.serialize import result_json
from .search.types import SearchRequest

EPILOG_SETTINGS = "\n".join(f"  {env:<26} {help} (default: {default})" for env, help, default in Settings.documented())


def _parse_mapping(pairs: list[str], files: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for name in files:
        try:
            data = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CorpusError(f"cannot read mapping file {name}: {exc}") from None
        if not isinstance(data, dict):
            raise CorpusError(f"mapping file {name} must map our field names to yours, e.g. title: article")
        mapping.update({str(k): str(v) for k, v in (data.get("mapping", data)).items()})
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours or not theirs:
            raise CorpusError(f"--map takes OURS=THEIRS, e.g. --map title=article, not {pair!r}")
        mapping[ours.strip()] = theirs.strip()
    for ours in mapping:
        if ours not in SYNONYMS:
            raise CorpusError(f"--map: unknown field {ours!r}; fields are {', '.join(SYNONYMS)}")
    return mapping


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    paths = [Path(p) for p in args.paths] or [settings.data_dir]
    mapping = _parse_mapping(args.map or [], args.mapping_file or [])
    try:
        report = ingest(paths, settings, rebuild=args.rebuild, wait=args.wait, mapping=mapping,
                        progress=None if not args.quiet else False, follow_links=args.follow_links,
                        keep_suspect=args.keep_suspect, cluster=args.cluster or settings.dask or None,
                        cluster_timeout=settings.dask_timeout)
    except IngestLocked as exc:
        print(f"corpus ingest: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report.summary())
        print(f"report saved to {Path(settings.index_dir) / 'last-ingest.json'}")
    return report.exit_code


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    env = dict(os.environ, CORPUS_INDEX_DIR=str(Path(settings.index_dir).resolve()),
               CORPUS_HOST=host, CORPUS_PORT=str(port))
    if args.workers:
        env["CORPUS_WORKERS"] = str(args.workers)
    conf = Path(__file__).resolve().parent / "gunicorn_conf.py"
    argv = [sys.executable, "-m", "gunicorn", "-c", str(conf), "corpus.web:create_app()"]
    print(f"serving {settings.index_dir} on http://{host}:{port}", file=sys.stderr)
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def _search_request(args: argparse.Namespace, settings: Settings) -> SearchRequest:
    pairs = [("q", args.query), ("sort", args.sort), ("page", str(args.page)), ("per_page", str(args.limit))]
    for facet in FACETS:
        if facet.cli_help is not None:
            pairs += [(facet.name, v) for v in getattr(args, facet.name) or []]
    if args.date_from:
        pairs.append(("from", args.date_from))
    if args.date_to:
        pairs.append(("to", args.date_to))
    return parse_search(QueryParams(pairs), settings)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    result = open_backend(settings).search(_search_request(args, settings))
    if args.json:
        # The parameters of a bare /api/search: toggle URLs select one value, as the API's would.
        print(json.dumps(result_json(result, QueryParams()), indent=2, ensure_ascii=False))
        return 0
    print(f"{result.total} articles for {result.parsed} ({result.took_ms:.0f} ms)")
    for hit in result.hits:
        date = hit.date.date().isoformat() if hit.date else "undated"
        print(f"\n{hit.id}  {hit.title}\n  {', '.join(hit.authors) or 'unsigned'} · {date} · {hit.source or 'unknown source'}")
        print("  " + re.sub(r"</?mark>", "*", re.sub(r"&(amp|lt|gt|quot|#x27);", lambda m: {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#x27": "'"}[m.group(1)], hit.snippet)))
    if result.suggestion:
        print(f"\ndid you mean: {result.suggestion}")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    stats = open_backend(settings).stats()
    if args.json:

        out: dict[str, Any] = {"documents": stats.documents, "authors": stats.authors, "sources": stats.sources,
                               "regions": stats.regions, "undated": stats.undated, "date_span": stats.date_span}
        out["index"] = asdict(stats.index)
        out["facets"] = {n: [(v.value, v.count) for v in f.values] for n, f in stats.facets.items()}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    info = stats.index
    print(f"index {settings.index_dir} (build {info.build}, updated {info.updated})")
    print(f"{stats.documents} articles, {stats.authors} authors, {stats.sources} sources, {stats.regions} regions")
    span = stats.date_span
    print(f"dates {span[0]} to {span[1]}" if span else "no dated articles", f"({stats.undated} undated)")
    for name, facet in stats.facets.items():
        print(f"top {name}: " + ", ".join(f"{v.value} ({v.count})" for v in facet.values[:5]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; its --help is checked against the README by a test."""
    parser = argparse.ArgumentParser(
        prog="corpus", description="A searchable full-text corpus server.",
        epilog="settings (environment variables):\n" + EPILOG_SETTINGS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--index-dir", help="index folder (default: $CORPUS_INDEX_DIR or index/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="read documents into the index (incremental)",
                       description="Read documents into the index. Exit codes: 0 all inputs read; "
                       "3 some files or records were skipped (listed in the report); 4 another ingest is running; 1 error.")
    p.add_argument("paths", nargs="*", help="files or folders to read (default: $CORPUS_DATA_DIR or corpus_data/)")
    p.add_argument("--rebuild", action="store_true", help="build a new index beside the live one and swap it in")
    p.add_argument("--wait", action="store_true", help="wait for a running ingest to finish instead of refusing")
    p.add_argument("--map", action="append", metavar="OURS=THEIRS", help="use the record field THEIRS as our field OURS, e.g. title=article")
    p.add_argument("--mapping-file", action="append", metavar="FILE", help="a YAML or JSON file of OURS: THEIRS field pairs")
    p.add_argument("--dayfirst", action="store_true", default=None, help="read ambiguous dates such as 03/04/2025 as day/month")
    p.add_argument("--follow-links", action="store_true",
                   help="also read files and folders that symbolic links lead to outside the given paths")
    p.add_argument("--keep-suspect", action="store_true",
                   help="index error pages, bot challenges, login and cookie walls and bare paywall notices "
                   "(flagged in their metadata) instead of skipping them")
    p.add_argument("--cluster", metavar="tcp://HOST:PORT",
                   help="read and normalise as tasks on this Dask scheduler's workers (needs corpus[cluster]; "
                   "the inputs on a path every worker can read); default: $CORPUS_DASK")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("serve", help="serve the web app and the API with gunicorn")
    p.add_argument("--host", help="address to listen on (default: $CORPUS_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: $CORPUS_PORT or 8000)")
    p.add_argument("--workers", type=int, help="worker processes (default: $CORPUS_WORKERS or one per core)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("search", help="search from the command line")
    p.add_argument("query", help="a query in the query language (see /help)")
    for facet in FACETS:
        if facet.cli_help is not None:
            p.add_argument(f"--{facet.name}", action="append", help=facet.cli_help)
    p.add_argument("--from", dest="date_from", help="from this date (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", help="up to this date, inclusive")
    p.add_argument("--sort", default="relevance", choices=SORTS, help="order of results")
    p.add_argument("--page", type=int, default=1, help="page number")
    p.add_argument("--limit", type=int, default=10, help="results per page")
    p.add_argument("--json", action="store_true", help="print the same JSON as /api/search")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", help="what the index holds")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `corpus` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        overrides: dict[str, Any] = {"index_dir": Path(args.index_dir) if args.index_dir else None}
        if getattr(args, "dayfirst", None):
            overrides["dayfirst"] = True
        settings = Settings.from_env(**overrides)
        check_engine(settings.engine)
        return int(args.func(args, settings))
    except BadRequest as exc:
        print(f"corpus {args.command}: {exc.message}", file=sys.stderr)
        return 2
    except CorpusError as exc:
        print(f"corpus {args.command}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"corpus {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
