"""Chatwoot's widget API (/api/v1/widget/*): identity token, conversations, messages, setUser HMAC, limits."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from contacts.models import Contact, ContactInbox
from conversations import actions as conversation_actions
from conversations.models import Conversation, Label, Message
from inboxes import widget_actions
from tests import factories
from tests.widget.conftest import WidgetClient, identifier_hash

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_unknown_website_token_is_404_json(client):
    response = client.post("/api/v1/widget/config?website_token=nope")
    assert response.status_code == 404
    assert response.json() == {"error": "Resource could not be found"}
    assert client.get("/widget?website_token=nope").status_code == 404


def test_config_for_a_new_visitor_creates_nothing(visitor, widget):
    response = visitor.call("POST", "config")
    assert response.status_code == 200
    body = response.json()
    assert body["contact"] is None and body["conversation"] is None
    config = body["website_channel_config"]
    assert config["website_token"] == widget.website_token and config["welcome_title"] == "Olá!"
    assert "hmac_token" not in config and widget.hmac_token not in response.content.decode()
    assert Contact.objects.count() == 0


def test_first_message_creates_visitor_conversation_and_token(visitor, widget_inbox):
    response = visitor.call("POST", "messages", {"message": {"content": "Oi, preciso de ajuda", "echo_id": "e1"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["content"] == "Oi, preciso de ajuda" and body["message_type"] == 0 and body["echo_id"] == "e1"
    assert visitor.token
    conversation = Conversation.objects.get(inbox=widget_inbox)
    assert conversation.contact_inbox.source_id and conversation.status == Conversation.Status.OPEN
    # The same token keeps the same conversation (another tab, another page load).
    second = visitor.call("POST", "messages", {"message": {"content": "Mais uma coisa"}})
    assert second.status_code == 200 and Conversation.objects.filter(inbox=widget_inbox).count() == 1
    history = visitor.call("GET", "messages").json()
    assert [m["content"] for m in history] == ["Oi, preciso de ajuda", "Mais uma coisa"]


def test_history_hides_private_notes_and_activity_and_renders_markdown_safely(visitor, widget_inbox, admin):
    visitor.call("POST", "messages", {"message": {"content": "Olá"}})
    conversation = Conversation.objects.get(inbox=widget_inbox)
    conversation_actions.send_reply(conversation, actor=admin, content="**Claro!** <script>alert(1)</script>")
    conversation_actions.send_reply(conversation, actor=admin, content="nota interna", private=True)
    conversation_actions.change_status(conversation, actor=admin, status=Conversation.Status.PENDING)
    messages = visitor.call("GET", "messages").json()
    contents = [m["content"] for m in messages]
    assert "nota interna" not in contents
    assert all(m["message_type"] != 2 for m in messages)
    reply = messages[-1]
    assert reply["message_type"] == 1 and reply["sender"]["name"] == "Ana Admin" and "email" not in reply["sender"]
    assert "<strong>Claro!</strong>" in reply["content_html"] and "<script>" not in reply["content_html"]
    state = visitor.call("GET", "conversations").json()
    assert state["status"] == "pending" and len(state["messages"]) == 2 and state["unread_count"] == 1


def test_an_invalid_token_is_not_a_visitor(client, widget):
    stranger = WidgetClient(client, widget, token="not-a-jwt")
    assert stranger.call("GET", "contact").status_code == 401
    assert stranger.call("GET", "messages").json() == []


def test_token_of_another_widget_is_refused(client, widget, account):
    other = widget_actions.create_web_widget_inbox(account, actor=None, name="Outro site").web_widget
    first = WidgetClient(client, other)
    first.call("POST", "messages", {"message": {"content": "oi"}})
    assert WidgetClient(client, widget, token=first.token).call("GET", "contact").status_code == 401


def test_pre_chat_submit_sets_contact_and_conversation_attributes(visitor, widget_inbox):
    response = visitor.call("POST", "conversations", {
        "contact": {"name": "Paula Visitante", "email": "Paula@Example.com", "phone_number": "+55 11 91234-5678"},
        "message": {"content": "Quero saber do meu pedido", "referer_url": "https://loja.com.br/pedido"},
        "custom_attributes": {"pedido": "123"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "open" and body["messages"][0]["content"] == "Quero saber do meu pedido"
    contact = Contact.objects.get(name="Paula Visitante")
    assert contact.email == "paula@example.com" and contact.phone_number == "+5511912345678"
    conversation = Conversation.objects.get(inbox=widget_inbox)
    assert conversation.custom_attributes == {"pedido": "123"}
    assert conversation.additional_attributes["referer"] == "https://loja.com.br/pedido"


def test_pre_chat_with_an_invalid_email_is_422_and_creates_no_conversation(visitor, widget_inbox):
    response = visitor.call("POST", "conversations", {"contact": {"email": "nao-e-email"},
                                                      "message": {"content": "oi"}})
    assert response.status_code == 422 and response.json()["attributes"] == ["email"]
    assert not Conversation.objects.filter(inbox=widget_inbox).exists()


def test_malformed_json_is_400(client, widget):
    response = client.post(f"/api/v1/widget/messages?website_token={widget.website_token}", data="{oops",
                           content_type="application/json")
    assert response.status_code == 400 and "Malformed JSON" in response.json()["error"]


def test_image_attachment_is_stored_with_a_preview(visitor, widget_inbox):
    response = visitor.call("POST", "messages", {"message[content]": "minha foto",
                                                 "message[attachments][]": upload("foto.png", png_bytes())},
                            multipart=True)
    assert response.status_code == 200, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["file_type"] == "image" and attachment["width"] == 40
    assert visitor.client.get(attachment["thumb_url"]).status_code == 200
    assert visitor.client.get(attachment["data_url"]).status_code == 200


def test_refused_attachment_types_keep_the_text(visitor, widget_inbox):
    response = visitor.call("POST", "messages", {"message[content]": "segue o arquivo",
                                                 "message[attachments][]": upload("virus.exe", b"MZ\x90\x00")},
                            multipart=True)
    assert response.status_code == 415
    assert response.json()["message"]["content"] == "segue o arquivo"
    assert Message.objects.filter(inbox=widget_inbox, content="segue o arquivo").count() == 1


def test_attachment_over_the_limit_is_413_with_the_text_kept(visitor, widget_inbox, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    response = visitor.call("POST", "messages", {"message[content]": "foto grande",
                                                 "message[attachments][]": upload("foto.png", png_bytes())},
                            multipart=True)
    assert response.status_code == 413
    assert Message.objects.filter(inbox=widget_inbox, content="foto grande").exists()


def test_attachments_can_be_turned_off(visitor, widget_inbox):
    widget_actions.update_web_widget(widget_inbox, actor=None, feature_flags={"attachments": False})
    response = visitor.call("POST", "messages", {"message[content]": "x",
                                                 "message[attachments][]": upload("foto.png", png_bytes())},
                            multipart=True)
    assert response.status_code == 422 and not Message.objects.filter(inbox=widget_inbox).exists()


def test_more_than_200_messages_a_minute_is_429(visitor, widget_inbox):
    visitor.call("POST", "messages", {"message": {"content": "primeira"}})
    conversation = Conversation.objects.get(inbox=widget_inbox)
    now = timezone.now()
    Message.objects.bulk_create([Message(account_id=conversation.account_id, inbox=widget_inbox,
                                         conversation=conversation, message_type=Message.MessageType.INCOMING,
                                         content=f"m{i}", created_at=now - dt.timedelta(seconds=5))
                                 for i in range(200)])
    response = visitor.call("POST", "messages", {"message": {"content": "mais uma"}})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert not Message.objects.filter(content="mais uma").exists()


def test_set_user_with_a_valid_hash_links_to_the_known_contact(visitor, widget, account):
    known = factories.make_contact(account, name="Cliente Conhecida", identifier="user-42", email="ck@example.com")
    visitor.call("POST", "messages", {"message": {"content": "oi"}})
    anonymous = ContactInbox.objects.get(inbox=widget.inbox).contact
    response = visitor.call("PATCH", "contact/set_user", {
        "identifier": "user-42", "identifier_hash": identifier_hash(widget, "user-42"), "name": "Cliente Conhecida"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == known.pk and response.json()["hmac_verified"] is True
    contact_inbox = ContactInbox.objects.get(inbox=widget.inbox, contact=known)
    assert contact_inbox.hmac_verified
    assert Conversation.objects.get(inbox=widget.inbox).contact_id == known.pk  # the anonymous visitor merged
    assert not Contact.objects.filter(pk=anonymous.pk).exists()


def test_set_user_with_a_wrong_hash_is_401_and_changes_nothing(visitor, widget, account):
    known = factories.make_contact(account, name="Cliente Conhecida", identifier="user-42")
    visitor.call("POST", "messages", {"message": {"content": "oi"}})
    before = (Contact.objects.count(), ContactInbox.objects.count())
    response = visitor.call("PATCH", "contact/set_user", {"identifier": "user-42", "identifier_hash": "0" * 64,
                                                          "name": "Invasor"})
    assert response.status_code == 401
    assert (Contact.objects.count(), ContactInbox.objects.count()) == before
    known.refresh_from_db()
    assert known.name == "Cliente Conhecida"
    assert not ContactInbox.objects.filter(contact=known).exists()


def test_set_user_with_a_wrong_hash_creates_no_anonymous_visitor(visitor, widget):
    response = visitor.call("PATCH", "contact/set_user", {"identifier": "x", "identifier_hash": "bad"})
    assert response.status_code == 401 and not visitor.token and Contact.objects.count() == 0


def test_set_user_without_hash_when_mandatory_is_401(visitor, widget_inbox):
    widget_actions.update_web_widget(widget_inbox, actor=None, hmac_mandatory=True)
    response = visitor.call("PATCH", "contact/set_user", {"identifier": "user-1", "name": "Sem Hash"})
    assert response.status_code == 401 and Contact.objects.count() == 0


def test_set_user_without_hash_when_optional_identifies_unverified(visitor, widget):
    response = visitor.call("PATCH", "contact/set_user", {"identifier": "user-9", "email": "nove@example.com"})
    assert response.status_code == 200 and response.json()["hmac_verified"] is False
    assert Contact.objects.get(identifier="user-9").email == "nove@example.com"


def test_custom_attributes_and_labels(visitor, widget_inbox, account):
    Label.objects.create(account=account, title="vip")
    visitor.call("POST", "messages", {"message": {"content": "oi"}})
    assert visitor.call("PATCH", "contact", {"custom_attributes": {"plano": "ouro", "x": 1}}).status_code == 200
    assert visitor.call("POST", "contact/destroy_custom_attributes", {"custom_attributes": ["x"]}).status_code == 200
    contact = Contact.objects.get(contact_inboxes__inbox=widget_inbox)
    assert contact.custom_attributes == {"plano": "ouro"}
    assert visitor.call("POST", "labels", {"label": "vip"}).json() == {"labels": ["vip"]}
    assert visitor.call("POST", "labels", {"label": "inventada"}).status_code == 422
    assert visitor.call("DELETE", "labels/vip").json() == {"labels": []}
    assert visitor.call("POST", "conversations/set_custom_attributes",
                        {"custom_attributes": {"pedido": "9"}}).status_code == 200
    assert Conversation.objects.get(inbox=widget_inbox).custom_attributes == {"pedido": "9"}


def test_typing_seen_and_end_conversation(visitor, widget_inbox, django_capture_on_commit_callbacks):
    visitor.call("POST", "messages", {"message": {"content": "oi"}})
    assert visitor.call("POST", "conversations/toggle_typing", {"typing_status": "on"}).status_code == 200
    assert visitor.call("POST", "conversations/toggle_typing", {"typing_status": "x"}).status_code == 422
    assert visitor.call("POST", "conversations/update_last_seen").status_code == 200
    assert Conversation.objects.get(inbox=widget_inbox).contact_last_seen_at is not None
    response = visitor.call("GET", "conversations/toggle_status")
    assert response.status_code == 200 and response.json()["status"] == "resolved"


def test_after_a_resolved_conversation_a_new_one_starts_when_the_inbox_says_so(visitor, widget_inbox, admin):
    widget_inbox.allow_messages_after_resolved = False
    widget_inbox.save()
    visitor.call("POST", "messages", {"message": {"content": "primeira conversa"}})
    first = Conversation.objects.get(inbox=widget_inbox)
    conversation_actions.change_status(first, actor=admin, status=Conversation.Status.RESOLVED)
    visitor.call("POST", "messages", {"message": {"content": "segunda conversa"}})
    assert Conversation.objects.filter(inbox=widget_inbox).count() == 2
    assert visitor.call("GET", "conversations").json()["messages"][0]["content"] == "segunda conversa"


def test_after_a_resolved_conversation_the_visitor_continues_when_allowed(visitor, widget_inbox, admin):
    visitor.call("POST", "messages", {"message": {"content": "primeira"}})
    first = Conversation.objects.get(inbox=widget_inbox)
    conversation_actions.change_status(first, actor=admin, status=Conversation.Status.RESOLVED)
    visitor.call("POST", "messages", {"message": {"content": "de novo"}})
    first.refresh_from_db()
    assert Conversation.objects.filter(inbox=widget_inbox).count() == 1 and first.status == Conversation.Status.OPEN


def test_cors_only_for_allowed_domains(visitor, widget_inbox, client, widget):
    widget_actions.update_web_widget(widget_inbox, actor=None, allowed_domains="loja.com.br\n*.loja.com.br")
    ok = visitor.call("POST", "config", origin="https://www.loja.com.br")
    assert ok.status_code == 200 and ok["Access-Control-Allow-Origin"] == "https://www.loja.com.br"
    assert visitor.call("POST", "config", origin="https://evil.example").status_code == 404
    preflight = client.options(f"/api/v1/widget/contact/set_user?website_token={widget.website_token}",
                               headers={"Origin": "https://loja.com.br",
                                        "Access-Control-Request-Method": "PATCH"})
    assert preflight.status_code == 204 and "X-Auth-Token" in preflight["Access-Control-Allow-Headers"]
