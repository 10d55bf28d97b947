"""Conversation endpoints of the Chatwoot-compatible API (fast, through Django's test Client)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from autonomia.models import AuditLog, Team
from contacts.models import ContactInbox
from conversations import actions
from conversations.models import Conversation, ConversationLabel, ConversationParticipant, Message
from tests import factories
from tests.api.conftest import assert_422, assert_hidden

pytestmark = pytest.mark.django_db

CONVERSATION_KEYS = {
    "meta", "id", "messages", "account_id", "uuid", "additional_attributes", "agent_last_seen_at",
    "assignee_last_seen_at", "contact_last_seen_at", "can_reply", "custom_attributes", "inbox_id", "labels",
    "muted", "snoozed_until", "status", "created_at", "updated_at", "timestamp", "first_reply_created_at",
    "unread_count", "last_non_activity_message", "last_activity_at", "priority", "waiting_since",
}


def assert_conversation_types(data):
    assert CONVERSATION_KEYS <= set(data)
    for key in ("id", "account_id", "inbox_id", "created_at", "timestamp", "last_activity_at", "unread_count",
                "agent_last_seen_at", "contact_last_seen_at", "waiting_since", "first_reply_created_at"):
        assert type(data[key]) is int, key
    assert isinstance(data["updated_at"], float)
    assert isinstance(data["uuid"], str) and isinstance(data["status"], str)
    assert isinstance(data["labels"], list) and isinstance(data["can_reply"], bool)
    meta = data["meta"]
    assert {"sender", "channel", "hmac_verified"} <= set(meta)
    assert type(meta["sender"]["id"]) is int and isinstance(meta["channel"], str)
    for message in data["messages"]:
        assert type(message["id"]) is int and type(message["message_type"]) is int
        assert type(message["created_at"]) is int and message["conversation_id"] == data["id"]


# --- List, meta, search, filter ---------------------------------------------------------

def test_list_shape_types_and_counts(api, conversation, admin, inbox):
    factories.make_conversation(inbox)
    actions.assign_agent(conversation, actor=admin, assignee=admin)
    response = api("GET", "conversations")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["meta"] == {"mine_count": 1, "assigned_count": 1, "unassigned_count": 1, "all_count": 2}
    assert len(data["payload"]) == 2
    for row in data["payload"]:
        assert_conversation_types(row)
    row = next(r for r in data["payload"] if r["id"] == conversation.display_id)
    assert row["meta"]["assignee"]["id"] == admin.pk and row["meta"]["assignee_type"] == "User"
    assert row["meta"]["assignee"]["role"] == "administrator"
    assert row["meta"]["sender"]["email"] == "carla@cliente.com"
    assert row["messages"][0]["content"] == "Olá, mensagem 1"
    assert row["unread_count"] == 1 and row["status"] == "open"


def test_list_filters(api, conversation, admin, inbox, other_inbox):
    second = factories.make_conversation(other_inbox)
    actions.set_labels(second, actor=admin, titles=["vip"])
    actions.change_status(conversation, actor=admin, status=Conversation.Status.RESOLVED)

    def ids(**query):
        query = {k.replace("labels", "labels[]"): v for k, v in query.items()}
        return [c["id"] for c in api("GET", "conversations", query=query).json()["data"]["payload"]]

    assert ids() == [second.display_id]
    assert ids(status="resolved") == [conversation.display_id]
    assert sorted(ids(status="all")) == sorted([conversation.display_id, second.display_id])
    assert ids(status="all", inbox_id=inbox.pk) == [conversation.display_id]
    assert ids(status="all", labels="vip") == [second.display_id]
    assert ids(status="all", q="carla") == [conversation.display_id]
    assert ids(status="all", assignee_type="unassigned", sort_by="created_at_asc") == [
        conversation.display_id, second.display_id]


def test_list_pages_25_and_constant_queries(api, inbox, admin):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api("GET", "conversations").status_code == 200
        return len(ctx.captured_queries)

    team = Team.objects.create(account=inbox.account, name="vendas")

    def make(i):
        c = factories.make_conversation(inbox, messages=2)
        actions.set_labels(c, actor=admin, titles=[f"l{i % 3}"])
        actions.assign_team(c, actor=admin, team=team)
        actions.assign_agent(c, actor=admin, assignee=admin)
        actions.send_reply(c, actor=admin, content="Resposta")

    make(0)
    few = count_queries()
    for i in range(27):
        make(i + 1)
    assert count_queries() == few
    first = api("GET", "conversations").json()["data"]
    assert len(first["payload"]) == 25 and first["meta"]["all_count"] == 28
    assert len(api("GET", "conversations", query={"page": 2}).json()["data"]["payload"]) == 3


def test_agent_sees_only_own_inboxes(api, tokens, conversation, other_inbox):
    factories.make_conversation(other_inbox)
    data = api.as_(tokens["agent"])("GET", "conversations").json()["data"]
    assert [c["id"] for c in data["payload"]] == [conversation.display_id]
    assert data["meta"]["all_count"] == 1
    assert api.as_(tokens["agent_outside"])("GET", "conversations").json()["data"]["payload"] == []


def test_list_needs_token_and_account(api, tokens, conversation, other_account):
    assert api("GET", "conversations", token="nope").status_code == 401
    assert api("GET", "conversations", token="").status_code == 401
    response = api("GET", "conversations", token=tokens["outsider"])
    assert response.status_code == 404 and "payload" not in response.content.decode()
    assert api("GET", "conversations", token=tokens["outsider"], account_id=other_account.pk).json()[
        "data"]["payload"] == []


def test_meta_and_search(api, conversation, inbox):
    factories.make_conversation(inbox, contact=factories.make_contact(inbox.account, name="Zeca"))
    meta = api("GET", "conversations/meta").json()["meta"]
    assert meta == {"mine_count": 0, "assigned_count": 0, "unassigned_count": 2, "all_count": 2}
    found = api("GET", "conversations/search", query={"q": "Zeca"}).json()["data"]["payload"]
    assert [c["meta"]["sender"]["name"] for c in found] == ["Zeca"]
    assert api("GET", "conversations/search", query={"q": "Zeca"}, token="x").status_code == 401


def test_filter_operators(api, conversation, inbox, other_inbox, admin):
    second = factories.make_conversation(other_inbox)
    actions.change_priority(second, actor=admin, priority=Conversation.Priority.HIGH)
    actions.set_labels(conversation, actor=admin, titles=["vip"])

    def ids(*rows):
        response = api("POST", "conversations/filter", {"payload": list(rows)})
        assert response.status_code == 200, response.content
        body = response.json()
        assert type(body["meta"]["all_count"]) is int
        return sorted(c["id"] for c in body["payload"])

    row = lambda key, op, values, q=None: {"attribute_key": key, "filter_operator": op, "values": values,
                                           "query_operator": q}
    assert ids(row("status", "equal_to", ["open"])) == sorted([conversation.display_id, second.display_id])
    assert ids(row("priority", "equal_to", ["high"])) == [second.display_id]
    assert ids(row("priority", "is_present", [])) == [second.display_id]
    assert ids(row("labels", "equal_to", ["vip"])) == [conversation.display_id]
    assert ids(row("inbox_id", "equal_to", [str(inbox.pk)], "or"), row("priority", "equal_to", ["high"])) == \
        sorted([conversation.display_id, second.display_id])
    assert ids(row("inbox_id", "equal_to", [inbox.pk], "and"), row("priority", "equal_to", ["high"])) == []
    assert ids(row("display_id", "not_equal_to", [conversation.display_id])) == [second.display_id]
    assert ids(row("assignee_id", "is_not_present", [])) == sorted([conversation.display_id, second.display_id])
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    assert ids(row("created_at", "is_less_than", [tomorrow])) == sorted([conversation.display_id,
                                                                         second.display_id])
    assert ids(row("last_activity_at", "is_greater_than", [tomorrow])) == []


def test_filter_rejects_bad_rows(api, conversation):
    assert_422(api("POST", "conversations/filter", {"payload": [
        {"attribute_key": "nope", "filter_operator": "equal_to", "values": [1]}]}), "attribute_key")
    assert_422(api("POST", "conversations/filter", {"payload": [
        {"attribute_key": "status", "filter_operator": "bogus", "values": ["open"]}]}), "filter_operator")
    assert_422(api("POST", "conversations/filter", {"payload": [
        {"attribute_key": "priority", "filter_operator": "equal_to", "values": ["extreme"]}]}), "values")
    assert_422(api("POST", "conversations/filter", {"payload": []}), "payload")
    assert_422(api("POST", "conversations/filter", {"payload": [
        {"attribute_key": "created_at", "filter_operator": "is_greater_than", "values": ["soon"]}]}), "values")
    assert api("POST", "conversations/filter", raw=b"{nope").status_code == 400


def test_filter_is_scoped(api, tokens, conversation, other_account):
    rows = {"payload": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]}
    assert api.as_(tokens["agent_outside"])("POST", "conversations/filter", rows).json()["payload"] == []
    assert api("POST", "conversations/filter", rows, token=tokens["outsider"]).status_code == 404
    assert api("POST", "conversations/filter", rows, token=tokens["outsider"],
               account_id=other_account.pk).json()["payload"] == []


# --- Create --------------------------------------------------------------------------------

def test_create_with_string_ids_and_first_message(api, inbox, contact, admin):
    response = api("POST", "conversations", {
        "contact_id": str(contact.pk), "inbox_id": str(inbox.pk), "status": "pending",
        "additional_attributes": {"type": "order"}, "custom_attributes": {"order": "12345"},
        "message": {"content": "Seu pedido foi recebido"}})
    assert response.status_code == 200, response.content
    data = response.json()
    assert_conversation_types(data)
    conversation = Conversation.objects.get(account=inbox.account, display_id=data["id"])
    assert data["status"] == "pending" and conversation.status == Conversation.Status.PENDING
    assert conversation.custom_attributes == {"order": "12345"}
    assert data["messages"][0]["content"] == "Seu pedido foi recebido"
    assert data["messages"][0]["message_type"] == 1 and data["messages"][0]["sender"]["type"] == "user"
    assert data["last_non_activity_message"]["conversation"]["contact_inbox"]["source_id"] == \
        conversation.contact_inbox.source_id


def test_create_by_source_id_with_assignee_team_and_snooze(api, inbox, contact, agent):
    contact_inbox = ContactInbox.objects.create(contact=contact, inbox=inbox, source_id="src-1")
    team = Team.objects.create(account=inbox.account, name="suporte")
    until = int((timezone.now() + dt.timedelta(hours=3)).timestamp())
    response = api("POST", "conversations", {"source_id": "src-1", "inbox_id": inbox.pk, "assignee_id": agent.pk,
                                             "team_id": team.pk, "status": "snoozed", "snoozed_until": until})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["meta"]["assignee"]["id"] == agent.pk and data["meta"]["team"] == {"id": team.pk,
                                                                                   "name": "suporte"}
    assert data["status"] == "snoozed" and data["snoozed_until"].endswith("Z")
    assert Conversation.objects.get(display_id=data["id"], account=inbox.account).contact_inbox == contact_inbox


def test_create_incoming_first_message_only_in_api_inbox(api, account, contact, admin):
    site = factories.make_inbox(account, name="Site", channel_type="Channel::WebWidget")
    assert_422(api("POST", "conversations", {"contact_id": contact.pk, "inbox_id": site.pk,
                                             "message": {"content": "oi", "message_type": "incoming"}}),
               "message_type")
    assert not Conversation.objects.exists()


def test_create_bad_input_writes_nothing(api, inbox, contact, agent_outside, other_inbox):
    before = (Conversation.objects.count(), ContactInbox.objects.count(), Message.objects.count())
    assert_422(api("POST", "conversations", {"contact_id": contact.pk}), "inbox_id")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk}))
    assert_422(api("POST", "conversations", {"inbox_id": "abc", "contact_id": contact.pk}), "inbox_id")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk, "status": "x"}),
               "status")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "source_id": "unknown"}), "source_id")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk,
                                             "custom_attributes": "x"}), "custom_attributes")
    # the agent cannot work the inbox: refused after the contact_inbox would have been made
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk, "source_id": "new",
                                             "assignee_id": agent_outside.pk}))
    assert api("POST", "conversations", raw=b'{"inbox_id": ').status_code == 400
    assert (Conversation.objects.count(), ContactInbox.objects.count(), Message.objects.count()) == before


def test_create_is_scoped(api, tokens, inbox, contact, other_account):
    other_contact = factories.make_contact(other_account)
    body = {"inbox_id": inbox.pk, "contact_id": contact.pk}
    assert api("POST", "conversations", body, token=tokens["outsider"]).status_code == 404
    assert api("POST", "conversations", body, token=tokens["agent_outside"]).status_code == 404
    assert api("POST", "conversations", body, token=tokens["outsider"],
               account_id=other_account.pk).status_code == 404
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": other_contact.pk}), "contact_id")
    assert not Conversation.objects.exists()


def test_manual_example_with_api_key_header(client, tokens, inbox, contact):
    """The administrator's manual §9.4: POST /api/v1/conversations with `API-Key: <access token>`."""
    body = {"source_id": "web_widget", "inbox_id": inbox.pk, "contact_id": contact.pk,
            "message": {"content": "Olá, preciso de ajuda com meu pedido #12345"}}
    response = client.post("/api/v1/conversations", body, content_type="application/json",
                           HTTP_API_KEY=tokens["agent"])
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["account_id"] == inbox.account_id and data["inbox_id"] == inbox.pk
    assert data["messages"][0]["content"].endswith("#12345")
    assert ContactInbox.objects.get(contact=contact, inbox=inbox).source_id == "web_widget"
    again = client.post("/api/v1/conversations", body, content_type="application/json",
                        HTTP_API_KEY=tokens["agent"])
    assert again.status_code == 200 and again.json()["id"] != data["id"]
    for token in (tokens["outsider"], tokens["agent_outside"]):
        assert client.post("/api/v1/conversations", body, content_type="application/json",
                           HTTP_API_KEY=token).status_code == 404
    assert client.post("/api/v1/conversations", body, content_type="application/json").status_code == 401
    assert client.post("/api/v1/conversations", body, content_type="application/json",
                       HTTP_API_KEY=tokens["bot"]).status_code == 401


