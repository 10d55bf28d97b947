"""The assistant's settings tab in a real browser (screenshot kept for review), and Alú's messages in the thread."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ASSISTANT_SCREENSHOTS", "/tmp")


def server_side(fn, *args, **kwargs):
    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_settings_tab_and_alu_in_the_thread(browser, live_server_asgi, session_cookie_for, admin, alu_inbox):
    from conversations import actions
    from tests import factories

    def start():
        conversation = factories.make_conversation(alu_inbox, messages=0)
        actions.receive_message(conversation, sender=conversation.contact, content="Olá, quero comprar")
        return conversation

    conversation = server_side(start)
    context = browser.new_context(viewport={"width": 1440, "height": 1800})
    context.add_cookies([{**session_cookie_for(admin), "url": live_server_asgi.url}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server_asgi.url + reverse("assistant:settings", kwargs={"account_id": alu_inbox.account_id,
                                                                           "inbox_id": alu_inbox.pk}))
    page.wait_for_selector("form.settings-form")
    assert page.locator("nav.settings-tabs a[aria-current=page]").inner_text().strip() in ("Assistant", "Assistente")
    assert "compras | Compras | Compras" in page.locator("textarea[name=routing_text]").input_value()
    page.screenshot(path=f"{SHOTS}/alu_settings.png", full_page=True)
    page.goto(live_server_asgi.url + reverse("conversations:detail", kwargs={
        "account_id": alu_inbox.account_id, "display_id": conversation.display_id}))
    page.wait_for_selector("#conversation")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Please tell me: Nome da empresa").count() >= 1
    page.screenshot(path=f"{SHOTS}/alu_thread.png", full_page=False)
    context.close()
    assert not errors, errors
