"""Full-text search over a portal's published articles: the one implementation behind the portal, the JSON
endpoint, the inbox and widget suggestions, and Alú's retrieval (`helpcenter.queries.search_articles`).

PostgreSQL: a weighted tsvector per article (title A, description and tags B, text C) built with an
accent-insensitive configuration of the article's language (migration 0002), prefix matching on every query
word, and typo tolerance by trigram similarity against the portal's lexicon (`HelpWord`): a word that does
not occur in the portal also matches its closest known words. All words must match; when nothing does, any
word may. Ranking multiplies ts_rank by a smoothed helpful ratio and a gentle popularity factor.
SQLite (the embedded dev mode): icontains on title, description and text, popular first.

Cost: `ts_rank` reads the whole vector of every matching article, and a common word matches thousands (long
articles' vectors are TOASTed, so each is fetched and decompressed). Only the best `CANDIDATES` matches are
ranked with the full vector; they are chosen by the rank of the small `search_head` vector (title and
description, stored next to the full one) times the same helpfulness and popularity boost. When fewer articles
match, the order is exactly the full ranking. The boost is computed in float8 (numeric `ln` cost more than
the ranking itself). Typo corrections are cached per portal and word (`CORRECTION_CACHE_SECONDS`).
"""

import re
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpcenter.models import Article, Portal

MAX_WORDS = 12
SNIPPET_SOURCE_CHARS = 6000  # ts_headline parses the whole text: bound it
OPEN, CLOSE = "\x02", "\x03"  # highlight markers: escaped text is then wrapped in <mark>
CANDIDATES = 300  # matches ranked with the full vector (at least offset + limit)
# A cached correction only adds alternatives to the typed prefix, so a stale one never hides an article.
CORRECTION_CACHE_SECONDS = 600
# The helpfulness (smoothed ratio, 0.8–1.2) and popularity (1 + 0.05·ln(1 + views)) factors of the score.
BOOST_SQL = ("(0.8 + 0.4 * (a.helpful_count + 1.0::float8) / (a.helpful_count + a.not_helpful_count + 2.0::float8))"
             " * (1.0 + 0.05 * ln(1.0::float8 + a.views))")
HEAD_SQL = ("setweight(to_tsvector(%(config)s::regconfig, title), 'A') || setweight(to_tsvector(%(config)s::regconfig,"
            " description || ' ' || coalesce(meta->>'tags', '')), 'B')")
VECTORS_SQL = (f"UPDATE helpcenter_article SET search_head = {HEAD_SQL}, search_vector = {HEAD_SQL}"
               " || setweight(to_tsvector(%(config)s::regconfig, body_text), 'C') WHERE ")
LEXICON_SQL = ("INSERT INTO helpcenter_helpword (portal_id, word)"
               " SELECT DISTINCT a.portal_id, w FROM helpcenter_article a, regexp_split_to_table("
               "   lower(hc_unaccent(a.title || ' ' || a.description || ' ' || a.body_text)), '[^a-z0-9]+') AS w"
               " WHERE length(w) BETWEEN 3 AND 40 AND w !~ '^[0-9]+$' AND ")


@dataclass
class SearchHit:
    article: Article
    score: float
    title_html: SafeString
    snippet_html: SafeString


def config_for(locale: str) -> str:
    """The text search configuration of a locale (created by migration 0002)."""
    code = (locale or "").lower()
    if code.startswith("pt"):
        return "hc_portuguese"
    if code.startswith("en"):
        return "hc_english"
    if code.startswith("es"):
        return "hc_spanish"
    return "hc_simple"


def fold(text: str) -> str:
    """Lower-case without accents: 'Devolução' → 'devolucao' (what unaccent does in the database)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(query: str) -> list[str]:
    """Distinct folded words of the query (letters and digits only, so they are safe inside a tsquery)."""
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", fold(query or "")):
        if word not in words and len(word) <= 40:
            words.append(word)
    return words[:MAX_WORDS]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- Indexing (called by actions) ------------------------------------------------------------

def index_article(article: Article) -> None:
    """Refresh the article's search vectors and, once published, add its words to the portal lexicon."""
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(VECTORS_SQL + "id = %(id)s", {"config": config_for(article.locale), "id": article.pk})
        if article.status == Article.Status.PUBLISHED:
            cursor.execute(LEXICON_SQL + "a.id = %(id)s ON CONFLICT (portal_id, word) DO NOTHING", {"id": article.pk})


def index_portal(portal_id: int) -> None:
    """Rebuild the vectors of all the portal's articles and its lexicon (bulk imports, the benchmark)."""
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT locale FROM helpcenter_article WHERE portal_id = %s", [portal_id])
        for (locale,) in cursor.fetchall():
            cursor.execute(VECTORS_SQL + "portal_id = %(portal)s AND locale = %(locale)s",
                           {"config": config_for(locale), "portal": portal_id, "locale": locale})
        cursor.execute(LEXICON_SQL + "a.portal_id = %(portal)s AND a.status = %(published)s"
                       " ON CONFLICT (portal_id, word) DO NOTHING",
                       {"portal": portal_id, "published": Article.Status.PUBLISHED})


# --- Searching ----------------------------------------------------------------------------

def run_search(portal: Portal, query: str, *, locale: str, limit: int, offset: int = 0,
               category_id: int | None = None) -> list[SearchHit]:
    """Published articles of the portal and locale matching `query`, best first (no permission check)."""
    words = query_words(query)
    if not words:
        return []
    if not is_postgres():
        return _search_sqlite(portal, words, locale=locale, limit=limit, offset=offset, category_id=category_id)
    config = config_for(locale)
    corrections = _corrections(portal.pk, words)
    for any_word in (False, True):
        tsquery = _tsquery(words, corrections, any_word=any_word)
        rows = _ranked_ids(portal.pk, tsquery, config, locale=locale, limit=limit, offset=offset,
                           category_id=category_id)
        if rows or len(words) == 1:
            break
    if not rows:
        return []
    return _hits(rows, tsquery, config)


