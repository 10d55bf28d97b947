"""Cloud API webhooks through a real uvicorn process: handshake, signatures, batches, media, dedupe, statuses."""

import json

import pytest
import requests

from contacts.models import Contact, ContactInbox
from conversations.models import Attachment, Conversation, Message
from inboxes.providers.whatsapp.models import ReceivedEvent
from tests.whatsapp.conftest import (PHONE, VERIFY_TOKEN, envelope, post_cloud, raw, sign, status, text_message,
                                     value)
from tests.whatsapp.standins import PNG

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def test_handshake_echoes_the_challenge_raw(wa_server, cloud_channel):
    url = f"{wa_server.url}/webhooks/whatsapp/{PHONE.lstrip('+')}"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                   "hub.challenge": "1158201444"}, timeout=10)
    assert (ok.status_code, ok.text, ok.headers["Content-Type"]) == (200, "1158201444", "text/plain")
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                      "hub.challenge": "1"}, timeout=10)
    assert wrong.status_code == 403 and "1" not in wrong.text


def test_unknown_number_is_404(wa_server, cloud_channel):
    assert post_cloud(wa_server, envelope(value([text_message("wamid.X")])), phone="+15559999999").status_code == 404


def test_bad_or_missing_signature_stores_nothing(wa_server, cloud_channel):
    payload = envelope(value([text_message("wamid.SIG1")]))
    assert post_cloud(wa_server, payload, signature="sha256=" + "0" * 64).status_code == 401
    assert post_cloud(wa_server, payload, signature="").status_code == 401
    # Re-serialised JSON (different bytes) does not match a signature over the original bytes.
    body = raw(payload)
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert post_cloud(wa_server, body=reserialised, signature=sign(body)).status_code == 401
    assert not ReceivedEvent.objects.exists() and not Message.objects.exists()


def test_text_message_creates_contact_conversation_and_message(wa_server, cloud_channel):
    body = raw(envelope(value([text_message("wamid.T1", "Olá, *preço* do _café_? ção ✓")])))
    assert b"\\u00e7" in body  # non-ASCII escaped as Meta sends it; the signature covers these exact bytes
    response = post_cloud(wa_server, body=body)
    assert response.status_code == 200
    message = Message.objects.get(source_id="wamid.T1")
    assert message.message_type == Message.MessageType.INCOMING
    assert message.content == "Olá, **preço** do *café*? ção ✓"  # WhatsApp markup shown as formatting
    contact = Contact.objects.get(pk=message.sender_id)
    assert (contact.name, contact.phone_number) == ("Ana Souza", "+5511999990000")
    assert ContactInbox.objects.get(contact=contact).source_id == "5511999990000"
    assert message.conversation.inbox_id == cloud_channel.inbox_id
    assert ReceivedEvent.objects.get().status == ReceivedEvent.Status.PROCESSED


def test_duplicate_delivery_stores_one_message(wa_server, cloud_channel):
    payload = envelope(value([text_message("wamid.DUP")]))
    for _ in range(3):
        assert post_cloud(wa_server, payload).status_code == 200
    assert Message.objects.filter(source_id="wamid.DUP").count() == 1
    assert Conversation.objects.count() == 1 and ReceivedEvent.objects.count() == 3


def test_batch_processes_every_entry_change_and_message(wa_server, cloud_channel):
    payload = envelope(
        value([text_message("wamid.B1", "um"), text_message("wamid.B2", "dois", sender="5521988887777")]),
        value([text_message("wamid.B3", "três", sender="5531977776666")]),
    )
    payload["entry"][0]["changes"].append({"field": "messages", "value": value(
        [text_message("wamid.B4", "quatro")])})
    assert post_cloud(wa_server, payload).status_code == 200
    assert set(Message.objects.filter(message_type=0).values_list("source_id", flat=True)) == {"wamid.B1", "wamid.B2", "wamid.B3",
                                                                       "wamid.B4"}
    assert Contact.objects.count() == 3  # B1 and B4 come from the same person
    assert Conversation.objects.count() == 3


def test_batch_with_one_bad_item_keeps_the_good_ones(wa_server, cloud_channel):
    bad = {"from": "not-a-phone", "id": "wamid.BAD", "type": "text", "text": {"body": "x"}}
    payload = envelope(value([bad, text_message("wamid.GOOD")]))
    assert post_cloud(wa_server, payload).status_code == 200
    assert list(Message.objects.filter(message_type=0).values_list("source_id", flat=True)) == ["wamid.GOOD"]
    event = ReceivedEvent.objects.get()
    assert event.status == ReceivedEvent.Status.PROCESSED and "DomainError" in event.error


def test_malformed_payload_is_400_and_kept(wa_server, cloud_channel):
    body = b'{"object": "whatsapp_business_account", "entry": '
    assert post_cloud(wa_server, body=body).status_code == 400
    event = ReceivedEvent.objects.get()
    assert (event.status, event.body) == (ReceivedEvent.Status.MALFORMED, body.decode())
    assert post_cloud(wa_server, {"object": "page", "entry": "nope"}).status_code == 400


