"""Evolution API: webhooks (JWT made with PyJWT, or the payload apikey) through uvicorn, and outbound sends."""

import base64
import time

import jwt
import pytest
import requests
from django.core.files.base import ContentFile

from contacts.models import Contact
from conversations import actions as conversation_actions
from conversations.models import Attachment, Conversation, Message
from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.models import ReceivedEvent
from tests.whatsapp.standins import EVOLUTION_KEY, PNG

pytestmark = pytest.mark.django_db(transaction=True)


def token(key: str) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"}, key,
                      algorithm="HS256")


def post(server, channel, payload, *, auth: str | None = "jwt", suffix: str = "") -> requests.Response:
    headers = {}
    if auth == "jwt":
        headers["Authorization"] = f"Bearer {token(channel.webhook_token)}"
    elif auth:
        headers["Authorization"] = auth
    return requests.post(f"{server.url}/webhooks/evolution/{channel.pk}{suffix}", json=payload, headers=headers,
                         timeout=30)


def upsert(key_id: str, message: dict, *, jid: str = "5511999990000@s.whatsapp.net", from_me: bool = False,
           push_name: str = "Bia Lima", message_type: str = "conversation", **key_extra) -> dict:
    return {"event": "messages.upsert", "instance": "loja1", "date_time": "2026-01-01T10:00:00.000Z",
            "data": {"key": {"remoteJid": jid, "fromMe": from_me, "id": key_id, **key_extra},
                     "pushName": push_name, "status": "DELIVERY_ACK", "message": message,
                     "messageType": message_type, "messageTimestamp": int(time.time())}}


@pytest.mark.servers
def test_authentication(wa_server, evolution_channel):
    payload = upsert("3EB0AUTH", {"conversation": "oi"})
    assert post(wa_server, evolution_channel, payload, auth=None).status_code == 401
    assert post(wa_server, evolution_channel, payload, auth=f"Bearer {token('wrong-key-' + 'x' * 32)}").status_code == 401
    assert not ReceivedEvent.objects.exists()
    assert post(wa_server, evolution_channel, {**payload, "apikey": EVOLUTION_KEY}, auth=None).status_code == 200
    assert post(wa_server, evolution_channel, payload, suffix="/messages-upsert").status_code == 200
    assert Message.objects.filter(source_id="3EB0AUTH").count() == 1
    assert requests.post(f"{wa_server.url}/webhooks/evolution/999999", json=payload, timeout=10).status_code == 404


@pytest.mark.servers
def test_messages_upsert_kinds(wa_server, evolution_channel, evolution_standin):
    events = [
        upsert("T1", {"conversation": "olá *mundo*"}),
        upsert("T2", {"extendedTextMessage": {"text": "veja https://loja.com.br"}},
               message_type="extendedTextMessage"),
        upsert("I1", {"imageMessage": {"mimetype": "image/png", "caption": "foto"},
                      "base64": base64.b64encode(PNG).decode()}, message_type="imageMessage"),
        upsert("I2", {"ephemeralMessage": {"message": {"imageMessage": {"mimetype": "image/png"}}}}),
        upsert("A1", {"audioMessage": {"mimetype": "audio/ogg; codecs=opus", "ptt": True},
                      "base64": base64.b64encode(b"OggS-voz").decode()}),
        upsert("D1", {"documentWithCaptionMessage": {"message": {"documentMessage": {
            "mimetype": "application/pdf", "fileName": "nota.pdf", "caption": "nota fiscal"}}},
            "base64": base64.b64encode(b"%PDF-1").decode()}),
        upsert("L1", {"locationMessage": {"degreesLatitude": -22.9, "degreesLongitude": -43.2, "name": "Loja RJ"}}),
        upsert("S1", {"stickerMessage": {"mimetype": "image/webp"}, "base64": base64.b64encode(PNG).decode()}),
        upsert("X1", {"conversation": "status"}, jid="status@broadcast"),
    ]
    for event in events:
        assert post(wa_server, evolution_channel, event).status_code == 200
    by_id = {m.source_id: m for m in Message.objects.filter(message_type=Message.MessageType.INCOMING)}
    assert set(by_id) == {"T1", "T2", "I1", "I2", "A1", "D1", "L1", "S1"}
    assert by_id["T1"].content == "olá **mundo**"
    assert by_id["I1"].attachments.get().file.read() == PNG and by_id["I1"].content == "foto"
    assert by_id["I2"].attachments.get().file.read() == PNG  # fetched with getBase64FromMediaMessage
    assert evolution_standin.calls("POST", "/chat/getBase64FromMediaMessage/loja1")[0].json() == {
        "message": {"key": {"id": "I2"}}, "convertToMp4": False}
    assert by_id["A1"].attachments.get().file_type == Attachment.FileType.AUDIO
    doc = by_id["D1"].attachments.get()
    assert (doc.file_name, by_id["D1"].content) == ("nota.pdf", "nota fiscal")
    assert by_id["L1"].attachments.get().coordinates_lat == -22.9
    contact = Contact.objects.get()
    assert (contact.name, contact.phone_number) == ("Bia Lima", "+5511999990000")
    assert Conversation.objects.count() == 1


