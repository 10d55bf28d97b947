"""The public portal in Chromium: search as you type, open the article, vote, and the 'Talk to us' button."""

import pytest

from tests.helpcenter.conftest import publish

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def test_search_open_vote_and_talk_to_us(live_server_asgi, browser, account, admin, tmp_path):
    from helpcenter import actions
    from inboxes.models import Inbox

    from inboxes.models import WebWidgetChannel

    inbox = Inbox.objects.create(account=account, name="Site", channel_type=Inbox.ChannelType.WEB_WIDGET)
    WebWidgetChannel.objects.create(inbox=inbox)
    portal = actions.create_portal(account, actor=admin, name="Ajuda Loja", slug="ajuda", inbox=inbox)
    category = actions.create_category(portal, actor=admin, name="Pedidos", icon="📦")
    publish(portal, admin, "Como pedir a devolução de um produto", "## Prazo\nSete dias.\n\n## Passos\nAbra o pedido.",
            category=category)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Content Security" in m.text
            else None)
    page.goto(live_server_asgi.url + "/hc/ajuda/pt-BR/")
    page.fill("#hc-q", "devolucao")
    page.wait_for_selector("#hc-instant mark", timeout=10_000)
    assert "devolução" in page.inner_text("#hc-instant").lower()
    page.screenshot(path=str(tmp_path / "portal-search.png"))
    page.click("#hc-instant a")
    page.wait_for_selector("h1:has-text('Como pedir a devolução')")
    assert page.locator(".hc-toc a").count() == 2
    page.click(".hc-vote button[value='1']")
    page.wait_for_selector("#hc-comment", timeout=10_000)
    page.fill("#hc-comment", "Muito claro")
    page.click("#feedback button.hc-btn-primary")
    page.wait_for_selector(".hc-feedback-done", timeout=10_000)
    article = portal.articles.get()
    assert article.helpful_count == 1 and article.feedback.get().comment == "Muito claro"
    assert not problems, problems
    # "Talk to us" loads the website widget of the portal's inbox and opens it, styled under the portal's
    # nonce-based CSP (the loader's <style> carries the page's nonce).
    page.click("#hc-talk")
    page.wait_for_selector(".aw-open .aw-frame", state="visible", timeout=15_000)
    assert page.eval_on_selector(".aw-root", "el => getComputedStyle(el).position") == "fixed"
    # The widget of the portal's inbox searches this portal before a chat starts (deflection).
    frame = page.frame_locator("iframe.aw-frame")
    frame.locator("#hc-q").press_sequentially("prazo", delay=30)
    frame.locator(".hc-item mark").first.wait_for(timeout=10_000)
    assert frame.locator(".hc-item-title").first.inner_text() == "Como pedir a devolução de um produto"
    assert not problems, problems
    page.screenshot(path="/tmp/hc-article-desktop.png", full_page=True)
    mobile = browser.new_page(viewport={"width": 390, "height": 844})
    mobile.goto(live_server_asgi.url + f"/hc/ajuda/pt-BR/articles/{article.slug}/")
    assert mobile.evaluate("document.documentElement.scrollWidth <= 390")
    mobile.screenshot(path="/tmp/hc-article-390.png", full_page=True)