def test_unknown_phone_number_id_is_404_and_logged(wa_server, cloud_channel):
    payload = envelope(value([text_message("wamid.U1")], phone_number_id="999"))
    assert post_cloud(wa_server, payload).status_code == 404
    event = ReceivedEvent.objects.get()
    assert event.status == ReceivedEvent.Status.REJECTED and "999" in event.error
    assert not Message.objects.filter(message_type=0).exists()


def test_ninth_digit_variants_are_one_contact(wa_server, cloud_channel, account):
    existing = Contact.objects.create(account=account, name="", phone_number="+5511987654321")
    assert post_cloud(wa_server, envelope(value([text_message("wamid.N1", sender="551187654321")]))).ok
    assert post_cloud(wa_server, envelope(value([text_message("wamid.N2", sender="5511987654321")]))).ok
    assert Contact.objects.count() == 1
    existing.refresh_from_db()
    assert existing.name == "Ana Souza"  # the profile name fills an empty name
    assert Conversation.objects.get().messages.filter(message_type=Message.MessageType.INCOMING).count() == 2


def test_media_two_step_download_is_stored(wa_server, cloud_channel, cloud_standin):
    cloud_standin.add_media("7001", PNG, "image/png")
    cloud_standin.add_media("7002", b"OggS-voice", "audio/ogg; codecs=opus")
    cloud_standin.add_media("7003", b"%PDF-1.4 doc", "application/pdf")
    messages = [
        {"from": "5511999990000", "id": "wamid.IMG", "type": "image",
         "image": {"id": "7001", "mime_type": "image/png", "caption": "recibo"}},
        {"from": "5511999990000", "id": "wamid.VOICE", "type": "audio",
         "audio": {"id": "7002", "mime_type": "audio/ogg; codecs=opus", "voice": True}},
        {"from": "5511999990000", "id": "wamid.DOC", "type": "document",
         "document": {"id": "7003", "mime_type": "application/pdf", "filename": "boleto.pdf"}},
    ]
    assert post_cloud(wa_server, envelope(value(messages))).status_code == 200
    image = Message.objects.get(source_id="wamid.IMG")
    assert image.content == "recibo"
    attachment = image.attachments.get()
    assert attachment.file_type == Attachment.FileType.IMAGE and attachment.file.read() == PNG
    voice = Message.objects.get(source_id="wamid.VOICE")
    assert voice.attachments.get().file_type == Attachment.FileType.AUDIO and voice.content_attributes["is_voice"]
    doc = Message.objects.get(source_id="wamid.DOC").attachments.get()
    assert (doc.file_name, doc.file.read()) == ("boleto.pdf", b"%PDF-1.4 doc")
    # Both steps carried the Bearer token (the stand-in refuses anything else).
    assert len(cloud_standin.calls("GET", "/v22.0/700")) == 3 and len(cloud_standin.calls("GET", "/download/")) == 3


