"""Text analysis for every engine and the analysis views: tokens, folding, stemming, stop words, languages.

No engine library and no Flask are imported here: an engine wraps `analyze` in its own tokenizer
type, and the index and the query side call the same functions, so both engines (and the
concordance views) see the same terms.
"""

from .analyzer import Analyzer, Token, analyze, analyze_query, analyzer, query_variants
from .fold import exact, fold
from .language import detect_language
from .languages import STEMMED, UNDETERMINED, language_code
from .stopwords import is_stop_word, stop_words_of, without_stop_words

__all__ = [
    "STEMMED", "UNDETERMINED", "Analyzer", "Token", "analyze", "analyze_query", "analyzer", "detect_language",
    "exact", "fold", "is_stop_word", "language_code", "query_variants", "stop_words_of", "without_stop_words",
]
