"""Full-text search over a portal's published articles: the one implementation behind the portal, the JSON
endpoint, the inbox and widget suggestions, and Alú's retrieval (`helpcenter.queries.search_articles`).

PostgreSQL: a weighted tsvector per article (title A, description and tags B, text C) built with an
accent-insensitive configuration of the article's language (migration 0002), prefix matching on every query
word, and typo tolerance by trigram similarity against the portal's lexicon (`HelpWord`): a word that does
not occur in the portal also matches its closest known words. All words must match; when nothing does, any
word may. Ranking multiplies ts_rank by a smoothed helpful ratio and a gentle popularity factor.
SQLite (the embedded dev mode): icontains on title, description and text, popular first.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpcenter.models import Article, Portal

MAX_WORDS = 12
SNIPPET_SOURCE_CHARS = 6000  # ts_headline parses the whole text: bound it
OPEN, CLOSE = "\x02", "\x03"  # highlight markers: escaped text is then wrapped in <mark>


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
    """Refresh the article's search vector and, once published, add its words to the portal lexicon."""
    if not is_postgres():
        return
    config = config_for(article.locale)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE helpcenter_article SET search_vector ="
            " setweight(to_tsvector(%s::regconfig, title), 'A')"
            " || setweight(to_tsvector(%s::regconfig, description || ' ' || coalesce(meta->>'tags', '')), 'B')"
            " || setweight(to_tsvector(%s::regconfig, body_text), 'C') WHERE id = %s",
            [config, config, config, article.pk])
        if article.status == Article.Status.PUBLISHED:
            cursor.execute(
                "INSERT INTO helpcenter_helpword (portal_id, word)"
                " SELECT DISTINCT a.portal_id, w FROM helpcenter_article a, regexp_split_to_table("
                "   lower(hc_unaccent(a.title || ' ' || a.description || ' ' || a.body_text)), '[^a-z0-9]+') AS w"
                " WHERE a.id = %s AND length(w) BETWEEN 3 AND 40 AND w !~ '^[0-9]+$'"
                " ON CONFLICT (portal_id, word) DO NOTHING",
                [article.pk])


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
    """For query words of 4+ letters that are not a known word (nor the start of one): the closest known words."""
    candidates = [w for w in words if len(w) >= 4]
    if not candidates:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.w, h.word FROM unnest(%s::text[]) AS q(w) CROSS JOIN LATERAL ("
            "  SELECT word FROM helpcenter_helpword WHERE portal_id = %s AND word %% q.w"
            "  ORDER BY similarity(word, q.w) DESC, word LIMIT 3) AS h"
            " WHERE NOT EXISTS (SELECT 1 FROM helpcenter_helpword k WHERE k.portal_id = %s"
            "                   AND k.word >= q.w AND k.word < q.w || '~')",
            [candidates, portal_id, portal_id])
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
    category_filter = "AND a.category_id = %s" if category_id else ""
    params = [config, tsquery, portal_id, locale, Article.Status.PUBLISHED]
    if category_id:
        params.append(category_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, ts_rank(a.search_vector, q)"
            "   * (0.8 + 0.4 * (a.helpful_count + 1.0) / (a.helpful_count + a.not_helpful_count + 2.0))"
            "   * (1.0 + 0.05 * ln(1.0 + a.views)) AS score"
            " FROM helpcenter_article a, to_tsquery(%s::regconfig, %s) q"
            " WHERE a.portal_id = %s AND a.locale = %s AND a.status = %s AND a.search_vector @@ q "
            + category_filter +
            " ORDER BY score DESC, a.id LIMIT %s OFFSET %s",
            [*params, limit, offset])
        return cursor.fetchall()


def _hits(rows: list[tuple[int, float]], tsquery: str, config: str) -> list[SearchHit]:
    ids = [row[0] for row in rows]
    options = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=28, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, ts_headline(%s::regconfig, a.title, q, %s),"
            " ts_headline(%s::regconfig, left(a.body_text, %s), q, %s)"
            " FROM helpcenter_article a, to_tsquery(%s::regconfig, %s) q WHERE a.id = ANY(%s)",
            [config, f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true", config, SNIPPET_SOURCE_CHARS,
             options, config, tsquery, ids])
        marks = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    articles = Article.objects.in_bulk(ids, field_name="id")
    return [SearchHit(article=articles[pk], score=float(score), title_html=_marked(marks[pk][0]),
                      snippet_html=_marked(marks[pk][1]))
            for pk, score in rows if pk in articles and pk in marks]


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
