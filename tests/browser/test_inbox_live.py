"""Two agents on the live ASGI server: what one does appears for the other without a reload."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_page(browser, server, cookie, path, problems):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{**cookie, "url": server.url}])
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.goto(server.url + path)
    page.wait_for_selector("#conversation")
    # The server confirmed the watch: from here on, this tab gets the conversation's typing and messages.
    page.wait_for_function("() => window.Autonomia && window.Autonomia.live.watched !== null")
    page.wait_for_load_state("networkidle")
    return context, page


def test_reply_and_resolve_reach_the_other_agent_live(browser, live_server_asgi, session_cookie_for, admin, agent,
                                                      conversation):
    path = reverse("conversations:detail", kwargs={"account_id": conversation.account_id,
                                                   "display_id": conversation.display_id})
    problems = []
    context_a, a = open_page(browser, live_server_asgi, session_cookie_for(admin), path, problems)
    context_b, b = open_page(browser, live_server_asgi, session_cookie_for(agent), path, problems)

    # A replies with Ctrl+Enter; it shows at once for A (once), and B sees it arrive.
    a.fill("#reply-content", "Olá Carla, já estou vendo o seu pedido!")
    a.press("#reply-content", "Control+Enter")
    a.wait_for_selector(".msg-out >> text=já estou vendo o seu pedido", timeout=5000)
    b.wait_for_selector(".msg-out >> text=já estou vendo o seu pedido", timeout=5000)
    assert a.input_value("#reply-content") == ""
    assert a.locator(".msg-out").count() == 1
    a.wait_for_timeout(500)  # the websocket echo arrives too: it must not duplicate the message
    assert a.locator(".msg-out").count() == 1 and b.locator(".msg-out").count() == 1

    # A resolves ("Resolver"); B's header turns to "Reopen" and the activity line appears, no reload.
    b.evaluate("() => { window.__sameDocument = true; }")
    a.click("#conversation-header [data-action=resolve]")
    a.wait_for_selector("#conversation-header[data-status=resolved]", timeout=5000)
    b.wait_for_selector("#conversation-header[data-status=resolved]", timeout=5000)
    b.wait_for_selector("#conversation-header [data-action=open]", timeout=5000)
    b.wait_for_selector(".msg-activity >> text=Ana Admin", timeout=5000)
    assert b.evaluate("() => window.__sameDocument") is True

    context_a.close()
    context_b.close()
    assert not problems, problems


def test_typing_indicator_and_list_update(browser, live_server_asgi, session_cookie_for, admin, agent, conversation):
    path = reverse("conversations:detail", kwargs={"account_id": conversation.account_id,
                                                   "display_id": conversation.display_id})
    problems = []
    context_a, a = open_page(browser, live_server_asgi, session_cookie_for(admin), path, problems)
    context_b, b = open_page(browser, live_server_asgi, session_cookie_for(agent), path, problems)

    a.type("#reply-content", "digitando")
    b.wait_for_selector("#typing:not([hidden]) >> text=Ana Admin", timeout=5000)
    a.press("#reply-content", "Control+Enter")
    b.wait_for_selector("#typing[hidden]", state="attached", timeout=6000)
    # The list row of B shows the new last message.
    b.wait_for_selector(f"#conversation-{conversation.display_id} .row-preview >> text=digitando", timeout=5000)

    context_a.close()
    context_b.close()
    assert not problems, problems
