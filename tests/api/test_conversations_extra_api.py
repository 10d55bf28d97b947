"""Conversation endpoints added for issue 6: DELETE, mute / unmute, transcript, draft_messages, the list's
source_id / updated_within and the search over message text (chatwoot-compat §5.2)."""

import datetime as dt
import sqlite3

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from autonomia.models import AuditLog
from contacts.models import Contact, ContactInbox
from conversations import actions
from conversations.forms import prepare_attachment
from conversations.models import Attachment, Conversation, Message, Notification
from tests import factories
from tests.api.conftest import assert_422, assert_hidden
from tests.autonomia.test_embedded import embedded_env, manage

pytestmark = pytest.mark.django_db


def writes():
    """Counts that any write by these endpoints would change."""
    return (Conversation.objects.count(), Message.objects.count(), AuditLog.objects.count(),
            Contact.objects.filter(blocked=True).count())


# --- DELETE conversations/{id} --------------------------------------------------------------

def test_delete_is_for_administrators_and_removes_everything(api, tokens, conversation, admin, agent, bot_inbox,
                                                             bot, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("nota.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    actions.send_reply(conversation, actor=admin, content="segue", attachments=[prepare_attachment(upload)])
    attachment = Attachment.objects.get(message__conversation=conversation)
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    path = f"conversations/{conversation.display_id}"

    bots = factories.make_conversation(bot_inbox)
    before = writes()
    for token, display_id in ((tokens["agent"], conversation.display_id), (tokens["bot"], bots.display_id)):
        response = api("DELETE", f"conversations/{display_id}", token=token)  # an agent of the inbox, its bot
        assert response.status_code == 401 and response.json() == {
            "error": "You are not authorized to do this action"}
    assert_hidden(api, tokens, "DELETE", path)
    assert writes() == before

    with django_capture_on_commit_callbacks(execute=True):
        response = api("DELETE", path)
    assert response.status_code == 200 and response.content == b""
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    row = AuditLog.objects.get(action="destroy", auditable_type="Conversation", auditable_id=conversation.pk)
    assert row.user_id == admin.pk and row.audited_changes["display_id"] == conversation.display_id
    assert api("GET", path).status_code == 404
    assert api("DELETE", path).status_code == 404
    assert not storage.exists(name)


def test_delete_files_go_only_after_commit(conversation, admin, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("nota.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    actions.send_reply(conversation, actor=admin, content="segue", attachments=[prepare_attachment(upload)])
    attachment = Attachment.objects.get(message__conversation=conversation)
    storage, name = attachment.file.storage, attachment.file.name

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Abort), transaction.atomic():
            actions.delete_conversation(conversation, actor=admin)
            raise Abort
    assert Conversation.objects.filter(pk=conversation.pk).exists() and storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_conversation(conversation, actor=admin)
    assert not storage.exists(name)


# --- mute / unmute ---------------------------------------------------------------------------

def test_mute_resolves_blocks_and_silences_the_contact(api, tokens, conversation, contact, agent):
    actions.assign_agent(conversation, actor=None, assignee=agent)
    activity = conversation.messages.filter(message_type=Message.MessageType.ACTIVITY)
    lines = activity.count()
    base = f"conversations/{conversation.display_id}/"
    response = api("POST", base + "mute")
    assert response.status_code == 200 and response.content == b""
    conversation.refresh_from_db()
    contact.refresh_from_db()
    assert conversation.is_resolved and contact.blocked
    assert activity.count() == lines + 2  # resolved by…, muted by…
    assert "Ana Admin" in activity.order_by("-id").first().content
    assert AuditLog.objects.filter(action="muted", auditable_id=conversation.pk).exists()
    data = api("GET", base.rstrip("/")).json()
    assert data["muted"] is True and data["status"] == "resolved"

    # a muted contact's message is kept, but reopens nothing and rings no bell
    notifications = Notification.objects.count()
    actions.receive_message(conversation, sender=contact, content="Oi de novo")
    conversation.refresh_from_db()
    assert conversation.is_resolved and Notification.objects.count() == notifications
    assert conversation.messages.filter(content="Oi de novo").exists()
    # muting again changes nothing more
    lines = activity.count()
    assert api("POST", base + "mute").status_code == 200
    assert activity.count() == lines

    response = api.as_(tokens["agent"])("POST", base + "unmute")
    assert response.status_code == 200 and response.content == b""
    contact.refresh_from_db()
    assert not contact.blocked
    assert api("GET", base.rstrip("/")).json()["muted"] is False
    actions.receive_message(conversation, sender=Contact.objects.get(pk=contact.pk), content="Agora sim")
    conversation.refresh_from_db()
    assert conversation.is_open and Notification.objects.count() > notifications


@pytest.mark.parametrize("suffix", ["mute", "unmute"])
def test_mute_and_unmute_are_hidden_and_refused_to_bots(api, tokens, conversation, bot_inbox, bot, contact,
                                                       other_account, suffix):
    if suffix == "unmute":
        Contact.objects.filter(pk=contact.pk).update(blocked=True)
    bots = factories.make_conversation(bot_inbox, contact=contact)
    before = writes()
    assert_hidden(api, tokens, "POST", f"conversations/{conversation.display_id}/{suffix}",
                  other_account_id=other_account.pk)
    response = api("POST", f"conversations/{bots.display_id}/{suffix}", token=tokens["bot"])
    assert response.status_code == 401
    assert writes() == before


# --- transcript ------------------------------------------------------------------------------

def test_transcript_emails_the_public_messages(api, tokens, conversation, admin, agent, contact,
                                               django_capture_on_commit_callbacks):
    actions.send_reply(conversation, actor=admin, content="Seu pedido saiu para entrega")
    actions.send_reply(conversation, actor=admin, content="nota interna: cliente difícil", private=True)
    actions.assign_agent(conversation, actor=admin, assignee=agent)
    activity = conversation.messages.get(message_type=Message.MessageType.ACTIVITY).content
    path = f"conversations/{conversation.display_id}/transcript"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_(tokens["agent"])("POST", path, {"email": "carla@cliente.com"})
    assert response.status_code == 200 and response.content == b""
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["carla@cliente.com"]
    assert email.subject.startswith(f"[#{conversation.display_id}] ")
    assert "Olá, mensagem 1" in email.body and "Seu pedido saiu para entrega" in email.body
    assert "Carla Cliente" in email.body and "Ana Admin" in email.body
    assert "nota interna" not in email.body  # private notes stay inside
    assert activity not in email.body
    assert AuditLog.objects.filter(action="transcript_sent", auditable_id=conversation.pk).exists()


def test_transcript_refuses_bad_input_and_outsiders(api, tokens, conversation, other_account,
                                                    django_capture_on_commit_callbacks):
    path = f"conversations/{conversation.display_id}/transcript"
    before = writes()
    with django_capture_on_commit_callbacks(execute=True):
        assert_422(api("POST", path, {}), "email")
        assert_422(api("POST", path, {"email": ""}), "email")
        assert_422(api("POST", path, {"email": ["a@b.com"]}), "email")
        assert_422(api("POST", path, {"email": "not-an-email"}), "email")
        assert_hidden(api, tokens, "POST", path, {"email": "x@example.com"}, other_account_id=other_account.pk)
        assert api("POST", path, {"email": "x@example.com"}, token=tokens["bot"]).status_code == 401
    assert mail.outbox == [] and writes() == before


def test_transcript_is_rate_limited_per_member(api, conversation, monkeypatch, settings,
                                              django_capture_on_commit_callbacks):
    from conversations import api_extra

    settings.RATELIMIT_ENABLE = True
    monkeypatch.setattr(api_extra, "TRANSCRIPT_RATE", "2/h")
    path = f"conversations/{conversation.display_id}/transcript"
    with django_capture_on_commit_callbacks(execute=True):
        codes = [api("POST", path, {"email": "a@example.com"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert len(mail.outbox) == 2


# --- draft_messages --------------------------------------------------------------------------

def test_draft_messages_per_agent(api, tokens, conversation):
    path = f"conversations/{conversation.display_id}/draft_messages"
    as_agent = api.as_(tokens["agent"])
    assert as_agent("GET", path).json() == {"has_draft": False}
    response = as_agent("PATCH", path, {"draft_message": {"message": "Olá! Já verifico o pedido"}})
    assert response.status_code == 200 and response.content == b""
    assert as_agent("GET", path).json() == {"has_draft": True, "message": "Olá! Já verifico o pedido"}
    assert api("GET", path).json() == {"has_draft": False}  # the admin has none of their own
    assert as_agent("PUT", path, {"message": "segunda versão"}).status_code == 200
    assert as_agent("GET", path).json() == {"has_draft": True, "message": "segunda versão"}
    assert_422(as_agent("PATCH", path, {"draft_message": {"message": 42}}), "message")
    assert_422(as_agent("PATCH", path, {"draft_message": {"message": "x" * 150_001}}), "message")
    assert as_agent("GET", path).json()["message"] == "segunda versão"
    assert as_agent("DELETE", path).status_code == 200
    assert as_agent("GET", path).json() == {"has_draft": False}
    assert as_agent("DELETE", path).status_code == 200  # nothing to forget is fine


def test_draft_messages_hidden_and_refused_to_bots(api, tokens, conversation, other_account):
    path = f"conversations/{conversation.display_id}/draft_messages"
    for method, body in (("GET", None), ("PATCH", {"draft_message": {"message": "x"}}), ("DELETE", None)):
        assert_hidden(api, tokens, method, path, body, other_account_id=other_account.pk)
        assert api(method, path, body, token=tokens["bot"]).status_code == 401
    assert api("GET", path).json() == {"has_draft": False}


# --- list filters and message search ---------------------------------------------------------

def test_list_by_source_id(api, tokens, inbox, contact):
    contact_inbox = ContactInbox.objects.create(contact=contact, inbox=inbox, source_id="5511912345678@wa")
    wanted = factories.make_conversation(inbox, contact=contact, contact_inbox=contact_inbox)
    factories.make_conversation(inbox)

    def ids(**query):
        return [c["id"] for c in api("GET", "conversations", query=query).json()["data"]["payload"]]

    assert ids(source_id="5511912345678@wa") == [wanted.display_id]
    assert ids(source_id="nobody") == []
    meta = api("GET", "conversations/meta", query={"source_id": "5511912345678@wa"}).json()["meta"]
    assert meta["all_count"] == 1
    assert api.as_(tokens["agent_outside"])("GET", "conversations", query={"source_id": "5511912345678@wa"}).json()[
        "data"]["payload"] == []


def test_list_updated_within_is_unpaged_and_keeps_the_counts(api, inbox, admin):
    old = [factories.make_conversation(inbox, messages=0) for _ in range(3)]
    Conversation.objects.filter(pk__in=[c.pk for c in old]).update(
        updated_at=timezone.now() - dt.timedelta(hours=2))
    recent = [factories.make_conversation(inbox, messages=0) for _ in range(27)]
    data = api("GET", "conversations", query={"updated_within": 3600}).json()["data"]
    assert sorted(c["id"] for c in data["payload"]) == sorted(c.display_id for c in recent)  # 27: no 25-row page
    assert data["meta"]["all_count"] == 30
    assert len(api("GET", "conversations", query={"updated_within": 3 * 3600}).json()["data"]["payload"]) == 30
    assert_422(api("GET", "conversations", query={"updated_within": "soon"}), "updated_within")
    assert_422(api("GET", "conversations", query={"updated_within": -5}), "updated_within")


def test_search_matches_message_text(api, tokens, inbox, other_inbox, admin):
    late = factories.make_conversation(inbox, messages=0)
    actions.receive_message(late, sender=late.contact, content="Meu pedido 4471 está ATRASADO desde segunda")
    reply = factories.make_conversation(other_inbox, messages=0)
    actions.send_reply(reply, actor=admin, content="Seu reembolso foi aprovado")
    factories.make_conversation(inbox)  # "Olá, mensagem 1"
    actions.change_status(late, actor=admin, status=Conversation.Status.RESOLVED)  # search spans every status
    activity = late.messages.get(message_type=Message.MessageType.ACTIVITY).content

    def found(q, token=None):
        response = api("GET", "conversations/search", query={"q": q}, token=token)
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["data"]["payload"]]

    assert found("atrasado") == [late.display_id]  # any case
    assert found("pedido 4471") == [late.display_id]
    assert found("reembolso") == [reply.display_id]  # outgoing messages too
    assert found(activity) == []  # activity lines are not searched
    assert found("reembolso", token=tokens["agent"]) == []  # not the agent's inbox
    assert found("zzz-nada") == []
    # the list's q searches the same way (status filter kept there)
    listed = api("GET", "conversations", query={"q": "reembolso"}).json()["data"]["payload"]
    assert [c["id"] for c in listed] == [reply.display_id]


def test_message_search_can_use_the_trigram_index(inbox):
    """The search's message condition is the indexed expression: with sequential scans off, PostgreSQL reads
    message_content_trgm (on a few rows it would rightly scan; docs/benchmarks.md measures 1M messages)."""
    from conversations.queries import api_search_q

    subquery = api_search_q(inbox.account_id, "atrasado").children[-1][1]  # the id__in=messages part
    qs = Message.objects.filter(content__icontains="atrasado")
    assert str(qs.query).split("WHERE")[-1] in str(subquery.query)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_content_trgm" in plan, plan


def test_search_works_on_the_embedded_sqlite_default(tmp_path):
    env = embedded_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v0")
    script = """
from autonomia.actions import create_account
from autonomia.models import AccountUser
from contacts.models import Contact
from conversations import actions
from conversations.queries import ConversationFilter, api_conversation_page
from inboxes.actions import create_inbox
p = create_account(name="Embutida", email="e@example.com", password="x-secret-123")
inbox = create_inbox(p.account, actor=p.user, name="Site")
contact = Contact.objects.create(account=p.account, name="Zé")
c = actions.create_conversation(inbox, contact=contact)
actions.receive_message(c, sender=contact, content="Meu pedido está atrasado")
au = AccountUser.objects.get(user=p.user)
page = api_conversation_page(au, ConversationFilter(status="all", q="ATRASADO"))
print([x.display_id for x in page.conversations], c.display_id)
"""
    out = manage(env, "shell", "-c", script).stdout.strip().splitlines()[-1]
    assert out == "[1] 1"
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "conv_list_status" in names and "message_content_trgm" not in names
