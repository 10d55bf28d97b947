"""Help-center deflection in the widget: the portal in the config payload (only a public one linked to the
inbox), popular articles in the frame, the article reader endpoint, and the widget view count."""

import json
import re

import pytest

from helpcenter import actions
from helpcenter.models import Article, Portal
from inboxes import client_actions
from inboxes.widget_queries import issue_widget_token

pytestmark = pytest.mark.django_db


def publish(portal, admin, title, content="", **fields):
    return actions.create_article(portal, actor=admin, title=title, content=content,
                                  status=Article.Status.PUBLISHED, **fields)


@pytest.fixture
def portal(account, admin, widget_inbox):
    return actions.create_portal(account, actor=admin, name="Ajuda Loja", slug="ajuda-loja", default_locale="pt-BR",
                                 locales=["en"], inbox=widget_inbox)


def config_of(visitor, locale=""):
    response = visitor.call("POST", "config", query=f"&locale={locale}" if locale else "")
    assert response.status_code == 200
    return response.json()["website_channel_config"]


def state_of(response) -> dict:
    match = re.search(r'<script id="widget-state" type="application/json">(.*?)</script>', response.content.decode(),
                      re.DOTALL)
    return json.loads(match.group(1))


# --- The config payload ------------------------------------------------------------------------

def test_config_names_the_public_portal_of_the_inbox_in_the_widgets_language(visitor, portal):
    assert config_of(visitor)["help_center"] == {"name": "Ajuda Loja", "slug": "ajuda-loja", "locale": "pt-BR",
                                                 "url": "/hc/ajuda-loja/pt-BR/"}
    assert config_of(visitor, "en")["help_center"]["locale"] == "en"
    # Spanish is not a language of this portal: its default language is searched.
    assert config_of(visitor, "es")["help_center"]["locale"] == "pt-BR"


def test_config_has_no_help_center_without_a_portal_linked_to_the_inbox(visitor, account, admin, inbox):
    assert config_of(visitor)["help_center"] is None
    actions.create_portal(account, actor=admin, name="Outra", slug="outra", inbox=inbox)  # another inbox's portal
    assert config_of(visitor)["help_center"] is None


@pytest.mark.parametrize("fields", [{"visibility": Portal.Visibility.SIGNED_IN},
                                    {"visibility": Portal.Visibility.PASSWORD, "password": "segredo-123"}])
def test_restricted_and_password_protected_portals_are_not_offered(visitor, account, admin, widget_inbox, fields):
    portal = actions.create_portal(account, actor=admin, name="Interno", slug="interno", inbox=widget_inbox, **fields)
    article = publish(portal, admin, "Procedimento interno de devolução", "Só para a equipe.")
    assert config_of(visitor)["help_center"] is None
    assert visitor.call("GET", f"articles/{article.pk}").status_code == 404


def test_archived_portal_is_not_offered(visitor, portal):
    Portal.objects.filter(pk=portal.pk).update(archived=True)
    assert config_of(visitor)["help_center"] is None


# --- The frame ---------------------------------------------------------------------------------

def test_frame_shows_three_popular_articles_before_a_chat(client, widget, portal, admin):
    for views, title in enumerate(["Prazo de entrega", "Trocas", "Formas de pagamento", "Cupons"]):
        article = publish(portal, admin, title, "Texto.")
        Article.objects.filter(pk=article.pk).update(views=views)
    publish(portal, admin, "Shipping times", "Text.", locale="en")
    state = state_of(client.get(f"/widget?website_token={widget.website_token}"))
    assert state["config"]["help_center"]["slug"] == "ajuda-loja"
    assert [a["title"] for a in state["articles"]] == ["Cupons", "Formas de pagamento", "Trocas"]
    assert state["articles"][0]["link"].startswith("/hc/ajuda-loja/pt-BR/articles/cupons")
    english = state_of(client.get(f"/widget?website_token={widget.website_token}&locale=en"))
    assert [a["title"] for a in english["articles"]] == ["Shipping times"]


def test_frame_skips_popular_articles_once_the_visitor_has_a_conversation(client, widget, widget_inbox, portal, admin):
    publish(portal, admin, "Trocas", "Texto.")
    contact_inbox = client_actions.create_client_contact(widget_inbox, name="Vera")
    client_actions.send_client_message(client_actions.start_client_conversation(contact_inbox), content="oi")
    url = f"/widget?website_token={widget.website_token}&cw_conversation={issue_widget_token(contact_inbox)}"
    assert state_of(client.get(url))["articles"] == []


