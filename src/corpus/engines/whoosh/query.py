"""The query language compiled for Whoosh: our syntax tree (search.syntax) into Whoosh's query objects.

The text is parsed by search.parser and its words analysed by search.analyze, with each field's
Whoosh analyzer; here the analysed tree becomes the Whoosh queries the rest of this engine (the
expansion of wildcards, the vector engine, Whoosh's matchers, snippets) works on. A word without
a field searches the default fields: an Or of the same query over each, as Whoosh's own
MultifieldParser builds it, so scores are Whoosh's BM25F.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import Any

from whoosh import matching
from whoosh import query as wq

from ...analysis import UNDETERMINED
from ...errors import QuerySyntaxError
from ...search import syntax as st
from ...search.analyze import Analyzer, Variant, analyze
from ...search.parser import MAX_FUZZY_DISTANCE, MAX_FUZZY_LENGTH, parse
from . import exact
from .analysis import TextAnalyzer, terms
from .schema import QUERY_FIELDS

DEFAULT_FIELDS = ("title", "body")  # what a word without a field searches in articles
AUTHOR_FIELDS = ("author", "bio", "title")  # and in author documents (the matches beside results)
MAX_EXPANSIONS = 4096  # words one wildcard, prefix, fuzzy or range term may stand for (in one field)
PARSED_KEPT = 512  # parsed queries a compiler keeps (texts of at most max_query_length characters each)
MAX_TOTAL_EXPANSIONS = 16384  # words all of a query's wildcard, prefix, fuzzy and range terms may stand for together
__all__ = ["MAX_FUZZY_DISTANCE", "MAX_FUZZY_LENGTH", "Compiler", "fuzzy_too_far", "render", "split_date_clauses"]


class _ZeroScore(matching.WrappingMatcher):
    """A matcher that matches what its child matches and adds nothing to any score."""

    def _replacement(self, newchild: Any) -> _ZeroScore:
        return _ZeroScore(newchild)

    def max_quality(self) -> float:
        return 0.0

    def block_quality(self) -> float:
        return 0.0

    def weight(self) -> float:
        return 0.0

    def score(self) -> float:
        return 0.0


class Unscored(wq.ConstantScoreQuery):
    """A filter inside a scored query: its matches score 0 on every path.

    Whoosh's ConstantScoreQuery hands back its child's own (scoring) matcher whenever the collector
    asks for the current matcher, as a filtered search does, so a language filter added a point to
    each match there and nothing in the vector engine. This one scores 0 in both.
    """

    def __init__(self, child: wq.Query, score: float = 0.0) -> None:
        super().__init__(child, 0.0)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        m = self.child.matcher(searcher, context)
        return m if isinstance(m, matching.NullMatcherClass) else _ZeroScore(m)


class Compiler:
    """Parses, analyses and compiles queries for one schema and one set of default fields."""

    def __init__(self, schema: Any, fields: tuple[str, ...] = DEFAULT_FIELDS) -> None:
        self.schema = schema
        self.fields = fields
        self._analyzers: dict[tuple[str, ...], Analyzer] = {}
        # A search parses its text more than once (the hits, then the author matches with their own
        # fields' compiler), and pages repeat queries; with a word analysed once per language of the
        # index, the parse is worth keeping. Results are never changed in place (expand copies).
        self._parsed: OrderedDict[tuple[str, tuple[str, ...]], tuple[st.Node | None, wq.Query | None]] = OrderedDict()
        self._lock = threading.Lock()

    def parse(self, text: str, languages: tuple[str, ...] = ()) -> tuple[st.Node | None, wq.Query | None]:
        """(the analysed tree, the Whoosh query) for the index's languages; (None, None) for an empty query."""
        key = (text, languages)
        with self._lock:
            done = self._parsed.get(key)
            if done is not None:
                self._parsed.move_to_end(key)
                return done
        done = self._parse(text, languages)
        with self._lock:
            self._parsed[key] = done
            while len(self._parsed) > PARSED_KEPT:
                self._parsed.popitem(last=False)
        return done

    def _parse(self, text: str, languages: tuple[str, ...]) -> tuple[st.Node | None, wq.Query | None]:
        found = self._analyzers.get(languages)
        if found is None:
            # Author documents (a name as title, a bio gathered from the articles) are indexed with
            # no language of their own: their fields are also analysed that way.
            neutral = ("bio", "title") if "author" in self.fields else ("bio",)
            found = self._analyzers[languages] = analyzer_for(self.schema, languages, neutral)
        tree = analyze(parse(text), found, self.fields)
        return tree, (None if tree is None else compile_tree(tree, self.fields))


