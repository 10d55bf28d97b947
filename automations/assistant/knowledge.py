"""Grounding: the help center's published articles (through its one search function) and the free-text FAQ."""

import logging
import re

from django.conf import settings
from django.utils.html import strip_tags

log = logging.getLogger(__name__)
RERANK_POOL = 12  # full-text candidates reranked by embeddings, when they are on


def article_url(article) -> str:
    """The public link of an article, on the portal's custom domain when it has one."""
    portal = article.portal
    if portal.custom_domain:
        return f"https://{portal.custom_domain}/{article.locale}/articles/{article.slug}/"
    return f"{settings.FRONTEND_URL}/hc/{portal.slug}/{article.locale}/articles/{article.slug}/"


def _portals(config) -> list:
    try:
        from helpcenter.models import Portal
    except ImportError:  # the help center is not installed: the FAQ alone grounds the answers
        return []
    portals = Portal.objects.filter(account_id=config.account_id, archived=False)
    if config.portal_ids:
        portals = portals.filter(pk__in=config.portal_ids)
    return list(portals)


def search(config, query: str, *, limit: int = 3) -> list[dict]:
    """The most relevant public articles for the customer's words: [{"title", "url", "snippet"}], best first."""
    query = (query or "").strip()[:300]
    if not query:
        return []
    try:
        from helpcenter.queries import search_articles
    except ImportError:
        return []
    from automations.assistant import embeddings

    rerank = embeddings.enabled(config)
    pool = max(limit, RERANK_POOL) if rerank else limit
    hits = []
    for portal in _portals(config):
        try:
            # viewer=None: only what an anonymous customer may read (never restricted portals).
            hits.extend(search_articles(portal, query, limit=pool, viewer=None))
        except Exception:  # a help-center failure must not silence the assistant; it hands off instead
            log.exception("assistant: help-center search failed for portal %s", portal.pk)
    hits.sort(key=lambda hit: -hit.score)
    if rerank and len(hits) > 1:
        hits = embeddings.rerank(config, query, hits[:pool])
    found = []
    for hit in hits[:limit]:
        article = hit.article
        body = article.body_text or strip_tags(article.content or "")
        found.append({"title": article.title, "url": article_url(article),
                      "snippet": re.sub(r"\s+", " ", body)[:700]})
    return found
