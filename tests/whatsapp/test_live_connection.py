"""The Evolution pairing panel is live: connection.update / qrcode.updated reach the administrators' sockets
(whatsapp.connection_changed, ids only) and the settings page re-GETs its panel partial."""

import asyncio
import base64
import json
import os
import re
import shutil
import time

import jwt
import pytest
import requests
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.urls import reverse

from autonomia.asgi import application
from inboxes.providers.whatsapp import actions
from tests.whatsapp.standins import PNG

pytestmark = pytest.mark.django_db(transaction=True)
QR = "data:image/png;base64," + base64.b64encode(PNG).decode()


async def connect(account, cookie):
    communicator = WebsocketCommunicator(application, f"/ws/accounts/{account.pk}/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"cookie", f"{cookie['name']}={cookie['value']}".encode())])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def next_event(communicator, type_, timeout=3):
    async with asyncio.timeout(timeout):
        while True:
            data = json.loads(await communicator.receive_from(timeout=timeout))
            if data["type"] == type_:
                return data


async def test_qr_and_state_changes_reach_administrators_only(account, admin, agent, evolution_channel,
                                                              session_cookie_for):
    admin_socket = await connect(account, await sync_to_async(session_cookie_for)(admin))
    agent_socket = await connect(account, await sync_to_async(session_cookie_for)(agent))
    await sync_to_async(actions.record_connection_state)(evolution_channel, state="connecting", qrcode=QR)
    event = await next_event(admin_socket, "whatsapp.connection_changed")
    assert event == {"type": "whatsapp.connection_changed", "inbox_id": evolution_channel.inbox_id}
    assert await agent_socket.receive_nothing(timeout=0.5)
    # Nothing the page shows changed: no event.
    await sync_to_async(actions.record_connection_state)(evolution_channel, state="connecting", qrcode=QR)
    assert await admin_socket.receive_nothing(timeout=0.5)
    await sync_to_async(actions.record_connection_state)(evolution_channel, state="open")
    assert (await next_event(admin_socket, "whatsapp.connection_changed"))["inbox_id"] == evolution_channel.inbox_id
    await admin_socket.disconnect()
    await agent_socket.disconnect()


def test_panel_partial_is_what_the_page_shows(admin_client, evolution_channel, agent_client):
    actions.record_connection_state(evolution_channel, state="connecting", qrcode=QR, pairing_code="WZYEH1YY")
    url = reverse("whatsapp:settings", kwargs={"account_id": evolution_channel.inbox.account_id,
                                               "whatsapp_inbox_id": evolution_channel.inbox_id})
    page = admin_client.get(url).content.decode()
    panel = admin_client.get(url + "?panel=connection", headers={"HX-Request": "true"}).content.decode()
    assert panel.strip().startswith('<section class="settings-section wa-connection" id="wa-connection"')
    unmasked = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked anew at every render
    assert unmasked.sub("", panel.strip()) in unmasked.sub("", page)  # the same bytes as the page's panel
    assert 'hx-trigger="wa-connection-refresh"' in panel and "every 5s" not in panel
    assert "Aguardando a leitura do QR code" in panel and QR in panel and "WZYEH1YY" in panel
    assert agent_client.get(url + "?panel=connection").status_code == 403


def jwt_token(key: str) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"}, key, algorithm="HS256")


@pytest.mark.browser
@pytest.mark.servers
def test_settings_page_shows_the_new_qr_without_reload(browser, live_server_asgi, session_cookie_for, admin,
                                                       evolution_channel, tmp_path):
    """A qrcode.updated webhook posted to the server appears on the open settings page, then connection.update."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (264, 264), "white")
    draw = ImageDraw.Draw(image)
    for x in range(0, 264, 24):  # a QR-like checkerboard, so the screenshot shows a code
        for y in range(0, 264, 24):
            if (x + y) // 24 % 2:
                draw.rectangle((x, y, x + 23, y + 23), fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    qr = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    url = live_server_asgi.url + reverse("whatsapp:settings", kwargs={
        "account_id": evolution_channel.inbox.account_id, "whatsapp_inbox_id": evolution_channel.inbox_id})
    problems = []
    shots = {}
    for name, width in (("desktop", 1440), ("mobile", 390)):
        actions.record_connection_state(evolution_channel, state="close", qrcode="")
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.add_cookies([{**session_cookie_for(admin), "url": live_server_asgi.url}])
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
        page.goto(url)
        page.wait_for_function("() => window.Autonomia && window.Autonomia.live.connected")
        page.wait_for_load_state("networkidle")
        assert page.locator("#wa-connection img.wa-qrcode").count() == 0
        page.evaluate("() => { window.__sameDocument = true; }")
        hook = f"{live_server_asgi.url}/webhooks/evolution/{evolution_channel.pk}"
        auth = {"Authorization": f"Bearer {jwt_token(evolution_channel.webhook_token)}"}
        assert requests.post(hook, headers=auth, timeout=10, json={
            "event": "qrcode.updated", "instance": "loja1",
            "data": {"qrcode": {"instance": "loja1", "pairingCode": "WZYEH1YY", "code": "2@x", "base64": qr}}}).ok
        page.wait_for_selector("#wa-connection img.wa-qrcode", timeout=5000)  # the 5 s poll is off: it is live
        assert page.locator("#wa-connection img.wa-qrcode").get_attribute("src") == qr
        assert "Aguardando a leitura do QR code" in page.inner_text("#wa-connection")
        shots[name] = tmp_path / f"wa-connection-{name}.png"
        page.screenshot(path=str(shots[name]), full_page=True)
        assert requests.post(hook, headers=auth, timeout=10, json={
            "event": "connection.update", "instance": "loja1",
            "data": {"instance": "loja1", "state": "open", "wuid": "5511988880000@s.whatsapp.net"}}).ok
        page.wait_for_selector("#wa-connection .wa-state-open", timeout=5000)
        assert page.locator("#wa-connection img.wa-qrcode").count() == 0
        assert page.evaluate("() => window.__sameDocument") is True
        context.close()
    if os.environ.get("WA_SCREENSHOTS"):  # to look at them: WA_SCREENSHOTS=/some/dir
        for name, path in shots.items():
            shutil.copy(path, os.path.join(os.environ["WA_SCREENSHOTS"], path.name))
    assert not problems, problems