# --- One conversation ----------------------------------------------------------------------

def test_show_and_patch_priority(api, tokens, conversation):
    path = f"conversations/{conversation.display_id}"
    data = api("GET", path).json()
    assert_conversation_types(data)
    assert data["id"] == conversation.display_id
    assert api("PATCH", path, {"priority": "urgent", "status": "resolved"}).json()["priority"] == "urgent"
    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.URGENT and conversation.is_open
    assert_422(api("PATCH", path, {"priority": "extreme"}), "priority")
    assert api("PATCH", path, raw=b"[").status_code == 400
    assert api("GET", "conversations/999999").status_code == 404
    assert_hidden(api, tokens, "GET", path)
    assert_hidden(api, tokens, "PATCH", path, {"priority": "low"})
    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.URGENT


@pytest.mark.parametrize("method,suffix,body", [
    ("POST", "toggle_status", {"status": "resolved"}),
    ("POST", "toggle_priority", {"priority": "high"}),
    ("POST", "toggle_typing_status", {"typing_status": "on"}),
    ("POST", "update_last_seen", {}),
    ("POST", "unread", {}),
    ("POST", "custom_attributes", {"custom_attributes": {"a": 1}}),
    ("POST", "assignments", {"assignee_id": None}),
    ("GET", "labels", None),
    ("POST", "labels", {"labels": ["x"]}),
    ("GET", "participants", None),
    ("POST", "participants", {"user_ids": []}),
    ("PATCH", "participants", {"user_ids": []}),
    ("DELETE", "participants", {"user_ids": []}),
    ("GET", "attachments", None),
    ("GET", "messages", None),
    ("POST", "messages", {"content": "oi"}),
])
def test_member_endpoints_hidden_from_outsiders(api, tokens, conversation, other_account, method, suffix, body):
    def written():
        return Message.objects.count(), AuditLog.objects.count(), ConversationLabel.objects.count()

    before = written()
    assert_hidden(api, tokens, method, f"conversations/{conversation.display_id}/{suffix}", body,
                  other_account_id=other_account.pk)
    assert written() == before
    # and our agent cannot reach into the other account, even by a display id that exists there
    other_conversation = factories.make_conversation(factories.make_inbox(other_account), messages=0)
    before = written()
    response = api(method, f"conversations/{other_conversation.display_id}/{suffix}", body, token=tokens["agent"],
                   account_id=other_account.pk)
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.is_open and conversation.priority is None and conversation.custom_attributes == {}
    assert written() == before