@pytest.mark.servers
def test_from_me_group_lid_and_receipts(wa_server, evolution_channel, agent):
    assert post(wa_server, evolution_channel, upsert("ME1", {"conversation": "enviei do celular"},
                                                     from_me=True, push_name="Loja")).ok
    mine = Message.objects.get(source_id="ME1")
    assert mine.message_type == Message.MessageType.OUTGOING and mine.content == "enviei do celular"
    group = upsert("G1", {"conversation": "alguém aí?"}, jid="120363025@g.us",
                   participant="5521988887777@s.whatsapp.net", push_name="Carlos")
    assert post(wa_server, evolution_channel, group).ok
    group_message = Message.objects.get(source_id="G1")
    assert group_message.content == "**Carlos:**\nalguém aí?"
    assert group_message.additional_attributes["participant_name"] == "Carlos"
    assert group_message.conversation.contact.identifier == "120363025@g.us"
    assert group_message.conversation_id != mine.conversation_id
    lid = upsert("L1", {"conversation": "oi"}, jid="1234567@lid", remoteJidAlt="5531977776666@s.whatsapp.net",
                 addressingMode="lid", push_name="Dani")
    assert post(wa_server, evolution_channel, lid).ok
    assert Contact.objects.get(name="Dani").phone_number == "+5531977776666"
    # Receipts: read, then a late delivery ack, never go backwards.
    for name in ("SERVER_ACK", "READ", "DELIVERY_ACK"):
        update = {"event": "messages.update", "instance": "loja1",
                  "data": {"keyId": "ME1", "remoteJid": "5511999990000@s.whatsapp.net", "fromMe": True,
                           "status": name}}
        assert post(wa_server, evolution_channel, update).ok
    mine.refresh_from_db()
    assert mine.status == Message.Status.READ


@pytest.mark.servers
def test_connection_and_qrcode_events(wa_server, evolution_channel):
    qr = {"event": "qrcode.updated", "instance": "loja1",
          "data": {"qrcode": {"instance": "loja1", "pairingCode": "ABCD1234", "code": "2@x",
                              "base64": "data:image/png;base64," + base64.b64encode(PNG).decode()}}}
    assert post(wa_server, evolution_channel, qr).ok
    evolution_channel.refresh_from_db()
    assert evolution_channel.provider_config["qrcode"].startswith("data:image/png;base64,")
    assert evolution_channel.provider_config["connection_state"] == "connecting"
    opened = {"event": "connection.update", "instance": "loja1",
              "data": {"instance": "loja1", "state": "open", "wuid": "5511988880000@s.whatsapp.net",
                       "profileName": "Loja", "statusReason": 200}}
    assert post(wa_server, evolution_channel, opened).ok
    evolution_channel.refresh_from_db()
    assert evolution_channel.provider_config["connection_state"] == "open"
    assert evolution_channel.provider_config["qrcode"] == "" and evolution_channel.phone_number == "+5511988880000"


@pytest.fixture
def evo_conversation(evolution_channel):
    contact_inbox = actions.contact_inbox_for_phone(evolution_channel, "+5511999990000", name="Bia")
    actions.receive_whatsapp_message(evolution_channel, contact_inbox, source_id="3EB0IN", content="oi")
    return actions.conversation_for(contact_inbox)


def test_send_text_media_and_unknown_number(evo_conversation, agent, evolution_standin):
    message = conversation_actions.send_reply(evo_conversation, actor=agent, content="**Olá**, tudo bem?",
                                              content_attributes={"in_reply_to": evo_conversation.messages.get(
                                                  source_id="3EB0IN").pk})
    message.refresh_from_db()
    [call] = evolution_standin.calls("POST", "/message/sendText/loja1")
    assert call.headers["apikey"] == EVOLUTION_KEY
    assert call.json()["number"] == "5511999990000" and call.json()["text"] == "*Olá*, tudo bem?"
    assert call.json()["quoted"] == {"key": {"id": "3EB0IN"}}
    assert message.source_id.startswith("EVO")
    photo = {"file_type": Attachment.FileType.IMAGE, "file": ContentFile(PNG, name="a.png"), "file_name": "a.png",
             "content_type": "image/png", "file_size": len(PNG)}
    media = conversation_actions.send_reply(evo_conversation, actor=agent, content="foto", attachments=[photo])
    body = evolution_standin.calls("POST", "/message/sendMedia/loja1")[0].json()
    assert (body["mediatype"], body["caption"], base64.b64decode(body["media"])) == ("image", "foto", PNG)
    media.refresh_from_db()
    assert media.source_id.startswith("EVO")
    evolution_standin.fail_next("send", 400, {"status": 400, "error": "Bad Request", "response": {
        "message": [{"exists": False, "jid": "5511999990000@s.whatsapp.net", "number": "5511999990000"}]}})
    failed = conversation_actions.send_reply(evo_conversation, actor=agent, content="oi?")
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED and "131026" in failed.content_attributes["external_error"]
    assert len(evolution_standin.calls("POST", "/message/send")) == 3  # the 400 was not retried


def test_phone_echo_of_an_api_send_is_not_duplicated(evo_conversation, agent, evolution_channel):
    message = conversation_actions.send_reply(evo_conversation, actor=agent, content="eco")
    message.refresh_from_db()
    echo = upsert(message.source_id, {"conversation": "eco"}, from_me=True)["data"]
    from inboxes.providers.whatsapp import inbound_evolution

    inbound_evolution.process(evolution_channel, {"event": "send.message", "data": echo})
    inbound_evolution.process(evolution_channel, {"event": "messages.upsert", "data": echo})
    assert Message.objects.filter(content="eco").count() == 1
