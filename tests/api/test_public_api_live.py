"""The Client API through a real uvicorn server (chatwoot-compat.md §6): a customer creates a contact, a
conversation and messages (JSON and multipart), reads them back without the agents' private notes, types,
marks seen and resolves; and bad input (unknown inbox, wrong HMAC, malformed JSON, refused attachments, too
many messages) is refused without losing anything already accepted."""

import hashlib
import hmac
from urllib.parse import urlparse

import pytest
import requests
from django.utils import timezone

from contacts.models import Contact, ContactInbox
from conversations import actions as conversation_actions
from conversations.models import Conversation, Message
from inboxes.client_actions import MESSAGES_PER_MINUTE
from inboxes.models import ApiChannel
from tests import factories
from tests.conftest import start_asgi_server, stop_server

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]
NOT_FOUND = {"error": "Resource could not be found"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def public_base(server, inbox) -> str:
    return f"{server.url}/public/api/v1/inboxes/{inbox.api_channel.identifier}"


def test_a_customer_talks_to_the_inbox_through_the_public_api(live_server_asgi, account, agent):
    inbox = factories.make_inbox(account, name="Loja API", members=[agent], greeting_enabled=False)
    base = public_base(live_server_asgi, inbox)
    http = requests.Session()

    info = http.get(base, timeout=10)
    assert info.status_code == 200
    assert info.json()["name"] == "Loja API"
    assert {"timezone", "working_hours", "working_hours_enabled", "csat_survey_enabled",
            "greeting_enabled"} <= set(info.json())

    created = http.post(base + "/contacts", json={"name": "Ana Souza", "email": "Ana@Example.com",
                                                   "phone_number": "5511987654321",
                                                   "custom_attributes": {"plano": "ouro"}}, timeout=10)
    assert created.status_code == 200, created.text
    contact = created.json()
    assert set(contact) == {"id", "source_id", "pubsub_token", "name", "email", "phone_number"}
    assert (contact["name"], contact["email"], contact["phone_number"]) == (
        "Ana Souza", "ana@example.com", "+5511987654321")
    source_id = contact["source_id"]
    assert len(source_id) == 36 and contact["pubsub_token"]
    row = Contact.objects.get(pk=contact["id"])
    assert row.account_id == account.pk and row.custom_attributes == {"plano": "ouro"}
    assert http.get(f"{base}/contacts/{source_id}", timeout=10).json() == contact

    renamed = http.patch(f"{base}/contacts/{source_id}", json={"name": "Ana S.",
                                                                "custom_attributes": {"cidade": "Recife"}},
                         timeout=10)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Ana S."
    row.refresh_from_db()
    assert row.custom_attributes == {"plano": "ouro", "cidade": "Recife"}  # merged, as Chatwoot's identify does

    started = http.post(f"{base}/contacts/{source_id}/conversations",
                        json={"custom_attributes": {"pedido": "12345"}}, timeout=10)
    assert started.status_code == 200, started.text
    conversation = started.json()
    assert set(conversation) == {"id", "uuid", "inbox_id", "contact_last_seen_at", "status", "agent_last_seen_at",
                                 "messages", "contact"}
    assert (conversation["status"], conversation["inbox_id"], conversation["messages"]) == ("open", inbox.pk, [])
    assert conversation["contact"]["id"] == contact["id"]
    row_conversation = Conversation.objects.get(account=account, display_id=conversation["id"])
    assert row_conversation.custom_attributes == {"pedido": "12345"}
    messages_url = f"{base}/contacts/{source_id}/conversations/{conversation['id']}/messages"

    sent = http.post(messages_url, json={"content": "Olá, meu pedido não chegou", "echo_id": "eco-1"}, timeout=10)
    assert sent.status_code == 200, sent.text
    first = sent.json()
    assert (first["content"], first["message_type"], first["echo_id"], first["conversation_id"]) == (
        "Olá, meu pedido não chegou", 0, "eco-1", conversation["id"])
    assert first["sender"]["type"] == "contact" and first["sender"]["id"] == contact["id"]

    upload = http.post(messages_url, data={"content": "Segue a nota"},
                       files={"attachments[]": ("nota fiscal.pdf", PDF, "application/pdf")}, timeout=10)
    assert upload.status_code == 200, upload.text
    attachment = upload.json()["attachments"][0]
    assert (attachment["file_type"], attachment["extension"], attachment["file_size"]) == ("file", "pdf", len(PDF))
    download = http.get(live_server_asgi.url + urlparse(attachment["data_url"]).path, timeout=10)
    assert download.status_code == 200 and download.content == PDF

    # The agent answers and writes a private note; the customer sees the answer only.
    conversation_actions.send_reply(row_conversation, actor=agent, content="Vou verificar, Ana.")
    conversation_actions.send_reply(row_conversation, actor=agent, content="nota interna: cliente VIP",
                                    private=True)
    thread = http.get(messages_url, timeout=10).json()
    assert [m["content"] for m in thread] == ["Olá, meu pedido não chegou", "Segue a nota", "Vou verificar, Ana."]
    assert thread[-1]["message_type"] == 1 and thread[-1]["sender"]["type"] == "user"
    assert "email" not in thread[-1]["sender"]
    listed = http.get(f"{base}/contacts/{source_id}/conversations", timeout=10).json()
    assert [c["id"] for c in listed] == [conversation["id"]]
    assert "nota interna" not in str(listed)

    conversation_url = f"{base}/contacts/{source_id}/conversations/{conversation['id']}"
    assert http.post(conversation_url + "/toggle_typing", json={"typing_status": "on"}, timeout=10).status_code == 200
    assert http.post(conversation_url + "/update_last_seen", timeout=10).status_code == 200
    resolved = http.post(conversation_url + "/toggle_status", timeout=10)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    row_conversation.refresh_from_db()
    assert row_conversation.is_resolved and row_conversation.contact_last_seen_at is not None
    assert resolved.json()["contact_last_seen_at"] == int(row_conversation.contact_last_seen_at.timestamp())
    incoming = Message.objects.filter(conversation=row_conversation, message_type=Message.MessageType.INCOMING)
    assert incoming.count() == 2


def test_bad_input_is_refused_without_losing_accepted_messages(transactional_db, account):
    """Run on a server whose attachment limit is 4 KB, to send an oversize file cheaply."""
    inbox = factories.make_inbox(account, name="Loja API")
    ApiChannel.objects.filter(inbox=inbox).update(hmac_mandatory=True, hmac_token="segredo-da-loja")
    server = start_asgi_server({"ATTACHMENT_MAX_BYTES": "4096"})
    try:
        base = public_base(server, inbox)
        http = requests.Session()
        contacts_before = Contact.objects.count()

        unknown = http.post(f"{server.url}/public/api/v1/inboxes/nao-existe/contacts", json={"name": "X"},
                            timeout=10)
        assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)

        malformed = http.post(base + "/contacts", data=b'{"name": "Ana"', timeout=10,
                              headers={"Content-Type": "application/json"})
        assert malformed.status_code == 400 and malformed.json()["error"].startswith("Malformed JSON: ")

        wrong = http.post(base + "/contacts", json={"identifier": "cliente-42", "identifier_hash": "0" * 64,
                                                    "name": "Ana"}, timeout=10)
        missing = http.post(base + "/contacts", json={"identifier": "cliente-42", "name": "Ana"}, timeout=10)
        for response in (wrong, missing):
            assert response.status_code == 401 and "HMAC" in response.json()["error"]
        assert Contact.objects.count() == contacts_before and not ContactInbox.objects.filter(inbox=inbox).exists()

        good_hash = hmac.new(b"segredo-da-loja", b"cliente-42", hashlib.sha256).hexdigest()
        contact = http.post(base + "/contacts", json={"identifier": "cliente-42", "identifier_hash": good_hash,
                                                      "name": "Ana"}, timeout=10)
        assert contact.status_code == 200, contact.text
        source_id = contact.json()["source_id"]
        assert ContactInbox.objects.get(source_id=source_id).hmac_verified
        display_id = http.post(f"{base}/contacts/{source_id}/conversations", timeout=10).json()["id"]
        messages_url = f"{base}/contacts/{source_id}/conversations/{display_id}/messages"
        conversation = Conversation.objects.get(account=account, display_id=display_id)

        too_big = http.post(messages_url, data={"content": "texto que fica"},
                            files={"attachments[]": ("grande.pdf", PDF + b"0" * 5000, "application/pdf")},
                            timeout=10)
        assert too_big.status_code == 413, too_big.text
        assert "grande.pdf" in too_big.json()["error"] and too_big.json()["payload"]["content"] == "texto que fica"
        refused = http.post(messages_url, data={"content": "outro texto"},
                            files={"attachments[]": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")},
                            timeout=10)
        assert refused.status_code == 415 and "virus.exe" in refused.json()["error"]
        only_file = http.post(messages_url, files={"attachments[]": ("so.pdf", PDF + b"0" * 5000,
                                                                     "application/pdf")}, timeout=10)
        assert only_file.status_code == 413
        kept = list(conversation.messages.filter(message_type=Message.MessageType.INCOMING)
                    .values_list("content", flat=True).order_by("id"))
        assert kept == ["texto que fica", "outro texto"]
        assert not conversation.messages.filter(attachments__isnull=False).exists()

        # 200 messages a minute are accepted (2 already are, 190 more are stored here, 8 through the server);
        # the next one answers 429 and loses nothing.
        Message.objects.bulk_create([
            Message(account_id=account.pk, inbox_id=inbox.pk, conversation=conversation, content=f"antes {n}",
                    message_type=Message.MessageType.INCOMING, created_at=timezone.now()) for n in range(190)])
        for n in range(MESSAGES_PER_MINUTE - 2 - 190):
            response = http.post(messages_url, json={"content": f"mensagem {n}"}, timeout=10)
            assert response.status_code == 200, (n, response.text)
        limited = http.post(messages_url, json={"content": "uma a mais"}, timeout=10)
        assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
        incoming = conversation.messages.filter(message_type=Message.MessageType.INCOMING)
        assert incoming.count() == MESSAGES_PER_MINUTE and not incoming.filter(content="uma a mais").exists()
    finally:
        stop_server(server)
