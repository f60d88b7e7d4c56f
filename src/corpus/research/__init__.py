"""Research views over a result set: distinctive words (keyness), queries compared over time, provenance.

Engine-neutral like corpus.concord: everything is computed from `SearchBackend.matches()` (which
documents match, their days and facet columns) and the build's token store.
"""
