"""The help center in the agent inbox: suggestions, inserting into the reply, drafting an article."""

import pytest

from conversations import actions as conversation_actions
from helpcenter.models import Article

pytestmark = pytest.mark.django_db


def url(account, conversation, suffix=""):
    return f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/help-articles/{suffix}"


def test_suggestions_follow_the_customers_latest_messages(agent_client, account, conversation, contact, article):
    conversation_actions.receive_message(conversation, sender=contact, content="Quero fazer uma devolucao do pedido")
    html = agent_client.get(url(account, conversation)).content.decode()
    assert "<mark>devolução</mark> de um produto" in html
    searched = agent_client.get(url(account, conversation) + "?q=prazo", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="help-articles-results"' in searched and "devolução" in searched


def test_insert_appends_the_link_to_the_reply(agent_client, account, conversation, article):
    response = agent_client.post(url(account, conversation, "insert/"),
                                 {"article_id": article.pk, "mode": "link", "content": "Olá!"})
    html = response.content.decode()
    assert 'id="reply-content"' in html
    assert f"Olá!\n\nComo pedir a devolução de um produto: http://testserver/hc/ajuda/pt-BR/articles/{article.slug}/" in html
    summary = agent_client.post(url(account, conversation, "insert/"),
                                {"article_id": article.pk, "mode": "summary", "content": ""}).content.decode()
    assert "Prazo e passos da devolução" in summary


def test_create_article_from_the_conversation(admin_client, admin, account, conversation, contact, portal):
    conversation_actions.receive_message(conversation, sender=contact, content="Como troco o tamanho?")
    conversation_actions.send_reply(conversation, actor=admin, content="Abra o pedido e escolha Trocar.")
    response = admin_client.post(url(account, conversation, "new-article/"))
    assert response.status_code == 302
    article = Article.objects.get(meta__source_conversation=conversation.display_id)
    assert article.title == "Como troco o tamanho" and article.status == Article.Status.DRAFT
    assert "> Como troco o tamanho?" in article.content and "Abra o pedido e escolha Trocar." in article.content


def test_agents_outside_the_inbox_and_outsiders_get_404(outsider_client, account, conversation, other_inbox,
                                                        agent_client, article):
    from tests import factories

    hidden = factories.make_conversation(other_inbox)
    assert agent_client.get(url(account, hidden)).status_code == 404
    assert agent_client.post(url(account, hidden, "insert/"), {"article_id": article.pk}).status_code == 404
    assert outsider_client.get(url(account, conversation)).status_code == 404
