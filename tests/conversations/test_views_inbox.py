"""The agent inbox views: pages, partials, controls, bulk actions, attachments, helpers and permissions."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from automations.models import CannedResponse
from conversations import actions
from conversations.models import Attachment, Conversation, ConversationLabel, Label, Message, Notification
from conversations.queries import access_message
from tests import factories

Status = Conversation.Status
HX = {"HX-Request": "true"}


def url(url_name, account, **kwargs):
    return reverse(f"conversations:{url_name}", kwargs={"account_id": account.pk, **kwargs})


def curl(name, conversation, **kwargs):
    """URL of a per-conversation endpoint."""
    return url(name, conversation.account, display_id=conversation.display_id, **kwargs)


def png_bytes(size=(64, 48), color=(31, 111, 235)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


# --- pages --------------------------------------------------------------------------------------------

def test_inbox_page_renders_the_five_columns(admin_client, account, conversation):
    response = admin_client.get(url("inbox", account))
    assert response.status_code == 200
    html = response.content.decode()
    for fragment in ('id="rail"', 'id="folders"', 'id="conversation-list"', 'id="conversation-pane"',
                     "Carla Cliente", 'name="htmx-config"', f'id="conversation-{conversation.display_id}"'):
        assert fragment in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_direct_load_of_a_conversation_renders_the_whole_screen(admin_client, conversation):
    response = admin_client.get(curl("detail", conversation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="conversation"' in html and 'id="folders"' in html
    assert 'id="reply-box"' in html and 'id="contact-panel"' in html and "Olá, mensagem 1" in html


def test_opening_a_conversation_with_htmx_returns_the_pane_and_marks_it_seen(agent_client, conversation):
    response = agent_client.get(curl("detail", conversation), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<div class="conversation" id="conversation"')
    conversation.refresh_from_db()
    assert conversation.agent_last_seen_at is not None


def test_history_restore_gets_the_full_page(admin_client, conversation):
    response = admin_client.get(curl("detail", conversation),
                                headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_list_partial_and_next_page(admin_client, account, inbox):
    for _ in range(27):
        factories.make_conversation(inbox)
    first = admin_client.get(url("list", account), headers=HX).content.decode()
    assert first.lstrip().startswith('<div class="conv-list" id="conversation-list"')
    assert first.count('<li class="conv-row') == 25 and "page=2" in first
    second = admin_client.get(url("list", account) + "?page=2", headers=HX).content.decode()
    assert second.count('<li class="conv-row') == 2 and 'id="conversation-list"' not in second


def test_list_filters_by_status_and_folder(admin_client, account, inbox, other_inbox):
    factories.make_conversation(inbox, contact=factories.make_contact(account, name="Aberta Silva"))
    factories.make_conversation(other_inbox, contact=factories.make_contact(account, name="Outra Caixa"),
                                status=Status.PENDING)
    html = admin_client.get(url("list", account) + f"?inbox_id={other_inbox.pk}&status=pending").content.decode()
    assert "Outra Caixa" in html and "Aberta Silva" not in html


def test_folders_partial_for_live_refresh(admin_client, account, conversation):
    response = admin_client.get(url("inbox", account), headers={**HX, "HX-Target": "folders"})
    html = response.content.decode()
    assert html.lstrip().startswith('<nav class="folders" id="folders"') and "Suporte" in html


def test_header_and_row_partials(admin_client, conversation):
    header = admin_client.get(curl("header", conversation), headers=HX).content.decode()
    assert header.lstrip().startswith('<header class="conv-header" id="conversation-header"')
    row = admin_client.get(curl("row", conversation), headers=HX).content.decode()
    assert f'id="conversation-{conversation.display_id}"' in row


def test_the_list_uses_a_constant_number_of_queries(admin_client, account, inbox, admin, agent):
    label = Label.objects.create(account=account, title="vip", color="#ff0000")

    def make(n):
        for i in range(n):
            c = factories.make_conversation(inbox, assignee=agent if i % 2 else None)
            ConversationLabel.objects.create(conversation=c, title=label.title)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url("list", account) + "?status=all", headers=HX)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    make(5)
    small = count()
    make(35)
    large = count()
    assert small == large
    assert large <= 12


def test_the_full_inbox_page_uses_at_most_12_queries_whatever_the_rows(admin_client, account, inbox, admin, agent):
    """Folders with counts, the list, the bell (loaded with the membership) and the session: 12 at most."""
    label = Label.objects.create(account=account, title="vip", color="#ff0000", show_on_sidebar=True)
    factories.make_conversation(inbox)  # a first one, so the notification below has a conversation
    Notification.objects.create(user=admin, account=account, conversation=Conversation.objects.first(),
                                notification_type=Notification.Type.CONVERSATION_ASSIGNMENT)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url("inbox", account))
        assert response.status_code == 200
        assert 'id="bell-count">1<' in response.content.decode()  # the unread notification is counted
        return len(ctx.captured_queries)

    small = count()
    for i in range(30):
        c = factories.make_conversation(inbox, assignee=agent if i % 2 else None)
        ConversationLabel.objects.create(conversation=c, title=label.title)
    assert count() == small <= 12


# --- replies ------------------------------------------------------------------------------------------

def test_reply_is_stored_and_returned_as_the_message_partial(agent_client, agent, conversation):
    response = agent_client.post(curl("messages", conversation), {"content": "Olá, **Carla**!"}, headers=HX)
    assert response.status_code == 200
    message = Message.objects.filter(conversation=conversation, message_type=Message.MessageType.OUTGOING).get()
    assert message.content == "Olá, **Carla**!" and not message.private
    assert message.sender_type == "User" and message.sender_id == agent.pk
    html = response.content.decode()
    assert f'id="message-{message.pk}"' in html and "<strong>Carla</strong>" in html and "Bruno Agente" in html


def test_private_note_is_private(agent_client, conversation):
    response = agent_client.post(curl("messages", conversation), {"content": "só entre nós", "private": "1"},
                                 headers=HX)
    assert response.status_code == 200
    message = Message.objects.get(conversation=conversation, content="só entre nós")
    assert message.private
    assert "msg-note" in response.content.decode()


def test_note_mentions_become_chips_and_notify(agent_client, admin, conversation):
    content = f"veja [@Ana Admin](mention://user/{admin.pk}/Ana%20Admin) por favor"
    response = agent_client.post(curl("messages", conversation), {"content": content, "private": "1"}, headers=HX)
    assert 'class="mention"' in response.content.decode()
    assert Notification.objects.filter(user=admin, notification_type=Notification.Type.CONVERSATION_MENTION).exists()


def test_empty_reply_is_refused_with_422(agent_client, conversation):
    response = agent_client.post(curl("messages", conversation), {"content": "   "}, headers=HX)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#reply-box"
    assert not Message.objects.filter(conversation=conversation, message_type=Message.MessageType.OUTGOING).exists()


def test_refused_reply_keeps_the_typed_text(agent_client, conversation):
    fake = SimpleUploadedFile("foto.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = agent_client.post(curl("messages", conversation), {"content": "Texto que eu digitei", "attachments": fake},
                                 headers=HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Texto que eu digitei" in html and "não parece ser um arquivo .png" in html
    assert not Message.objects.filter(conversation=conversation, content="Texto que eu digitei").exists()


def test_reply_without_htmx_redirects_back_to_the_conversation(agent_client, conversation):
    response = agent_client.post(curl("messages", conversation), {"content": "sem js"})
    assert response.status_code == 302 and response["Location"] == curl("detail", conversation)


def test_older_messages_page(agent_client, inbox, contact):
    conversation = factories.make_conversation(inbox, contact=contact, messages=55)
    first_page = agent_client.get(curl("detail", conversation), headers=HX).content.decode()
    assert 'id="thread-older"' in first_page and "Olá, mensagem 1\n" not in first_page
    oldest_shown = Message.objects.filter(conversation=conversation).order_by("-id")[49]
    older = agent_client.get(curl("messages", conversation) + f"?before={oldest_shown.pk}", headers=HX)
    assert "Olá, mensagem 1<" in older.content.decode().replace("</p>", "<")


def test_websocket_message_partial_matches_the_reply_response(agent_client, agent, conversation):
    """The consumer renders the same partial with message / conversation / account_user."""
    response = agent_client.post(curl("messages", conversation), {"content": "mesmos bytes"}, headers=HX)
    message = Message.objects.get(content="mesmos bytes")
    from autonomia.models import AccountUser

    account_user = AccountUser.objects.select_related("account", "user").get(user=agent)
    html = render_to_string("conversations/conversation.html#message", {
        "message": access_message(account_user, conversation, message.pk), "conversation": conversation,
        "account_user": account_user})
    assert html.strip() == response.content.decode().strip()


# --- attachments --------------------------------------------------------------------------------------

def test_image_attachment_gets_size_and_thumbnail_and_is_served(agent_client, outsider_client, conversation):
    image = SimpleUploadedFile("foto.png", png_bytes((800, 600)), content_type="image/png")
    response = agent_client.post(curl("messages", conversation), {"content": "", "attachments": image}, headers=HX)
    assert response.status_code == 200
    attachment = Attachment.objects.get(message__conversation=conversation)
    assert (attachment.file_type, attachment.width, attachment.height) == (Attachment.FileType.IMAGE, 800, 600)
    assert attachment.thumbnail and attachment.file_name == "foto.png" and attachment.content_type == "image/png"
    file_url = url("attachment", conversation.account, attachment_id=attachment.pk, name="foto.png")
    served = agent_client.get(file_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff" and "attachment" not in served.get("Content-Disposition", "")
    assert b"".join(served.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
    thumb = agent_client.get(file_url + "?thumb=1")
    assert thumb.status_code == 200 and thumb["Content-Type"] in ("image/jpeg", "image/png")
    assert outsider_client.get(file_url).status_code == 404


def test_pdf_is_a_download_and_svg_is_never_inline(agent_client, conversation):
    pdf = SimpleUploadedFile("nota.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    svg = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
                             content_type="image/svg+xml")
    response = agent_client.post(curl("messages", conversation), {"content": "arquivos", "attachments": [pdf, svg]},
                                 headers=HX)
    assert response.status_code == 200
    svg_item = Attachment.objects.get(file_name="logo.svg")
    assert svg_item.file_type == Attachment.FileType.FILE
    served = agent_client.get(url("attachment", conversation.account, attachment_id=svg_item.pk, name="logo.svg"))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "<img" not in response.content.decode().split("logo.svg")[0].split("nota.pdf")[-1]


@pytest.mark.parametrize("name, data", [
    ("page.png", b"<!doctype html><html><body onload=alert(1)></body></html>"),
    ("script.jpg", b"GIF89a fake"),
    ("virus.exe", b"MZ\x90\x00\x03"),
    ("page.html", b"<html></html>"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
])
def test_mismatched_or_forbidden_files_are_refused(agent_client, conversation, name, data):
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    response = agent_client.post(curl("messages", conversation), {"content": "x", "attachments": upload}, headers=HX)
    assert response.status_code == 422
    assert not Attachment.objects.exists()


def test_files_over_the_limit_are_refused(agent_client, conversation, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.txt", b"a" * 101, content_type="text/plain")
    response = agent_client.post(curl("messages", conversation), {"content": "x", "attachments": upload}, headers=HX)
    assert response.status_code == 422 and "é maior que" in response.content.decode()


def test_agent_cannot_fetch_an_attachment_of_another_inbox(agent_client, admin_client, other_inbox):
    hidden = factories.make_conversation(other_inbox)
    admin_client.post(curl("messages", hidden), {"content": "", "attachments": SimpleUploadedFile(
        "a.txt", b"segredo", content_type="text/plain")}, headers=HX)
    attachment = Attachment.objects.get()
    response = agent_client.get(url("attachment", hidden.account, attachment_id=attachment.pk, name="a.txt"))
    assert response.status_code == 404


# --- header controls ----------------------------------------------------------------------------------

def test_resolve_then_reopen(admin_client, conversation):
    response = admin_client.post(curl("status", conversation), {"status": "resolved"}, headers=HX)
    assert response.status_code == 200 and 'data-action="open"' in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    admin_client.post(curl("status", conversation), {"status": "open"}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_status_control_follows_the_supervisor_guide(admin_client, conversation):
    """Pending → Open; open → Resolve with Mark as pending and snooze; resolved and snoozed → Reopen."""
    def header():
        return admin_client.get(curl("header", conversation), headers=HX).content.decode()

    html = header()
    assert 'data-action="resolve"' in html and 'data-action="pending"' in html and 'data-snooze="1h"' in html
    actions.change_status(conversation, actor=None, status=Status.PENDING)
    html = header()
    assert 'data-action="open"' in html and 'data-action="resolve"' not in html and ">Abrir<" in html.replace(
        "</svg> ", ">")
    actions.change_status(conversation, actor=None, status=Status.RESOLVED)
    assert "Reabrir" in header()
    actions.change_status(conversation, actor=None, status=Status.SNOOZED)
    assert "Reabrir" in header()


def test_mark_pending_and_snooze(admin_client, conversation):
    admin_client.post(curl("status", conversation), {"status": "pending"}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    admin_client.post(curl("status", conversation), {"status": "snoozed", "snooze": "1h"}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.status == Status.SNOOZED
    assert abs((conversation.snoozed_until - timezone.now()) - dt.timedelta(hours=1)) < dt.timedelta(minutes=1)
    admin_client.post(curl("status", conversation), {"status": "snoozed", "snooze": "next_reply"}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.snoozed_until is None


def test_snooze_errors_are_422_not_500(admin_client, conversation):
    missing = admin_client.post(curl("status", conversation), {"status": "snoozed", "snooze": "custom"}, headers=HX)
    assert missing.status_code == 422 and "header-errors" in missing.content.decode()
    past = admin_client.post(curl("status", conversation), {
        "status": "snoozed", "snooze": "custom", "snoozed_until": "2001-01-01T10:00"}, headers=HX)
    assert past.status_code == 422 and "no futuro" in past.content.decode()
    assert admin_client.post(curl("status", conversation), {"status": "bogus"}, headers=HX).status_code == 422


def test_assign_agent_team_labels_priority(admin_client, account, agent, conversation):
    from autonomia.models import Team

    team = Team.objects.create(account=account, name="vendas")
    Label.objects.create(account=account, title="vip")
    # (the team first: changing the team drops an assignee who is not in it)
    assert admin_client.post(curl("team", conversation), {"team": team.pk}, headers=HX).status_code == 200
    assert admin_client.post(curl("assignee", conversation), {"assignee": agent.pk}, headers=HX).status_code == 200
    assert admin_client.post(curl("labels", conversation), {"labels": ["vip"]}, headers=HX).status_code == 200
    response = admin_client.post(curl("priority", conversation), {"priority": "urgent"}, headers=HX)
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == agent and conversation.team == team
    assert conversation.priority == Conversation.Priority.URGENT
    assert list(conversation.label_rows.values_list("title", flat=True)) == ["vip"]
    html = response.content.decode()
    assert "vip" in html and 'value="urgent" selected' in html
    admin_client.post(curl("assignee", conversation), {"assignee": ""}, headers=HX)
    admin_client.post(curl("priority", conversation), {"priority": ""}, headers=HX)
    admin_client.post(curl("labels", conversation), {}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.priority is None and not conversation.label_rows.exists()


def test_bad_header_input_is_422(admin_client, account, outsider, conversation):
    from autonomia.models import Team

    foreign_team = Team.objects.create(account=factories.make_account(), name="alheio")
    for name, data in [("assignee", {"assignee": outsider.pk}), ("team", {"team": foreign_team.pk}),
                       ("priority", {"priority": "mega"}), ("labels", {"labels": ["não existe"]})]:
        response = admin_client.post(curl(name, conversation), data, headers=HX)
        assert response.status_code == 422, name
        assert 'id="conversation-header"' in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team is None and conversation.priority is None


def test_typing_and_seen_answer_204(agent_client, conversation):
    assert agent_client.post(curl("typing", conversation), {"on": "1"}).status_code == 204
    assert agent_client.post(curl("typing", conversation), {"on": "0"}).status_code == 204
    assert agent_client.post(curl("seen", conversation)).status_code == 204


def test_contact_panel(agent_client, conversation, inbox, contact):
    factories.make_conversation(inbox, contact=contact)
    html = agent_client.get(curl("contact-panel", conversation), headers=HX).content.decode()
    assert 'id="contact-panel"' in html and "carla@cliente.com" in html and "Conversas anteriores" in html


# --- bulk actions -------------------------------------------------------------------------------------

def test_bulk_resolve_assign_team_label_snooze(admin_client, account, agent, inbox):
    from autonomia.models import Team

    team = Team.objects.create(account=account, name="suporte")
    one, two = factories.make_conversation(inbox), factories.make_conversation(inbox)
    ids = [one.display_id, two.display_id]
    bulk = url("bulk", account)
    assert admin_client.post(bulk, {"ids": ids, "action": "team", "team": team.pk}, headers=HX).status_code == 200
    assert admin_client.post(bulk, {"ids": ids, "action": "assign", "assignee": agent.pk}, headers=HX).status_code == 200
    assert admin_client.post(bulk, {"ids": ids, "action": "label", "label": "lote"}, headers=HX).status_code == 200
    for c in (one, two):
        c.refresh_from_db()
        assert c.assignee == agent and c.team == team and c.label_rows.filter(title="lote").exists()
    admin_client.post(bulk, {"ids": [one.display_id], "action": "snooze", "snooze": "tomorrow"}, headers=HX)
    response = admin_client.post(bulk, {"ids": [two.display_id], "action": "resolve", "status": "all"}, headers=HX)
    assert response.status_code == 200 and 'id="conversation-list"' in response.content.decode()
    one.refresh_from_db(), two.refresh_from_db()
    assert one.status == Status.SNOOZED and one.snoozed_until > timezone.now()
    assert two.status == Status.RESOLVED


def test_bulk_ignores_conversations_the_agent_cannot_see(agent_client, account, inbox, other_inbox):
    mine, hidden = factories.make_conversation(inbox), factories.make_conversation(other_inbox)
    agent_client.post(url("bulk", account), {"ids": [mine.display_id, hidden.display_id], "action": "resolve"},
                      headers=HX)
    mine.refresh_from_db(), hidden.refresh_from_db()
    assert mine.status == Status.RESOLVED and hidden.status == Status.OPEN


def test_bulk_with_bad_input_is_422(admin_client, account, outsider, conversation):
    bulk = url("bulk", account)
    assert admin_client.post(bulk, {"ids": [conversation.display_id], "action": "explode"}, headers=HX).status_code == 422
    assert admin_client.post(bulk, {"action": "resolve"}, headers=HX).status_code == 422
    response = admin_client.post(bulk, {"ids": [conversation.display_id], "action": "assign",
                                        "assignee": outsider.pk}, headers=HX)
    assert response.status_code == 422 and "bulk-errors" in response.content.decode()


# --- canned responses, mentions, notifications ----------------------------------------------------------

def test_canned_search_fills_variables(agent_client, account, conversation):
    CannedResponse.objects.create(account=account, short_code="oi",
                                  content="Olá {{contact.name}} ({{ contact.email }}), sou {{agent.name}}. {{x.y}}")
    CannedResponse.objects.create(account=factories.make_account(), short_code="oi-alheio", content="não")
    html = agent_client.get(url("canned-search", account) + f"?q=oi&conversation={conversation.display_id}",
                            headers=HX).content.decode()
    assert "Olá Carla Cliente (carla@cliente.com), sou Bruno Agente. {{x.y}}" in html
    assert "oi-alheio" not in html


def test_mention_search_lists_agents_who_can_see_the_conversation(agent_client, account, admin, agent, conversation):
    stranger = factories.make_member(account, factories.make_user("zeca@example.com", "Zeca Sem Caixa"))
    html = agent_client.get(url("mention-search", account) + f"?conversation={conversation.display_id}",
                            headers=HX).content.decode()
    assert "Ana Admin" in html and "Bruno Agente" in html and stranger.available_name not in html
    html = agent_client.get(url("mention-search", account) + f"?q=ana&conversation={conversation.display_id}",
                            headers=HX).content.decode()
    assert f'data-mention-id="{admin.pk}"' in html and "Bruno" not in html


def test_notifications_list_and_mark_read(agent_client, account, admin, agent, conversation):
    actions.assign_agent(conversation, actor=admin, assignee=agent)
    html = agent_client.get(url("notifications", account), headers=HX).content.decode()
    assert 'data-unread="1"' in html and "is-unread" in html
    response = agent_client.post(url("notifications-read", account), headers=HX)
    assert 'data-unread="0"' in response.content.decode()
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()


# --- permissions --------------------------------------------------------------------------------------

CONVERSATION_URLS = [("detail", "get"), ("row", "get"), ("header", "get"), ("messages", "get"),
                     ("messages", "post"), ("status", "post"), ("assignee", "post"), ("team", "post"),
                     ("labels", "post"), ("priority", "post"), ("typing", "post"), ("seen", "post"),
                     ("contact-panel", "get")]
ACCOUNT_URLS = [("inbox", "get"), ("list", "get"), ("bulk", "post"), ("canned-search", "get"),
                ("mention-search", "get"), ("notifications", "get"), ("notifications-read", "post")]


@pytest.mark.parametrize("name, method", CONVERSATION_URLS)
def test_outsider_gets_404_for_every_conversation_url(outsider_client, conversation, name, method):
    response = getattr(outsider_client, method)(curl(name, conversation), {"status": "resolved", "content": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("name, method", ACCOUNT_URLS)
def test_outsider_gets_404_for_every_account_url(outsider_client, account, name, method):
    assert getattr(outsider_client, method)(url(name, account)).status_code == 404


def test_outsider_gets_404_for_attachments(outsider_client, admin_client, conversation):
    admin_client.post(curl("messages", conversation), {"content": "", "attachments": SimpleUploadedFile(
        "a.txt", b"ok", content_type="text/plain")}, headers=HX)
    attachment = Attachment.objects.get()
    assert outsider_client.get(url("attachment", conversation.account, attachment_id=attachment.pk,
                                   name="a.txt")).status_code == 404


@pytest.mark.parametrize("name, method", CONVERSATION_URLS)
def test_agent_gets_404_for_a_conversation_of_another_inbox(agent_client, other_inbox, name, method):
    hidden = factories.make_conversation(other_inbox)
    response = getattr(agent_client, method)(curl(name, hidden), {"status": "resolved", "content": "x"})
    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.status == Status.OPEN


def test_agent_cannot_use_helpers_on_a_hidden_conversation(agent_client, account, other_inbox):
    hidden = factories.make_conversation(other_inbox)
    for name in ("canned-search", "mention-search"):
        assert agent_client.get(url(name, account) + f"?conversation={hidden.display_id}").status_code == 404


def test_anonymous_is_sent_to_login(client, account, conversation):
    response = client.get(curl("detail", conversation))
    assert response.status_code == 302 and "/login/" in response["Location"]
