"""Optional reranking of help-center search candidates by meaning (issue 5: "optional embeddings").

When the assistant's settings name an embeddings model, `knowledge.search` takes more full-text candidates and
`rerank` orders them by the cosine similarity between the customer's words and each article's stored vector,
both from the model endpoint's OpenAI-compatible `/embeddings`. Vectors are stored per article revision
(`ArticleEmbedding.digest`, the sha256 of the embedded text) by `tasks.embed_articles_task`, never while a
customer waits: candidates without a fresh vector keep their full-text order after the ranked ones, and their
embedding is queued. Any failure of the embeddings endpoint leaves the full-text order (logged), never a handoff.
"""

import hashlib
import logging
import math

from django.db import transaction

from automations.assistant import llm
from automations.assistant.fields import Masker
from automations.assistant.models import ArticleEmbedding

log = logging.getLogger(__name__)
MAX_CHARS = 8000  # what is embedded of an article (title + plain text); far below common 8k-token limits


def enabled(config) -> bool:
    """Reranking needs an embeddings model on a configured endpoint."""
    return bool(config.embeddings_model and config.llm_base_url)


def article_text(article) -> str:
    return f"{article.title}\n\n{article.body_text or ''}"[:MAX_CHARS]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def embed_texts(config, texts: list[str]) -> list[list[float]]:
    """Vectors from the assistant's endpoint (SSRF-guarded unless private model URLs are allowed)."""
    from automations.assistant.engine import _session, endpoint_for

    session = _session()
    try:
        return llm.embed(endpoint_for(config), texts, model=config.embeddings_model, session=session).vectors
    finally:
        session.close()


def fresh_vectors(config, articles: list) -> dict[int, list[float]]:
    """{article id: vector} for the articles whose stored vector matches their current text and the model."""
    wanted = {a.pk: digest(article_text(a)) for a in articles}
    rows = ArticleEmbedding.objects.filter(article_id__in=wanted, model=config.embeddings_model).values_list(
        "article_id", "digest", "vector")
    return {pk: vector for pk, row_digest, vector in rows if wanted.get(pk) == row_digest}


def rerank(config, query: str, hits: list) -> list:
    """The full-text hits ordered by meaning: the ones with a fresh vector by cosine similarity to the query,
    then the others in their full-text order (their embedding is queued)."""
    articles = [hit.article for hit in hits]
    vectors = fresh_vectors(config, articles)
    missing = [a.pk for a in articles if a.pk not in vectors]
    if missing:
        from automations.assistant.tasks import embed_articles_task

        config_id = config.pk
        transaction.on_commit(lambda: embed_articles_task.delay(config_id, missing), robust=True)
    if not vectors:
        return hits
    try:
        [query_vector] = embed_texts(config, [Masker(enabled=config.mask_pii).mask(query)])
    except llm.LLMError as error:
        log.warning("assistant: embeddings unavailable, full-text order kept: %s", error)
        return hits
    ranked = sorted((h for h in hits if h.article.pk in vectors),
                    key=lambda h: -cosine(query_vector, vectors[h.article.pk]))
    return ranked + [h for h in hits if h.article.pk not in vectors]