def test_toggle_status(api, conversation, agent, tokens):
    path = f"conversations/{conversation.display_id}/toggle_status"
    body = api("POST", path).json()
    assert body["payload"] == {"success": True, "current_status": "resolved",
                               "conversation_id": conversation.display_id}
    assert api("POST", path).json()["payload"]["current_status"] == "open"
    until = int((timezone.now() + dt.timedelta(days=1)).timestamp())
    assert api("POST", path, {"status": "snoozed", "snoozed_until": until}).json()["payload"][
        "current_status"] == "snoozed"
    conversation.refresh_from_db()
    assert int(conversation.snoozed_until.timestamp()) == until
    assert_422(api("POST", path, {"status": "closed"}), "status")
    assert_422(api("POST", path, {"status": "snoozed", "snoozed_until": "tomorrow"}), "snoozed_until")
    assert_422(api("POST", path, {"status": "snoozed", "snoozed_until": 1000}), "snoozed_until")
    assert api("POST", path, raw=b"{").status_code == 400
    conversation.refresh_from_db()
    assert conversation.is_snoozed
    # an agent who opens an unassigned conversation owns it
    api.as_(tokens["agent"])("POST", path, {"status": "open"})
    conversation.refresh_from_db()
    assert conversation.is_open and conversation.assignee_id == agent.pk


