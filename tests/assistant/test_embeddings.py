"""Optional embeddings: the full-text candidates of the help center reranked by meaning, with vectors from the
stand-in model server's /v1/embeddings stored per article revision by a Celery task."""

import pytest

from automations.assistant import actions as assistant_actions
from automations.assistant import knowledge
from automations.assistant.models import ArticleEmbedding, AssistantConfig
from automations.assistant.tasks import embed_articles_task
from helpcenter import actions as helpcenter
from helpcenter.models import Article

pytestmark = pytest.mark.django_db
QUERY = "prazo de entrega do pedido"
LATE = "O que fazer quando a entrega atrasa"
DAYS = "Prazo de entrega por região"


@pytest.fixture
def articles(account, admin):
    portal = helpcenter.create_portal(account, actor=admin, name="Ajuda", slug="ajuda-emb", default_locale="pt-BR")
    made = {}
    for title, content in (
            (DAYS, "O prazo de entrega é de 5 dias úteis nas capitais e 10 dias úteis no interior. Prazo de "
                   "entrega contado a partir da aprovação do pedido."),
            (LATE, "Se o pedido passou do prazo e não chegou, abra uma reclamação de atraso com o número do pedido."),
            ("Trocas e devoluções", "Você pode trocar o produto em até 7 dias.")):
        made[title] = helpcenter.create_article(portal, actor=admin, title=title, content=content,
                                                status=Article.Status.PUBLISHED)
    return made


@pytest.fixture
def config(llm_inbox, fake_llm, admin, django_capture_on_commit_callbacks):
    """Alú with an embeddings model; saving it queues the embedding of the articles (run here, eagerly)."""
    # The stand-in's "meaning": this query is about a late delivery (like LATE), not about delivery times by region.
    fake_llm.concepts = [["atrasa", "prazo de entrega do pedido"], ["região"]]
    return AssistantConfig.objects.get(inbox=llm_inbox)


def titles(config, query=QUERY):
    return [a["title"] for a in knowledge.search(config, query)]


def enable(config, admin, capture):
    with capture(execute=True):
        assistant_actions.save_assistant_config(config.inbox, actor=admin, enabled=True,
                                                embeddings_model="embed-stand-in")
    config.refresh_from_db()


def test_the_meaning_reorders_the_full_text_candidates(config, articles, fake_llm, admin,
                                                       django_capture_on_commit_callbacks):
    assert titles(config)[:2] == [DAYS, LATE]  # full text alone: the words "prazo de entrega" win
    assert fake_llm.embedding_requests == []
    enable(config, admin, django_capture_on_commit_callbacks)
    # Saving queued the task: every published article got its vector in one batch.
    assert ArticleEmbedding.objects.filter(model="embed-stand-in").count() == 3
    [batch] = fake_llm.embedding_requests
    assert batch["path"] == "/v1/embeddings" and batch["body"]["model"] == "embed-stand-in"
    assert len(batch["body"]["input"]) == 3 and batch["body"]["input"][0].startswith(DAYS)
    assert titles(config)[:2] == [LATE, DAYS]  # the meaning wins over the repeated words
    assert fake_llm.embedding_requests[-1]["body"]["input"] == [QUERY]


def test_vectors_follow_the_article_revision(config, articles, fake_llm, admin, django_capture_on_commit_callbacks):
    enable(config, admin, django_capture_on_commit_callbacks)
    before = ArticleEmbedding.objects.get(article=articles[LATE])
    assert embed_articles_task.apply(args=[config.pk]).get() == 0  # nothing stale: idempotent
    helpcenter.update_article(articles[LATE], actor=admin,
                              content="Se o pedido passou do prazo de entrega, fale conosco: resolvemos o atraso.")
    articles[LATE].refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        # Its stored vector is stale: it falls back after the ranked articles, and its embedding is queued.
        assert titles(config)[:2] == [DAYS, LATE]
    after = ArticleEmbedding.objects.get(article=articles[LATE])
    assert after.digest != before.digest and after.pk == before.pk  # re-embedded by the queued task
    assert titles(config)[:2] == [LATE, DAYS]


def test_the_embeddings_endpoint_failing_keeps_the_full_text_order(config, articles, fake_llm, admin,
                                                                   django_capture_on_commit_callbacks):
    enable(config, admin, django_capture_on_commit_callbacks)
    fake_llm.embedding_status = 500
    assert titles(config)[:2] == [DAYS, LATE]  # logged, not raised: the assistant still answers
    assert len(fake_llm.embedding_requests) >= 2


def test_personal_data_is_masked_before_the_query_is_embedded(config, articles, fake_llm, admin,
                                                              django_capture_on_commit_callbacks):
    enable(config, admin, django_capture_on_commit_callbacks)
    assert len(titles(config, "entrega atrasada, meu email é ana@cliente.com.br")) > 1  # any word matches
    sent = fake_llm.embedding_requests[-1]["body"]["input"][0]
    assert "ana@cliente.com.br" not in sent and "[EMAIL_1]" in sent


def test_embeddings_need_the_model_endpoint(alu_inbox, admin, admin_client):
    from autonomia.actions import DomainError

    with pytest.raises(DomainError) as refused:
        assistant_actions.save_assistant_config(alu_inbox, actor=admin, enabled=True,
                                                embeddings_model="text-embedding-3-small")
    assert refused.value.field == "embeddings_model"