def test_oversized_media_keeps_the_message_with_a_note(wa_server, cloud_channel, cloud_standin, settings):
    cloud_standin.add_media("7100", b"x" * (101 * 1024 * 1024 // 100), "video/mp4")
    # The stand-in announces the real size; the server's limit is the default 100 MB, so fake a bigger file.
    cloud_standin.fail_next("media", 200, {"url": f"{cloud_standin.url}/download/7100", "mime_type": "video/mp4",
                                           "file_size": 200 * 1024 * 1024, "id": "7100"})
    msg = {"from": "5511999990000", "id": "wamid.BIG", "type": "video", "video": {"id": "7100", "caption": "olha"}}
    assert post_cloud(wa_server, envelope(value([msg]))).status_code == 200
    message = Message.objects.get(source_id="wamid.BIG")
    note = message.attachments.get()
    assert note.file_type == Attachment.FileType.FALLBACK and note.meta["error"] == "media_too_large"
    assert message.content.startswith("olha") and "100" in message.content
    assert not cloud_standin.calls("GET", "/download/")


def test_other_message_types(wa_server, cloud_channel):
    base = {"from": "5511999990000"}
    messages = [
        {**base, "id": "wamid.LOC", "type": "location",
         "location": {"latitude": -23.56, "longitude": -46.64, "name": "Loja", "address": "Av. Paulista"}},
        {**base, "id": "wamid.CON", "type": "contacts",
         "contacts": [{"name": {"formatted_name": "João"}, "phones": [{"phone": "+55 11 91234-5678"}]}]},
        {**base, "id": "wamid.INT", "type": "interactive",
         "interactive": {"type": "button_reply", "button_reply": {"id": "sim", "title": "Sim"}}},
        {**base, "id": "wamid.BTN", "type": "button", "button": {"payload": "p1", "text": "Quero"}},
        {**base, "id": "wamid.REA", "type": "reaction", "reaction": {"message_id": "wamid.LOC", "emoji": "👍"}},
        {**base, "id": "wamid.CTX", "type": "text", "text": {"body": "sobre isso"},
         "context": {"from": "5511999990000", "id": "wamid.LOC"}},
        {**base, "id": "wamid.UNS", "type": "unsupported", "errors": [{"code": 131051}]},
    ]
    assert post_cloud(wa_server, envelope(value(messages))).status_code == 200
    by_id = {m.source_id: m for m in Message.objects.filter(message_type=0)}
    location = by_id["wamid.LOC"].attachments.get()
    assert (location.file_type, location.coordinates_lat) == (Attachment.FileType.LOCATION, -23.56)
    assert "Av. Paulista" in by_id["wamid.LOC"].content
    assert "João" in by_id["wamid.CON"].content and by_id["wamid.CON"].attachments.get().file_type == 8
    assert by_id["wamid.INT"].content == "Sim" and by_id["wamid.BTN"].content == "Quero"
    assert by_id["wamid.REA"].content == "👍" and by_id["wamid.REA"].content_attributes["is_reaction"]
    assert by_id["wamid.CTX"].content_attributes["in_reply_to"] == by_id["wamid.LOC"].pk
    assert by_id["wamid.UNS"].content_attributes["is_unsupported"]


def test_statuses_never_go_backwards_and_failures_explain(wa_server, cloud_channel, conversation_for_cloud):
    from conversations import actions as conversation_actions

    sent = conversation_actions.send_reply(conversation_for_cloud, actor=None, content="a", source_id="wamid.S1")
    failed = conversation_actions.send_reply(conversation_for_cloud, actor=None, content="b", source_id="wamid.S2")
    statuses = [status("wamid.S1", "sent"), status("wamid.S1", "read"), status("wamid.S1", "delivered"),
                status("wamid.S2", "failed", errors=[{"code": 131047, "title": "Re-engagement message"}])]
    assert post_cloud(wa_server, envelope(value(statuses=statuses))).status_code == 200
    sent.refresh_from_db()
    failed.refresh_from_db()
    assert sent.status == Message.Status.READ  # the late "delivered" was ignored
    assert failed.status == Message.Status.FAILED
    assert failed.content_attributes["external_error"].startswith("131047: ")
    assert "24" in failed.content_attributes["external_error"]


def test_status_before_the_send_returns_is_applied_later(wa_server, cloud_channel, conversation_for_cloud):
    from inboxes.providers.whatsapp import actions

    assert post_cloud(wa_server, envelope(value(statuses=[status("wamid.EARLY", "delivered")]))).ok
    message = conversation_for_cloud.messages.create(
        account_id=conversation_for_cloud.account_id, inbox_id=conversation_for_cloud.inbox_id,
        message_type=Message.MessageType.OUTGOING, content="oi", created_at=conversation_for_cloud.created_at)
    actions.store_sent_id(message, cloud_channel, "wamid.EARLY")
    message.refresh_from_db()
    assert (message.source_id, message.status) == ("wamid.EARLY", Message.Status.DELIVERED)


@pytest.fixture
def conversation_for_cloud(cloud_channel):
    from inboxes.providers.whatsapp import actions

    contact_inbox = actions.contact_inbox_for_phone(cloud_channel, "+5511999990000", name="Ana")
    return actions.conversation_for(contact_inbox)


@pytest.fixture
def server_without_redis(cloud_standin, django_db_setup):
    """A server whose Redis (broker, cache, channel layer) is down: a dead port, no eager tasks."""
    from tests.conftest import start_asgi_server, stop_server

    server = start_asgi_server({"WHATSAPP_CLOUD_BASE_URL": cloud_standin.url, "REDIS_URL": "redis://127.0.0.1:1/0",
                                "CELERY_TASK_ALWAYS_EAGER": "0"})
    yield server
    stop_server(server)


def test_redis_down_still_accepts_and_the_sweeper_catches_up(server_without_redis, cloud_channel):
    import datetime as dt
    import time

    from inboxes.providers.whatsapp.tasks import sweep_whatsapp_events_task

    started = time.monotonic()
    response = post_cloud(server_without_redis, envelope(value([text_message("wamid.REDIS", "sem redis")])))
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < 1.0
    event = ReceivedEvent.objects.get()
    assert event.status == ReceivedEvent.Status.PENDING and not Message.objects.filter(source_id="wamid.REDIS")
    ReceivedEvent.objects.update(received_at=event.received_at - dt.timedelta(minutes=1))
    assert sweep_whatsapp_events_task.apply().get() == 1  # the workers are back
    assert Message.objects.get(source_id="wamid.REDIS").content == "sem redis"
    assert ReceivedEvent.objects.get().status == ReceivedEvent.Status.PROCESSED
    assert sweep_whatsapp_events_task.apply().get() == 0
