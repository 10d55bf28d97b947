"""Help-center deflection in a real browser: on a customer's site, the visitor searches the portal from the
widget, opens an article inside it (the view is counted as a widget view), goes back, and starts a chat."""

import time
from pathlib import Path

import pytest

from conversations.models import Conversation
from helpcenter import actions
from helpcenter.models import Article, SearchTerm
from inboxes import widget_actions
from tests.widget.test_widget_browser import PAGE, CustomerSite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# A real shop's page declares a viewport, so on a phone the widget opens full screen.
SHOP_PAGE = PAGE.replace('<meta charset="utf-8">',
                         '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">')


@pytest.fixture
def shop(account, admin, agent):
    """A website inbox with a pre-chat form and a public portal linked to it."""
    inbox = widget_actions.create_web_widget_inbox(account, actor=None, name="Loja Exemplo",
                                                   welcome_title="Olá! Como podemos ajudar?", widget_color="#7c3aed",
                                                   allowed_domains="localhost", member_ids=[agent.pk])
    widget_actions.update_web_widget(inbox, actor=None, pre_chat_form_enabled=True,
                                     pre_chat_form_options={"pre_chat_message": "", "pre_chat_fields": [
                                         {"name": "fullName", "type": "text", "required": True, "enabled": True},
                                         {"name": "emailAddress", "type": "email", "required": True,
                                          "enabled": True}]})
    portal = actions.create_portal(account, actor=admin, name="Ajuda Loja", slug="ajuda-loja", inbox=inbox)
    category = actions.create_category(portal, actor=admin, name="Pedidos")
    published = Article.Status.PUBLISHED
    returns = actions.create_article(
        portal, actor=admin, title="Como pedir a devolução de um produto", category=category, status=published,
        description="Prazo e passos da devolução",
        content="## Prazo\nVocê tem **7 dias** para pedir a devolução.\n\n## Como pedir\n1. Abra o pedido.\n"
                "2. Clique em *Devolver*.\n\nVeja também [nossa política](https://loja.example.com/politica).")
    for views, title in enumerate(["Prazo de entrega", "Formas de pagamento", "Cupons de desconto"]):
        article = actions.create_article(portal, actor=admin, title=title, content="Texto do artigo.",
                                         category=category, status=published)
        Article.objects.filter(pk=article.pk).update(views=10 + views)
    return inbox, returns


@pytest.fixture
def customer_site(shop, live_server_asgi):
    from django.test import override_settings

    from inboxes.widget_settings import embed_snippet

    class Request:
        def build_absolute_uri(self, path):
            return live_server_asgi.url + path

    with override_settings(FRONTEND_URL=live_server_asgi.url):
        snippet = embed_snippet(Request(), shop[0])
    site = CustomerSite(SHOP_PAGE % {"snippet": snippet})
    yield site
    site.close()


def watch(page, problems):
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))


def open_widget(page):
    page.wait_for_selector(".aw-bubble")
    page.click(".aw-bubble")
    frame = page.frame_locator("iframe.aw-frame")
    frame.locator(".hc-card").wait_for(state="visible", timeout=5000)
    return frame


def wait_until(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_visitor_finds_an_answer_reads_it_goes_back_and_starts_a_chat(browser, customer_site, shop):
    inbox, returns = shop
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    watch(page, problems)
    page.goto(customer_site.url)
    frame = open_widget(page)

    # Before typing: the three most viewed articles.
    frame.locator("text=Artigos populares").wait_for()
    assert frame.locator(".hc-item-title").all_inner_texts() == [
        "Cupons de desconto", "Formas de pagamento", "Prazo de entrega"]
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "widget-hc-home-desktop.png"))

    # Search as you type, accent-insensitive, with a highlighted snippet.
    frame.locator("#hc-q").press_sequentially("devolucao", delay=30)
    frame.locator(".hc-item mark").first.wait_for(timeout=8000)
    assert frame.locator(".hc-item-title").first.inner_text() == "Como pedir a devolução de um produto"
    assert frame.locator(".hc-still-line button").inner_text() == "Iniciar conversa"
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "widget-hc-results-desktop.png"))

    # Keyboard: Down selects the result, Enter opens it inside the widget.
    frame.locator("#hc-q").press("ArrowDown")
    frame.locator(".hc-item.is-active").wait_for()
    assert frame.locator("#hc-q").get_attribute("aria-activedescendant") == "hc-opt-0"
    frame.locator("#hc-q").press("Enter")
    frame.locator(".hc-body h2 >> text=Prazo").wait_for(timeout=8000)
    assert frame.locator("#hc-article-title").inner_text() == "Como pedir a devolução de um produto"
    assert frame.locator(".hc-body strong").inner_text() == "7 dias"
    full = frame.locator("a.hc-open")
    assert full.get_attribute("target") == "_blank"
    assert full.get_attribute("href") == f"/hc/ajuda-loja/pt-BR/articles/{returns.slug}/"
    assert frame.locator(".hc-body a[href^='https://loja.example.com']").get_attribute("target") == "_blank"
    # The view is counted as a widget view; the search term once, not every prefix typed.
    wait_until(lambda: Article.objects.get(pk=returns.pk).widget_views == 1)
    assert Article.objects.get(pk=returns.pk).views == 0
    wait_until(lambda: SearchTerm.objects.filter(term="devolucao").exists())
    assert list(SearchTerm.objects.values_list("term", "searches", "last_results")) == [("devolucao", 1, 1)]
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "widget-hc-article-desktop.png"))

    # Esc (or the back button) returns to the search, query and results kept, focus in the box.
    page.keyboard.press("Escape")
    frame.locator(".hc-item mark").first.wait_for()
    assert frame.locator("#hc-q").input_value() == "devolucao"
    assert frame.locator("#hc-q").evaluate("el => document.activeElement === el")

    # Still need help: the pre-chat form, then the chat; the search is gone once the chat has started.
    frame.locator(".hc-still-line button").click()
    assert frame.locator("#f-fullName").evaluate("el => document.activeElement === el")
    frame.locator("#f-fullName").fill("Paula Visitante")
    frame.locator("#f-emailAddress").fill("paula@example.com")
    frame.locator("#f-message").fill("Quero devolver, mas passou o prazo")
    frame.locator("form.prechat button[type=submit]").click()
    frame.locator(".msg-in:not(.is-pending) >> text=Quero devolver, mas passou o prazo").wait_for(timeout=8000)
    assert Conversation.objects.filter(inbox=inbox).count() == 1
    assert frame.locator(".hc-card").count() == 0
    context.close()
    assert not problems, problems


def test_on_a_phone_the_search_and_the_article_fit_the_screen(browser, customer_site, shop):
    problems = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    watch(page, problems)
    page.goto(customer_site.url)
    frame = open_widget(page)
    assert page.eval_on_selector("iframe.aw-frame", "f => f.getBoundingClientRect().width") == 390  # full screen
    frame.locator("#hc-q").press_sequentially("prazo", delay=30)
    frame.locator(".hc-item mark").first.wait_for(timeout=8000)
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "widget-hc-results-390.png"))
    assert frame.locator("body").evaluate("b => b.scrollWidth <= b.clientWidth")
    frame.locator(".hc-item >> text=Como pedir a devolução").tap()
    frame.locator(".hc-body h2").first.wait_for(timeout=8000)
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "widget-hc-article-390.png"))
    assert frame.locator("body").evaluate("b => b.scrollWidth <= b.clientWidth")
    frame.locator("#hc-back").tap()
    frame.locator("#hc-q").wait_for()
    context.close()
    assert not problems, problems