def analyzer_for(schema: Any, languages: tuple[str, ...] = (), neutral: tuple[str, ...] = ()) -> Analyzer:
    """The analyzer search.analyze calls: text fields in every language of the index, names as written.

    Title, body and bio are analysed per article language (analysis.TextAnalyzer with exact
    forms), and the `neutral` fields also with no language (und); names and labels (author, source, region, category, language) once, folded; other
    fields (id) by their own Whoosh analyzer.
    """
    langs = tuple(sorted(set(languages))) or (UNDETERMINED,)
    with_neutral = tuple(sorted({*langs, UNDETERMINED}))

    memo: dict[tuple[str, str, bool, bool], list[Variant]] = {}

    def run(field: str, text: str, whole: bool, exact: bool) -> list[Variant]:
        key = (field, text, whole, exact)
        found = memo.get(key)
        if found is not None:
            return found
        name = QUERY_FIELDS.get(field, field)
        if name not in schema:
            return []
        own = schema[name].analyzer
        if isinstance(own, TextAnalyzer) and own.exact_too:
            if field in neutral:  # author documents have no language: every variant, unrestricted
                found = [(list(v), None) for v in dict.fromkeys(tuple(terms(text, lang, whole, exact)) for lang in with_neutral)]
            else:
                by_terms: dict[tuple[str, ...], list[str]] = {}
                for lang in langs:
                    by_terms.setdefault(tuple(terms(text, lang, whole, exact)), []).append(lang)
                if len(by_terms) == 1:
                    found = [(list(next(iter(by_terms))), None)]
                else:  # each analysis is searched in the articles of the languages that give it
                    found = [(list(v), tuple(ls)) for v, ls in by_terms.items()]
        elif isinstance(own, TextAnalyzer):
            found = [(terms(text, UNDETERMINED, whole, False), None)]
        else:
            found = [(list(schema[name].process_text(text, mode="query", tokenize=not whole, removestops=not whole)), None)]
        if len(memo) > 10_000:  # a query's words repeat across searches; the memo stays small
            memo.clear()
        memo[key] = found
        return found

    return run


def compile_tree(node: st.Node, fields: tuple[str, ...] = DEFAULT_FIELDS) -> wq.Query:
    """The Whoosh query of an analysed tree."""
    if isinstance(node, st.And):
        negated = [compile_tree(c.child, fields) for c in node.children if isinstance(c, st.Not)]
        kept = []
        for child in node.children:
            q = compile_tree(child, fields) if not isinstance(child, st.Not) else None
            if q is not None and q not in kept:
                kept.append(q)
        if not kept:
            return wq.And([wq.Not(n) for n in negated], boost=node.boost) if len(negated) > 1 else wq.Not(negated[0])
        q = wq.And(kept, boost=node.boost) if len(kept) > 1 or node.boost != 1.0 else kept[0]
        if negated:
            q = wq.AndNot(q, negated[0] if len(negated) == 1 else wq.Or(negated))
        return q
    if isinstance(node, st.Or):
        subs: list[wq.Query] = []
        for child in node.children:  # a word over the default fields is an Or itself: one flat Or, as Whoosh builds
            q = compile_tree(child, fields)
            for sub in (q.subqueries if type(q) is wq.Or and q.boost == 1.0 else [q]):
                if sub not in subs:  # title:oil OR oil: title:oil once, as Whoosh's own Or keeps it
                    subs.append(sub)
        return wq.Or(subs, boost=node.boost)
    if isinstance(node, st.Not):
        return wq.Not(compile_tree(node.child, fields), boost=node.boost)
    if isinstance(node, st.InLanguages):
        # The language filter adds nothing to the score: a constant 0 over the articles of those languages.
        languages = [wq.Term("language", lang) for lang in node.languages]
        only = Unscored(languages[0] if len(languages) == 1 else wq.Or(languages))
        return wq.And([compile_tree(node.child, fields), only], boost=node.boost)
    if isinstance(node, st.Every):
        return wq.Every(boost=node.boost)
    if isinstance(node, st.DateRange):
        start = datetime(node.start.year, node.start.month, node.start.day) if node.start else None
        end = None
        if node.end:
            end = datetime(node.end.year, node.end.month, node.end.day) + timedelta(days=1) - timedelta(microseconds=1)
        return wq.DateRange("date", start, end, boost=node.boost)
    if node.field is None:
        if len(fields) == 1:
            return _leaf(node, fields[0], node.boost)
        return wq.Or([_leaf(node, f, 1.0) for f in fields], boost=node.boost)
    return _leaf(node, node.field, node.boost)


