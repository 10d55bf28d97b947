"""WhatsApp fixtures: provider stand-ins, a uvicorn server pointed at them, channels, signed posting helpers."""

import hashlib
import hmac
import json
import time

import pytest
import requests

from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.models import WhatsappChannel
from tests.conftest import start_asgi_server, stop_server
from tests.whatsapp.standins import EVOLUTION_KEY, TOKEN, CloudStandin, EvolutionStandin

APP_SECRET = "app-secret-123"
VERIFY_TOKEN = "verify-me-0123456789abcdef"
PHONE = "+15550001111"
PHONE_NUMBER_ID = "1234567890"


@pytest.fixture(scope="module")
def cloud_standin():
    standin = CloudStandin()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def evolution_standin():
    standin = EvolutionStandin()
    yield standin
    standin.stop()


@pytest.fixture(autouse=True)
def _wa_settings(settings, request):
    """In-process calls reach the stand-ins on loopback too."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    if "cloud_standin" in request.fixturenames:
        settings.WHATSAPP_CLOUD_BASE_URL = request.getfixturevalue("cloud_standin").url


@pytest.fixture(scope="module")
def wa_server(django_db_setup, django_db_blocker, cloud_standin):
    """uvicorn serving the app, with the Graph API base URL pointed at the stand-in (tasks run in-process)."""
    server = start_asgi_server({"WHATSAPP_CLOUD_BASE_URL": cloud_standin.url, "WEBHOOK_ALLOW_PRIVATE_URLS": "1"})
    yield server
    stop_server(server)


@pytest.fixture
def standins(cloud_standin, evolution_standin):
    cloud_standin.reset()
    evolution_standin.reset()
    evolution_standin.state = "open"
    return cloud_standin, evolution_standin


@pytest.fixture
def cloud_inbox(account, agent, cloud_standin):
    cloud_standin.reset()
    return actions.create_whatsapp_inbox(account, actor=None, name="WhatsApp Loja", provider="whatsapp_cloud",
                                         phone_number=PHONE, member_ids=[agent.pk], config={
                                             "phone_number_id": PHONE_NUMBER_ID, "business_account_id": "WABA1",
                                             "api_key": TOKEN, "app_secret": APP_SECRET,
                                             "webhook_verify_token": VERIFY_TOKEN})


@pytest.fixture
def cloud_channel(cloud_inbox) -> WhatsappChannel:
    return cloud_inbox.whatsapp_channel


@pytest.fixture
def evolution_inbox(account, agent, evolution_standin):
    evolution_standin.reset()
    return actions.create_whatsapp_inbox(account, actor=None, name="Evolution Loja", provider="evolution",
                                         member_ids=[agent.pk], config={
                                             "server_url": evolution_standin.url, "instance_name": "loja1",
                                             "apikey": EVOLUTION_KEY})


@pytest.fixture
def evolution_channel(evolution_inbox) -> WhatsappChannel:
    return evolution_inbox.whatsapp_channel


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def raw(payload) -> bytes:
    """Meta's own serialisation: non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload).encode()


def post_cloud(server, payload=None, *, body: bytes | None = None, signature: str | None = None,
               phone: str = PHONE) -> requests.Response:
    body = body if body is not None else raw(payload)
    headers = {"Content-Type": "application/json"}
    if signature != "":
        headers["X-Hub-Signature-256"] = signature or sign(body)
    return requests.post(f"{server.url}/webhooks/whatsapp/{phone.lstrip('+')}", data=body, headers=headers,
                         timeout=30)


def envelope(*values, waba: str = "WABA1") -> dict:
    """A delivery with one entry per value (Meta batches entries and changes)."""
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba, "changes": [{"field": "messages", "value": v}]} for v in values]}


def value(messages=(), statuses=(), *, phone_number_id: str = PHONE_NUMBER_ID, contacts=None) -> dict:
    v = {"messaging_product": "whatsapp",
         "metadata": {"display_phone_number": PHONE.lstrip("+"), "phone_number_id": phone_number_id}}
    if messages:
        v["messages"] = list(messages)
        v["contacts"] = contacts if contacts is not None else [
            {"profile": {"name": "Ana Souza"}, "wa_id": m["from"]} for m in messages]
    if statuses:
        v["statuses"] = list(statuses)
    return v


def text_message(wamid: str, text: str = "olá", sender: str = "5511999990000", **extra) -> dict:
    return {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text",
            "text": {"body": text}, **extra}


def status(wamid: str, name: str, **extra) -> dict:
    return {"id": wamid, "status": name, "timestamp": str(int(time.time())), "recipient_id": "5511999990000",
            **extra}
