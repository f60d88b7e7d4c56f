"""Memory one Whoosh searcher adds, with and without mmap: `bench/searcher_memory.py INDEX_DIR mmap|nommap`.

Run once per mode, each in a fresh process; bench/results/profiles/memory-searcher-10x.txt came from
the 10x index. Whoosh's index.open_dir() uses mmap; CompoundStorage then wraps each sub-file in a
BufferFile whose BytesIO copies it into private memory.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import dir_size, smaps


def main() -> None:
    """Open one searcher, run one term query, print the growth of anonymous memory and RSS."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.query import Term

    path = os.path.realpath(os.path.join(sys.argv[1], "current"))
    mode = sys.argv[2]
    before = smaps(os.getpid())
    ix = FileStorage(path, supports_mmap=(mode == "mmap")).open_index()
    searcher = ix.searcher()
    started = time.perf_counter()
    hits = len(searcher.search(Term("body", "oil"), limit=10))
    searcher.stored_fields(0)
    after = smaps(os.getpid())
    print(f"{mode:8s} index {dir_size(Path(path)) / 1e6:.0f} MB; one searcher + one term query ({hits} hits, "
          f"{1000 * (time.perf_counter() - started):.0f} ms): Anonymous +{after['Anonymous'] - before['Anonymous']:.0f} MB, "
          f"Rss +{after['Rss'] - before['Rss']:.0f} MB")


if __name__ == "__main__":
    main()
