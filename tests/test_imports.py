"""The module graph has no cycles, and no import hides inside a function except optional or heavy ones."""

from __future__ import annotations

import ast
import sys

from support import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import import_cycles

# Imported where they are used: an optional extra (tqdm), a heavy one used by one reader, a platform call.
LAZY_OK = {"tqdm", "trafilatura", "ctypes"}


def test_no_import_cycles_between_corpus_modules():
    assert import_cycles.cycles() == []


def test_no_imports_inside_functions():
    hidden = []
    for path in sorted((ROOT / "src" / "corpus").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import):
                        names = [a.name for a in inner.names]
                    elif isinstance(inner, ast.ImportFrom):
                        names = [("." * inner.level) + (inner.module or "")]
                    else:
                        continue
                    hidden += [f"{path.relative_to(ROOT)}:{inner.lineno} {n}" for n in names if n.split(".")[0] not in LAZY_OK]
    assert hidden == []


def test_only_the_whoosh_engine_imports_whoosh():
    import re

    pattern = re.compile(r"^\s*(from|import) whoosh", re.MULTILINE)
    engine = ROOT / "src" / "corpus" / "engines" / "whoosh"
    importing = [p for p in (ROOT / "src" / "corpus").rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert importing and all(engine in p.parents for p in importing), [str(p) for p in importing if engine not in p.parents]
