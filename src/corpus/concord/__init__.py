"""Words in context, computed once for every engine: the token store, concordance lines and collocations.

An engine gives the documents a search matches and the patterns (terms at positions) its query
looks for (`search.types.Matches`); the token store (`store.py`) gives each document's tokens;
`match.py` finds the occurrences, `lines.py` turns them into sorted, paged concordance lines and
`colloc.py` counts the words around them.
"""