def test_frame_without_a_portal_costs_one_query_more(client, widget, django_assert_max_num_queries):
    # The channel, the portal lookup (indexed inbox_id), the business hours.
    with django_assert_max_num_queries(3):
        state = state_of(client.get(f"/widget?website_token={widget.website_token}"))
    assert state["config"]["help_center"] is None and state["articles"] == []


def test_frame_with_a_portal_costs_two_queries_more(client, widget, portal, admin, django_assert_max_num_queries):
    publish(portal, admin, "Trocas", "Texto.")
    with django_assert_max_num_queries(4):  # + the popular articles
        state = state_of(client.get(f"/widget?website_token={widget.website_token}"))
    assert [a["title"] for a in state["articles"]] == ["Trocas"]


def test_frame_policy_lets_articles_show_https_images_and_video_players(client, widget, portal):
    policy = client.get(f"/widget?website_token={widget.website_token}")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert "https:" in directives["img-src"] and "https://www.youtube-nocookie.com" in directives["frame-src"]
    assert directives["connect-src"] == "'self'"  # the search and the view count are same-origin
    assert "'unsafe-inline'" not in directives["script-src"]


def test_frame_texts_are_in_portuguese(client, widget, portal):
    html = client.get(f"/widget?website_token={widget.website_token}").content.decode()
    strings = json.loads(re.search(r'<script id="widget-i18n" type="application/json">(.*?)</script>', html,
                                   re.DOTALL).group(1))
    assert strings["hc_popular"] == "Artigos populares" and strings["start"] == "Iniciar conversa"


# --- The article reader ------------------------------------------------------------------------

def test_article_endpoint_returns_the_sanitised_article_and_does_not_count_a_view(visitor, portal, admin):
    article = publish(portal, admin, "Como pedir a devolução", "## Prazo\nSete **dias**.\n\n<script>alert(1)</script>",
                      description="Prazo e passos")
    response = visitor.call("GET", f"articles/{article.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Como pedir a devolução" and body["link"] == f"/hc/ajuda-loja/pt-BR/articles/{article.slug}/"
    assert '<h2 id="h-prazo">Prazo</h2>' in body["content_html"] and "<strong>dias</strong>" in body["content_html"]
    assert "<script" not in body["content_html"]
    article.refresh_from_db()
    assert (article.views, article.widget_views) == (0, 0)


def test_article_endpoint_refuses_drafts_other_portals_and_other_accounts(visitor, portal, admin, account,
                                                                          other_account, outsider):
    draft = actions.create_article(portal, actor=admin, title="Rascunho", content="…")
    unlinked = actions.create_portal(account, actor=admin, name="Sem inbox", slug="sem-inbox")
    foreign = actions.create_portal(other_account, actor=outsider, name="Alheio", slug="alheio")
    for article in (draft, publish(unlinked, admin, "Sem inbox", "x"), publish(foreign, outsider, "Alheio", "x")):
        response = visitor.call("GET", f"articles/{article.pk}")
        assert response.status_code == 404 and "error" in response.json()
    assert visitor.call("POST", f"articles/{draft.pk}").status_code == 405


def test_view_from_the_widget_counts_as_a_widget_view(client, portal, admin):
    article = publish(portal, admin, "Trocas", "Texto.")
    response = client.post(f"/hc/ajuda-loja/articles/{article.pk}/view?source=widget")
    assert response.status_code == 204
    article.refresh_from_db()
    assert (article.views, article.widget_views) == (0, 1)


def test_search_endpoint_the_widget_uses_answers_in_portuguese_with_snippets(client, portal, admin):
    publish(portal, admin, "Como pedir a devolução de um produto", "Você tem sete dias para pedir a devolução.")
    response = client.get("/hc/ajuda-loja/pt-BR/articles.json?per_page=5&record=0&query=devolucao")
    hit = response.json()["payload"][0]
    assert hit["title"] == "Como pedir a devolução de um produto" and "<mark>" in hit["snippet_html"]
    assert not portal.search_terms.exists()  # record=0 while typing