def _corrections(portal_id: int, words: list[str]) -> dict[str, list[str]]:
    """For query words of 4+ letters that are not a known word (nor the start of one): the closest known words.
    Cached per portal and word: search as you type asks for the same words over and over."""
    keys = {f"hc:fix:{portal_id}:{word}": word for word in words if len(word) >= 4}
    if not keys:
        return {}
    cached = cache.get_many(list(keys))
    found = {keys[key]: known for key, known in cached.items() if known}
    missing = [word for key, word in keys.items() if key not in cached]
    if missing:
        fresh = _lookup_corrections(portal_id, missing)
        cache.set_many({f"hc:fix:{portal_id}:{word}": fresh.get(word, []) for word in missing},
                       CORRECTION_CACHE_SECONDS)
        found.update(fresh)
    return found


def _lookup_corrections(portal_id: int, words: list[str]) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.w, h.word FROM unnest(%s::text[]) AS q(w) CROSS JOIN LATERAL ("
            "  SELECT word FROM helpcenter_helpword WHERE portal_id = %s AND word %% q.w"
            "  ORDER BY similarity(word, q.w) DESC, word LIMIT 3) AS h"
            " WHERE NOT EXISTS (SELECT 1 FROM helpcenter_helpword k WHERE k.portal_id = %s"
            "                   AND k.word >= q.w AND k.word < q.w || '~')",
            [words, portal_id, portal_id])
        found: dict[str, list[str]] = {}
        for word, known in cursor.fetchall():
            found.setdefault(word, []).append(known)
    return found


def _tsquery(words: list[str], corrections: dict[str, list[str]], *, any_word: bool) -> str:
    """to_tsquery text: each word as a prefix, or'ed with its corrections; words and'ed (or or'ed)."""
    parts = []
    for word in words:
        options = [f"{word}:*"] + [known for known in corrections.get(word, [])]
        parts.append("(" + " | ".join(options) + ")")
    return (" | " if any_word else " & ").join(parts)


def _ranked_ids(portal_id: int, tsquery: str, config: str, *, locale: str, limit: int, offset: int,
                category_id: int | None) -> list[tuple[int, float]]:
    """(id, score) best first: the `CANDIDATES` best matches by head rank, then ranked with the full vector."""
    params = {"config": config, "tsquery": tsquery, "portal": portal_id, "locale": locale, "limit": limit,
              "published": Article.Status.PUBLISHED, "category": category_id, "offset": offset,
              "candidates": max(CANDIDATES, offset + limit)}
    category_filter = "AND a.category_id = %(category)s" if category_id else ""
    with connection.cursor() as cursor:
        # The inner query carries only ids: sorting 300 full vectors would cost what the cut saves.
        cursor.execute(
            "SELECT c.id, ts_rank(v.search_vector, q) * c.boost AS score"
            " FROM (SELECT a.id, " + BOOST_SQL + " AS boost"
            "       FROM helpcenter_article a, to_tsquery(%(config)s::regconfig, %(tsquery)s) q"
            "       WHERE a.portal_id = %(portal)s AND a.locale = %(locale)s AND a.status = %(published)s"
            "       AND a.search_vector @@ q " + category_filter +
            "       ORDER BY coalesce(ts_rank(a.search_head, q), 0) * " + BOOST_SQL + " DESC, 2 DESC, a.id"
            "       LIMIT %(candidates)s) c"
            " JOIN helpcenter_article v ON v.id = c.id, to_tsquery(%(config)s::regconfig, %(tsquery)s) q"
            " ORDER BY score DESC, c.id LIMIT %(limit)s OFFSET %(offset)s",
            params)
        return cursor.fetchall()


def _hits(rows: list[tuple[int, float]], tsquery: str, config: str) -> list[SearchHit]:
    """The ranked articles (without their Markdown and vectors) with highlighted title and snippet."""
    fragments = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=28, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""
    query = "to_tsquery(%s::regconfig, %s)"
    articles = Article.objects.defer("content", "search_vector", "search_head").annotate(
        marked_title=RawSQL(f"ts_headline(%s::regconfig, helpcenter_article.title, {query}, %s)",
                            [config, config, tsquery, f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true"]),
        marked_snippet=RawSQL(f"ts_headline(%s::regconfig, left(helpcenter_article.body_text, %s), {query}, %s)",
                              [config, SNIPPET_SOURCE_CHARS, config, tsquery, fragments]),
    ).in_bulk([pk for pk, _score in rows])
    return [SearchHit(article=articles[pk], score=float(score), title_html=_marked(articles[pk].marked_title),
                      snippet_html=_marked(articles[pk].marked_snippet))
            for pk, score in rows if pk in articles]


def _marked(text: str) -> SafeString:
    """Escape, then turn the highlight markers into <mark> elements."""
    return mark_safe(escape(text or "").replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))


def _search_sqlite(portal: Portal, words: list[str], *, locale: str, limit: int, offset: int,
                   category_id: int | None) -> list[SearchHit]:
    qs = Article.objects.filter(portal=portal, locale=locale, status=Article.Status.PUBLISHED)
    if category_id:
        qs = qs.filter(category_id=category_id)
    for word in words:
        qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(body_text__icontains=word))
    hits = []
    for article in qs.order_by("-views", "id")[offset:offset + limit]:
        hits.append(SearchHit(article=article, score=0.0, title_html=escape(article.title),
                              snippet_html=escape(article.description or article.body_text[:200])))
    return hits