def _leaf(node: st.Node, field: str, boost: float) -> wq.Query:
    name = QUERY_FIELDS.get(field, field)
    if isinstance(node, st.Term):
        return exact.leaf(name, node.text, boost)
    if isinstance(node, st.Phrase):
        return exact.phrase(name, list(node.words), node.slop, boost)
    if isinstance(node, st.Prefix):
        return wq.Prefix(name, node.text, boost=boost)
    if isinstance(node, st.Wildcard):
        return wq.Wildcard(name, node.pattern, boost=boost)
    if isinstance(node, st.Fuzzy):
        return wq.FuzzyTerm(name, node.text, boost=boost, maxdist=node.distance, prefixlength=node.prefix)
    if isinstance(node, st.Range):
        return wq.TermRange(name, node.start, node.end, node.start_excluded, node.end_excluded, boost=boost,
                            constantscore=True)
    raise TypeError(f"not a word leaf: {node!r}")


def fuzzy_too_far(leaf: wq.FuzzyTerm) -> QuerySyntaxError:
    """The error for a fuzzy term asking for more edits than MAX_FUZZY_DISTANCE."""
    return QuerySyntaxError(
        f"{render(leaf)!r} allows {int(leaf.maxdist)} edits; a fuzzy term allows at most {MAX_FUZZY_DISTANCE} "
        f"(word~ for one edit, word~2 for two)",
        param="q",
    )


def split_date_clauses(q: wq.Query | None) -> tuple[wq.Query | None, list[tuple[date | None, date | None]]]:
    """Take the date ranges ANDed at the top of a query out of it, as (first day, last day) pairs.

    What is left is the rest of the query (None when the query was only dates). Date ranges
    inside OR or NOT stay where they are, for Whoosh to evaluate.
    """
    if isinstance(q, wq.DateRange):
        return None, [_days(q)]
    if isinstance(q, wq.AndNot):  # oil date:1987 -glut: the dates are on the kept side
        kept, ranges = split_date_clauses(q.a)
        if not ranges:
            return q, []
        return (wq.Not(q.b) if kept is None else wq.AndNot(kept, q.b)), ranges
    if not isinstance(q, wq.And):
        return q, []
    ranges = [_days(sub) for sub in q.subqueries if isinstance(sub, wq.DateRange)]
    if not ranges:
        return q, []
    rest = [sub for sub in q.subqueries if not isinstance(sub, wq.DateRange)]
    if not rest:
        return None, ranges
    return (rest[0] if len(rest) == 1 else wq.And(rest)), ranges


def _days(q: wq.DateRange) -> tuple[date | None, date | None]:
    start = q.startdate.date() if q.startdate else None
    end = q.enddate.date() if q.enddate else None
    return start, end


def render(leaf: wq.Query) -> str:
    """A Whoosh leaf query as the query language writes it (for messages about one term)."""
    field = next((typed for typed, real in QUERY_FIELDS.items() if real == leaf.field()), leaf.field())
    named = "" if field in DEFAULT_FIELDS or field is None else f"{field}:"
    if isinstance(leaf, wq.FuzzyTerm):
        distance = f"{int(leaf.maxdist)}" if leaf.maxdist != 1 or leaf.prefixlength else ""
        prefix = f"/{leaf.prefixlength}" if leaf.prefixlength else ""
        return f"{named}{leaf.text}~{distance}{prefix}"
    if isinstance(leaf, wq.TermRange):
        lo = leaf.start if leaf.start is not None else "*"
        hi = leaf.end if leaf.end is not None else "*"
        return f"{named}{'{' if leaf.startexcl else '['}{lo} TO {hi}{'}' if leaf.endexcl else ']'}"
    if isinstance(leaf, wq.Prefix):
        return f"{named}{leaf.text}*"
    if isinstance(leaf, (wq.Wildcard, wq.Term)):
        return f"{named}{leaf.text}"
    return str(leaf)
