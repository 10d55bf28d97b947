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
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image, ImageDraw

        from automations.assistant import actions as assistant_actions
        from helpcenter import actions as helpcenter

        for name, slug in (("Central de ajuda", "ajuda-shot"), ("Portal do fornecedor", "fornecedor-shot")):
            helpcenter.create_portal(alu_inbox.account, actor=admin, name=name, slug=slug)
        picture = Image.new("RGB", (256, 256), (124, 58, 237))
        ImageDraw.Draw(picture).ellipse((64, 64, 192, 192), fill=(250, 204, 21))
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        assistant_actions.save_assistant_config(alu_inbox, actor=admin, enabled=True,
                                                avatar=SimpleUploadedFile("alu.png", buffer.getvalue()))
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
    assert page.locator("input[name=portal_ids]").count() == 2
    assert page.locator(".avatar-field img").count() == 1
    page.screenshot(path=f"{SHOTS}/alu_settings.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("form.settings-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    page.screenshot(path=f"{SHOTS}/alu_settings_390.png", full_page=True)
    page.locator("input[name=portal_ids]").last.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/alu_settings_390_portals.png")
    page.set_viewport_size({"width": 1440, "height": 1800})
    page.goto(live_server_asgi.url + reverse("conversations:detail", kwargs={
        "account_id": alu_inbox.account_id, "display_id": conversation.display_id}))
    page.wait_for_selector("#conversation")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Please tell me: Nome da empresa").count() >= 1
    bot_bubble = page.locator(".msg-bot").first
    assert bot_bubble.locator(".avatar img").count() == 1 and bot_bubble.locator(".badge-bot").count() == 1
    assert page.evaluate("[...document.querySelectorAll('.msg-bot .avatar img')].every(i => i.naturalWidth > 0)")
    page.screenshot(path=f"{SHOTS}/alu_thread.png", full_page=False)
    context.close()
    assert not errors, errors