def test_toggle_priority_typing_seen_unread(api, conversation, admin):
    base = f"conversations/{conversation.display_id}/"
    assert api("POST", base + "toggle_priority", {"priority": "low"}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.LOW
    assert api("POST", base + "toggle_priority", {"priority": None}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.priority is None
    assert_422(api("POST", base + "toggle_priority", {"priority": "meh"}), "priority")
    assert_422(api("POST", base + "toggle_priority", {}), "priority")
    assert api("POST", base + "toggle_typing_status", {"typing_status": "on", "is_private": True}).status_code == 200
    assert_422(api("POST", base + "toggle_typing_status", {"typing_status": "maybe"}), "typing_status")
    data = api("POST", base + "update_last_seen").json()
    assert data["unread_count"] == 0 and data["agent_last_seen_at"] > 0
    assert api("POST", base + "unread").json()["unread_count"] == 1


def test_custom_attributes_replace(api, conversation):
    path = f"conversations/{conversation.display_id}/custom_attributes"
    api("POST", path, {"custom_attributes": {"a": 1, "b": "x"}})
    assert api("POST", path, {"custom_attributes": {"c": True}}).json() == {"custom_attributes": {"c": True}}
    conversation.refresh_from_db()
    assert conversation.custom_attributes == {"c": True}
    assert_422(api("POST", path, {"custom_attributes": ["a"]}), "custom_attributes")
    assert_422(api("POST", path, {}), "custom_attributes")
    conversation.refresh_from_db()
    assert conversation.custom_attributes == {"c": True}


def test_assignments(api, conversation, agent, agent_outside, admin):
    path = f"conversations/{conversation.display_id}/assignments"
    data = api("POST", path, {"assignee_id": str(agent.pk)}).json()
    assert data["id"] == agent.pk and data["role"] == "agent" and data["email"] == "agent@example.com"
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk
    assert_422(api("POST", path, {"assignee_id": agent_outside.pk}))
    assert_422(api("POST", path, {"assignee_id": 987654}), "assignee_id")
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk
    assert api("POST", path, {"assignee_id": None}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee_id is None
    team = Team.objects.create(account=conversation.account, name="vendas")
    assert api("POST", path, {"team_id": team.pk}).json()["name"] == "vendas"
    conversation.refresh_from_db()
    assert conversation.team_id == team.pk
    assert api("POST", path, {"team_id": 0}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.team_id is None
    assert_422(api("POST", path, {"team_id": 424242}), "team_id")
    assert_422(api("POST", path, {}))


def test_labels_replace(api, conversation):
    path = f"conversations/{conversation.display_id}/labels"
    assert api("GET", path).json() == {"payload": []}
    assert api("POST", path, {"labels": ["VIP", "pedido"]}).json() == {"payload": ["pedido", "vip"]}
    assert api("POST", path, {"labels": ["pedido"]}).json() == {"payload": ["pedido"]}
    assert_422(api("POST", path, {"labels": ["não pode ter espaço"]}), "labels")
    assert_422(api("POST", path, {"labels": [1, 2]}), "labels")
    assert api("GET", path).json() == {"payload": ["pedido"]}
    assert api("GET", f"conversations/{conversation.display_id}").json()["labels"] == ["pedido"]


def test_participants(api, conversation, agent, admin, agent_outside):
    path = f"conversations/{conversation.display_id}/participants"
    assert api("GET", path).json() == []
    data = api("POST", path, {"user_ids": [agent.pk]}).json()
    assert [p["id"] for p in data] == [agent.pk]
    assert sorted(p["id"] for p in api("PATCH", path, {"user_ids": [admin.pk, agent.pk]}).json()) == sorted(
        [admin.pk, agent.pk])
    assert [p["id"] for p in api("DELETE", path, {"user_ids": [agent.pk]}).json()] == [admin.pk]
    assert_422(api("POST", path, {"user_ids": [agent_outside.pk]}), "user_ids")
    assert_422(api("POST", path, {"user_ids": ["x"]}), "user_ids")
    assert list(ConversationParticipant.objects.values_list("user_id", flat=True)) == [admin.pk]


def test_attachments_list(api, conversation, admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conversations.forms import prepare_attachment

    upload = SimpleUploadedFile("nota.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    actions.send_reply(conversation, actor=admin, content="segue", attachments=[prepare_attachment(upload)])
    body = api("GET", f"conversations/{conversation.display_id}/attachments").json()
    assert body["meta"]["total_count"] == 1
    item = body["payload"][0]
    assert item["file_type"] == "file" and item["extension"] == "pdf" and type(item["file_size"]) is int
    assert item["sender"]["type"] == "user"
    from django.test import Client

    path = item["data_url"].split("://", 1)[1].split("/", 1)[1]
    download = Client().get("/" + path)  # no session, no token: the signed URL is the key
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert Client().get("/" + path.replace("attachments/", "attachments/x")).status_code == 404


# --- Agent-bot tokens -----------------------------------------------------------------------

def test_bot_allowed_endpoints(api, tokens, bot_inbox, contact, conversation):
    as_bot = api.as_(tokens["bot"])
    created = as_bot("POST", "conversations", {"inbox_id": bot_inbox.pk, "contact_id": contact.pk})
    assert created.status_code == 200, created.content
    display_id = created.json()["id"]
    assert created.json()["status"] == "pending"
    base = f"conversations/{display_id}/"
    assert as_bot("POST", base + "messages", {"content": "Olá, sou a Alú"}).json()["sender"]["type"] == "agent_bot"
    assert as_bot("POST", base + "toggle_priority", {"priority": "high"}).status_code == 200
    assert as_bot("POST", base + "custom_attributes", {"custom_attributes": {"bot": True}}).status_code == 200
    assert as_bot("POST", base + "toggle_status", {"status": "open"}).json()["payload"]["current_status"] == "open"
    assert as_bot("POST", base + "assignments", {"team_id": 0}).status_code == 200
    for method, suffix in (("GET", ""), ("GET", "messages"), ("GET", "labels"), ("POST", "update_last_seen")):
        assert as_bot(method, base + suffix).status_code == 401, suffix
    assert as_bot("GET", "conversations").status_code == 401
    # conversations of inboxes the bot is not attached to are invisible to it
    assert as_bot("POST", f"conversations/{conversation.display_id}/toggle_status",
                  {"status": "resolved"}).status_code == 404
    assert as_bot("POST", "conversations", {"inbox_id": conversation.inbox_id,
                                            "contact_id": contact.pk}).status_code == 404
    conversation.refresh_from_db()
    assert conversation.is_open


WRITE_ENDPOINTS = [
    ("POST", "conversations"), ("POST", "conversations/filter"), ("PATCH", "conversations/{id}"),
    ("POST", "conversations/{id}/toggle_status"), ("POST", "conversations/{id}/toggle_priority"),
    ("POST", "conversations/{id}/toggle_typing_status"), ("POST", "conversations/{id}/custom_attributes"),
    ("POST", "conversations/{id}/assignments"), ("POST", "conversations/{id}/labels"),
    ("POST", "conversations/{id}/participants"), ("PATCH", "conversations/{id}/participants"),
    ("POST", "conversations/{id}/messages"), ("PATCH", "conversations/{id}/messages/{mid}"),
    ("POST", "contacts"), ("POST", "contacts/filter"), ("PUT", "contacts/{cid}"), ("PATCH", "contacts/{cid}"),
    ("POST", "contacts/{cid}/contact_inboxes"), ("POST", "contacts/{cid}/labels"), ("POST", "contacts/{cid}/notes"),
    ("POST", "actions/contact_merge"), ("POST", "/api/v1/conversations"),
]


@pytest.mark.parametrize("method,template", WRITE_ENDPOINTS)
def test_malformed_json_is_400_and_writes_nothing(api, conversation, contact, method, template):
    message = conversation.messages.first()
    url = template.format(id=conversation.display_id, mid=message.pk, cid=contact.pk)
    before = (Message.objects.count(), AuditLog.objects.count(), Conversation.objects.count())
    for raw in (b'{"content": "x"', b"[1, 2]", b"\xff\xfe"):
        response = api(method, url, raw=raw)
        assert response.status_code == 400, (url, response.status_code)
        assert isinstance(response.json()["error"], str)
    assert (Message.objects.count(), AuditLog.objects.count(), Conversation.objects.count()) == before


@pytest.mark.parametrize("method,path", [
    ("GET", "conversations"), ("GET", "conversations/meta"), ("GET", "conversations/search?q=carla"),
    ("POST", "conversations/filter"), ("POST", "conversations"), ("GET", "contacts"), ("GET", "contacts/search"),
    ("POST", "contacts/filter"), ("POST", "contacts"), ("POST", "actions/contact_merge"),
])
def test_collections_of_another_account_are_404(api, tokens, conversation, method, path):
    before = (Conversation.objects.count(), AuditLog.objects.count())
    response = api(method, path, {}, token=tokens["outsider"])
    assert response.status_code == 404 and response.json() == {"error": "Resource could not be found"}
    assert (Conversation.objects.count(), AuditLog.objects.count()) == before


def test_messages_list_constant_queries(api, conversation, admin, contact):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api("GET", f"conversations/{conversation.display_id}/messages").status_code == 200
        return len(ctx.captured_queries)

    actions.send_reply(conversation, actor=admin, content="a")
    few = count()
    for i in range(10):
        actions.receive_message(conversation, sender=contact, content=f"c{i}")
        actions.send_reply(conversation, actor=admin, content=f"r{i}", private=bool(i % 2))
    assert count() == few


def test_create_rolls_back_when_the_first_message_is_refused(api, inbox, contact):
    before = (Conversation.objects.count(), ContactInbox.objects.count(), Message.objects.count(),
              AuditLog.objects.count())
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk, "source_id": "fresh",
                                             "message": {"content": "x" * 150_001}}), "content")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk,
                                             "message": {"content": "x", "message_type": "activity"}}),
               "message_type")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk, "message": "oi"}),
               "message")
    assert (Conversation.objects.count(), ContactInbox.objects.count(), Message.objects.count(),
            AuditLog.objects.count()) == before


