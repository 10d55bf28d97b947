"""Message endpoints of the Chatwoot-compatible API: list windows, create (JSON and multipart), status, delete."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conversations import actions
from conversations.models import Attachment, Conversation, Message
from tests import factories
from tests.api.conftest import assert_422, assert_hidden

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "PNG")
    return buffer.getvalue()


def path(conversation, suffix: str = "") -> str:
    return f"conversations/{conversation.display_id}/messages{suffix}"


def test_list_shape_and_windows(api, conversation, admin, contact):
    for i in range(24):
        actions.receive_message(conversation, sender=contact, content=f"m{i}")
    actions.send_reply(conversation, actor=admin, content="nota", private=True)
    body = api("GET", path(conversation)).json()
    assert set(body["meta"]) >= {"labels", "additional_attributes", "contact", "assignee", "agent_last_seen_at",
                                 "assignee_last_seen_at"}
    payload = body["payload"]
    assert len(payload) == 20
    ids = [m["id"] for m in payload]
    assert ids == sorted(ids)
    last = payload[-1]
    assert last["private"] is True and last["sender"]["type"] == "user" and last["message_type"] == 1
    first = payload[0]
    assert type(first["id"]) is int and type(first["created_at"]) is int and type(first["message_type"]) is int
    assert first["conversation_id"] == conversation.display_id and first["sender"]["type"] == "contact"
    older = api("GET", path(conversation), query={"before": ids[0]}).json()["payload"]
    assert len(older) == 6 and older[-1]["id"] < ids[0]  # 1 + 24 + 1 = 26 messages in all
    newer = api("GET", path(conversation), query={"after": ids[0]}).json()["payload"]
    assert [m["id"] for m in newer] == ids[1:]
    between = api("GET", path(conversation), query={"after": older[0]["id"], "before": ids[2]}).json()["payload"]
    assert [m["id"] for m in between] == [m["id"] for m in older[1:]] + ids[:2]
    assert_422(api("GET", path(conversation), query={"before": "x"}), "before")


def test_create_outgoing_json(api, conversation, admin):
    response = api("POST", path(conversation), {"content": "Olá!", "echo_id": "e-1", "private": False,
                                                "content_attributes": {"in_reply_to": 1}})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["message_type"] == 1 and data["echo_id"] == "e-1" and data["content"] == "Olá!"
    assert data["conversation_id"] == conversation.display_id and type(data["inbox_id"]) is int
    assert data["sender"]["id"] == admin.pk and data["content_attributes"] == {"in_reply_to": 1}
    note = api("POST", path(conversation), {"content": "interno", "private": True}).json()
    assert note["private"] is True
    template = api("POST", path(conversation), {"content": "modelo", "message_type": "template"}).json()
    assert template["message_type"] == 3


def test_create_incoming_only_in_api_inbox(api, conversation, contact, account):
    data = api("POST", path(conversation), {"content": "do cliente", "message_type": "incoming",
                                            "source_id": "WAID:ABC"}).json()
    assert data["message_type"] == 0 and data["sender"]["type"] == "contact" and data["source_id"] == "WAID:ABC"
    # the same source_id again is the same message (providers retry)
    again = api("POST", path(conversation), {"content": "do cliente", "message_type": "incoming",
                                             "source_id": "WAID:ABC"}).json()
    assert again["id"] == data["id"]
    assert Message.objects.filter(source_id="WAID:ABC").count() == 1
    site = factories.make_inbox(account, name="Site", channel_type="Channel::WebWidget")
    other = factories.make_conversation(site, contact=contact)
    count = Message.objects.count()
    assert_422(api("POST", path(other), {"content": "x", "message_type": "incoming"}), "message_type")
    assert Message.objects.count() == count


def test_create_bad_input(api, conversation):
    count = Message.objects.count()
    assert_422(api("POST", path(conversation), {"content": ""}), "content")
    assert_422(api("POST", path(conversation), {"content": 5}), "content")
    assert_422(api("POST", path(conversation), {"content": "x", "message_type": "activity"}), "message_type")
    assert_422(api("POST", path(conversation), {"content": "x", "content_type": "hologram"}), "content_type")
    assert_422(api("POST", path(conversation), {"content": "x", "content_attributes": "[1"}), "content_attributes")
    assert_422(api("POST", path(conversation), {"content": "x" * 150_001}), "content")
    assert api("POST", path(conversation), raw=b'{"content": "x"').status_code == 400
    assert Message.objects.count() == count


def test_create_multipart_with_attachments(api, conversation, tokens):
    upload = SimpleUploadedFile("foto.png", png_bytes(), content_type="image/png")
    pdf = SimpleUploadedFile("doc.pdf", b"%PDF-1.4 hello", content_type="application/pdf")
    response = api("POST", path(conversation), multipart={
        "content": "arquivos", "message_type": "incoming", "attachments[]": [upload, pdf],
        "content_attributes": json.dumps({"in_reply_to_external_id": "WAID:1"}), "source_id": "WAID:MEDIA"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["content_attributes"] == {"in_reply_to_external_id": "WAID:1"}
    assert [a["file_type"] for a in data["attachments"]] == ["image", "file"]
    image = data["attachments"][0]
    assert image["width"] == 8 and image["height"] == 6 and image["data_url"].startswith("http")
    assert type(image["id"]) is int and type(image["message_id"]) is int and image["extension"] == "png"


def test_bad_attachment_writes_nothing(api, conversation):
    count, files = Message.objects.count(), Attachment.objects.count()
    fake = SimpleUploadedFile("foto.png", b"not an image at all", content_type="image/png")
    assert_422(api("POST", path(conversation), multipart={"content": "x", "attachments[]": [fake]}), "attachments")
    exe = SimpleUploadedFile("run.exe", b"MZ\x00\x00", content_type="application/octet-stream")
    assert_422(api("POST", path(conversation), multipart={"content": "x", "attachments[]": [exe]}), "attachments")
    assert (Message.objects.count(), Attachment.objects.count()) == (count, files)


def test_update_status_only_in_api_inboxes(api, conversation, admin, account, contact):
    message = actions.send_reply(conversation, actor=admin, content="oi")
    url = path(conversation, f"/{message.pk}")
    assert api("PATCH", url, {"status": "delivered"}).json()["status"] == "delivered"
    assert api("PATCH", url, {"status": "sent"}).json()["status"] == "delivered"  # never backwards
    data = api("PATCH", url, {"status": "failed", "external_error": "131047: re-engagement"}).json()
    assert data["status"] == "failed" and data["content_attributes"]["external_error"].startswith("131047")
    assert_422(api("PATCH", url, {"status": "lost"}), "status")
    assert api("PATCH", url, raw=b"{").status_code == 400
    assert api("PATCH", path(conversation, "/999999"), {"status": "read"}).status_code == 404
    site = factories.make_inbox(account, name="Site", channel_type="Channel::WebWidget")
    other = factories.make_conversation(site, contact=contact)
    reply = actions.send_reply(other, actor=admin, content="oi")
    assert_422(api("PATCH", path(other, f"/{reply.pk}"), {"status": "read"}), "status")
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT


def test_delete_is_soft(api, conversation, admin):
    message = actions.send_reply(conversation, actor=admin, content="apagar")
    data = api("DELETE", path(conversation, f"/{message.pk}")).json()
    assert data["content_attributes"]["deleted"] is True and data["id"] == message.pk
    message.refresh_from_db()
    assert message.is_deleted and message.content != "apagar"


def test_message_of_another_conversation_is_404(api, conversation, inbox, admin):
    other = factories.make_conversation(inbox)
    message = actions.send_reply(other, actor=admin, content="outra")
    assert api("DELETE", path(conversation, f"/{message.pk}")).status_code == 404
    assert api("PATCH", path(conversation, f"/{message.pk}"), {"status": "read"}).status_code == 404
    message.refresh_from_db()
    assert not message.is_deleted


@pytest.mark.parametrize("method,body", [("PATCH", {"status": "read"}), ("DELETE", None)])
def test_message_detail_hidden(api, tokens, conversation, admin, other_account, method, body):
    message = actions.send_reply(conversation, actor=admin, content="oi")
    assert_hidden(api, tokens, method, path(conversation, f"/{message.pk}"), body,
                  other_account_id=other_account.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and not message.is_deleted


def test_agent_in_inbox_can_post(api, tokens, conversation, agent):
    data = api.as_(tokens["agent"])("POST", path(conversation), {"content": "sou agente"}).json()
    assert data["sender"]["id"] == agent.pk


def test_bot_posts_but_cannot_read_or_delete(api, tokens, bot_inbox, bot, contact, admin):
    conversation = factories.make_conversation(bot_inbox, contact=contact)
    assert conversation.status == Conversation.Status.PENDING
    as_bot = api.as_(tokens["bot"])
    data = as_bot("POST", path(conversation), {"content": "Oi, sou a Alú"}).json()
    assert data["sender"] == {"id": bot.pk, "name": "Alú", "avatar_url": "", "thumbnail": "", "type": "agent_bot"}
    assert as_bot("GET", path(conversation)).status_code == 401
    assert as_bot("DELETE", path(conversation, f"/{data['id']}")).status_code == 401