def test_create_with_a_source_id_of_another_contact_is_422(api, inbox, contact, account):
    other = factories.make_contact(account, name="Outro")
    ContactInbox.objects.create(contact=other, inbox=inbox, source_id="web_widget")
    assert_422(api("POST", "conversations", {"inbox_id": inbox.pk, "contact_id": contact.pk,
                                             "source_id": "web_widget"}), "source_id")
    assert not Conversation.objects.exists()
    # by source_id alone it is that contact's conversation
    data = api("POST", "conversations", {"inbox_id": inbox.pk, "source_id": "web_widget"}).json()
    assert data["meta"]["sender"]["id"] == other.pk


def test_assign_to_agent_bot_shows_in_meta(api, conversation, bot, other_account):
    path = f"conversations/{conversation.display_id}"
    data = api("POST", path + "/assignments", {"assignee_id": bot.pk, "assignee_type": "AgentBot"}).json()
    assert data == {"id": bot.pk, "name": "Alú", "avatar_url": "", "thumbnail": "", "type": "agent_bot"}
    meta = api("GET", path).json()["meta"]
    assert meta["assignee_type"] == "AgentBot" and meta["assignee"]["id"] == bot.pk
    from inboxes.models import AgentBot

    foreign = AgentBot.objects.create(account=other_account, name="Alheio")
    assert_422(api("POST", path + "/assignments", {"assignee_id": foreign.pk, "assignee_type": "AgentBot"}),
               "assignee_id")
    conversation.refresh_from_db()
    assert conversation.assignee_agent_bot_id == bot.pk
