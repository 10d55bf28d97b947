"""The Client API's rules (inboxes/public_api.py, client_actions.py, client_queries.py) through Django's test
client: HMAC identity, what a customer may see, 404 for anything not theirs, submitted values, rate limits."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.test import Client
from django.utils import timezone

from contacts.actions import get_or_create_contact_inbox
from contacts.models import Contact, ContactInbox
from conversations import actions as conversation_actions
from conversations.models import Conversation, Message
from inboxes import client_actions
from inboxes.client_actions import HmacError, verify_identifier_hash
from inboxes.models import AgentBot, AgentBotInbox, ApiChannel
from tests import factories

NOT_FOUND = {"error": "Resource could not be found"}
TOKEN = "segredo-da-loja"


def sign(identifier: str, token: str = TOKEN) -> str:
    return hmac.new(token.encode(), identifier.encode(), hashlib.sha256).hexdigest()


class Public:
    """Calls /public/api/v1/inboxes/<identifier>/<path> as an anonymous customer."""

    def __init__(self, inbox):
        self.client, self.identifier = Client(), inbox.api_channel.identifier

    def __call__(self, method: str, path: str = "", body=None, *, identifier: str | None = None, **extra):
        url = f"/public/api/v1/inboxes/{identifier or self.identifier}" + (f"/{path}" if path else "")
        call = getattr(self.client, method.lower())
        if method.upper() == "GET":
            return call(url, body or {}, **extra)
        return call(url, json.dumps(body) if body is not None else "", content_type="application/json", **extra)


@pytest.fixture
def api_inbox(account, agent):
    inbox = factories.make_inbox(account, name="API", members=[agent])
    ApiChannel.objects.filter(inbox=inbox).update(hmac_token=TOKEN)
    inbox.api_channel.refresh_from_db()
    return inbox


@pytest.fixture
def public(api_inbox):
    return Public(api_inbox)


def start(public, **contact) -> tuple[dict, dict]:
    created = public("POST", "contacts", contact or {"name": "Ana"})
    assert created.status_code == 200, created.content
    source_id = created.json()["source_id"]
    conversation = public("POST", f"contacts/{source_id}/conversations")
    assert conversation.status_code == 200, conversation.content
    return created.json(), conversation.json()


# --- HMAC and identity -----------------------------------------------------------------------

def test_verify_identifier_hash():
    assert verify_identifier_hash(TOKEN, "cliente-1", sign("cliente-1"))
    assert verify_identifier_hash(TOKEN, "cliente-1", sign("cliente-1").upper())
    assert not verify_identifier_hash(TOKEN, "cliente-1", sign("cliente-2"))
    assert not verify_identifier_hash(TOKEN, "cliente-1", None)
    assert not verify_identifier_hash(TOKEN, "cliente-1", "ção")
    assert not verify_identifier_hash("", "cliente-1", sign("cliente-1", ""))


@pytest.mark.django_db
def test_a_valid_hash_links_to_the_existing_contact_and_verifies(public, api_inbox, account):
    existing = factories.make_contact(account, name="Ana Antiga", identifier="cliente-1")
    response = public("POST", "contacts", {"identifier": "cliente-1", "identifier_hash": sign("cliente-1"),
                                           "name": "Outro nome"})
    assert response.status_code == 200
    assert response.json()["id"] == existing.pk and response.json()["name"] == "Ana Antiga"
    assert ContactInbox.objects.get(source_id=response.json()["source_id"]).hmac_verified


@pytest.mark.django_db
def test_a_wrong_hash_changes_nothing(public, api_inbox, account):
    existing = factories.make_contact(account, name="Ana", identifier="cliente-1")
    contact_inbox = get_or_create_contact_inbox(existing, api_inbox, source_id="fonte-1")
    contacts = Contact.objects.count()
    response = public("POST", "contacts", {"identifier": "cliente-1", "identifier_hash": sign("outro")})
    assert response.status_code == 401 and response.json()["error"]
    assert Contact.objects.count() == contacts and ContactInbox.objects.filter(inbox=api_inbox).count() == 1
    patched = public("PATCH", "contacts/fonte-1", {"name": "Mallory", "identifier_hash": "abc"})
    assert patched.status_code == 401
    existing.refresh_from_db()
    contact_inbox.refresh_from_db()
    assert existing.name == "Ana" and not contact_inbox.hmac_verified


@pytest.mark.django_db
def test_hmac_mandatory_refuses_contacts_without_a_hash(public, api_inbox):
    ApiChannel.objects.filter(inbox=api_inbox).update(hmac_mandatory=True)
    assert public("POST", "contacts", {"name": "Ana"}).status_code == 401
    assert public("POST", "contacts", {"name": "Ana", "identifier": "c9"}).status_code == 401
    assert not ContactInbox.objects.filter(inbox=api_inbox).exists()
    ok = public("POST", "contacts", {"name": "Ana", "identifier": "c9", "identifier_hash": sign("c9")})
    assert ok.status_code == 200
    assert public("GET", "").json()["identity_validation_enabled"] is True


@pytest.mark.django_db
def test_a_known_source_id_returns_the_same_identity(public):
    first = public("POST", "contacts", {"source_id": "crm-77", "name": "Ana"}).json()
    again = public("POST", "contacts", {"source_id": "crm-77", "name": "Ana"}).json()
    assert first == again and Contact.objects.filter(name="Ana").count() == 1


@pytest.mark.django_db
def test_identify_starts_a_fresh_identity_for_a_different_person(api_inbox, account):
    contact_inbox = client_actions.create_client_contact(api_inbox, identifier="pessoa-a", name="A")
    switched = client_actions.identify_client_contact(contact_inbox, identifier="pessoa-b", name="B")
    assert switched.pk != contact_inbox.pk and switched.contact_id != contact_inbox.contact_id
    assert (switched.contact.identifier, switched.contact.name) == ("pessoa-b", "B")
    contact_inbox.contact.refresh_from_db()
    assert contact_inbox.contact.identifier == "pessoa-a"


@pytest.mark.django_db
def test_identify_merges_an_anonymous_visitor_into_the_contact_with_that_email(api_inbox, account):
    known = factories.make_contact(account, name="Carla", email="carla@cliente.com")
    visitor = client_actions.create_client_contact(api_inbox)
    anonymous_id = visitor.contact_id
    identified = client_actions.identify_client_contact(visitor, identifier="carla-1", email="carla@cliente.com",
                                                        identifier_hash=sign("carla-1"), hmac_token=TOKEN)
    assert identified.pk == visitor.pk and identified.contact_id == known.pk and identified.hmac_verified
    assert not Contact.objects.filter(pk=anonymous_id).exists()
    known.refresh_from_db()
    assert known.identifier == "carla-1"
    with pytest.raises(HmacError):
        client_actions.identify_client_contact(identified, identifier="carla-1", identifier_hash="00",
                                               hmac_token=TOKEN)


@pytest.mark.django_db
def test_contact_validation_answers_422(public):
    for body, field in (({"email": "não é email"}, "email"), ({"phone_number": "abc"}, "phone_number"),
                        ({"name": {"a": 1}}, "name"), ({"custom_attributes": "x"}, "custom_attributes")):
        response = public("POST", "contacts", body)
        assert response.status_code == 422 and response.json()["attributes"] == [field], body


# --- Conversations and what the customer sees --------------------------------------------------

@pytest.mark.django_db
def test_conversations_start_pending_when_a_bot_answers(public, api_inbox, account):
    bot = AgentBot.objects.create(account=account, name="Alú")
    AgentBotInbox.objects.create(inbox=api_inbox, agent_bot=bot)
    _, conversation = start(public)
    assert conversation["status"] == "pending"


@pytest.mark.django_db
def test_private_notes_and_activity_lines_are_never_shown(public, api_inbox, account, agent):
    contact, data = start(public)
    base = f"contacts/{contact['source_id']}/conversations/{data['id']}"
    public("POST", base + "/messages", {"content": "Oi"})
    conversation = Conversation.objects.get(account=account, display_id=data["id"])
    conversation_actions.send_reply(conversation, actor=agent, content="segredo interno", private=True)
    conversation_actions.send_reply(conversation, actor=agent, content="Olá!")
    conversation_actions.change_status(conversation, actor=agent, status=Conversation.Status.PENDING)
    assert conversation.messages.filter(message_type=Message.MessageType.ACTIVITY).exists()
    for path in (base, base + "/messages", f"contacts/{contact['source_id']}/conversations"):
        text = public("GET", path).content.decode()
        assert "segredo interno" not in text and "Olá!" in text and '"message_type": 2' not in text
    note = conversation.messages.get(private=True)
    response = public("PATCH", f"{base}/messages/{note.pk}", {"submitted_values": [{"value": "x"}]})
    assert response.status_code == 404


@pytest.mark.django_db
def test_anything_not_theirs_answers_404(public, api_inbox, account, other_account):
    contact, data = start(public)
    other_contact, other_data = start(public)
    mine, theirs = contact["source_id"], other_contact["source_id"]
    foreign_inbox = factories.make_inbox(other_account, name="Alheia")
    foreign = Public(foreign_inbox)
    message_id = Conversation.objects.get(account=account, display_id=other_data["id"]).messages.values_list(
        "pk", flat=True).first()
    checks = [
        ("GET", "", None, "nao-existe"), ("POST", "contacts", {"name": "X"}, "nao-existe"),
        ("GET", f"contacts/{mine}", None, foreign.identifier), ("GET", "contacts/nao-existe", None, None),
        ("GET", f"contacts/{mine}/conversations/{other_data['id']}", None, None),
        ("GET", f"contacts/{mine}/conversations/999999", None, None),
        ("POST", f"contacts/{mine}/conversations/{other_data['id']}/messages", {"content": "x"}, None),
        ("GET", f"contacts/{mine}/conversations/{other_data['id']}/messages", None, None),
        ("POST", f"contacts/{mine}/conversations/{other_data['id']}/toggle_status", None, None),
        ("POST", f"contacts/{mine}/conversations/{other_data['id']}/toggle_typing", {"typing_status": "on"}, None),
        ("POST", f"contacts/{mine}/conversations/{other_data['id']}/update_last_seen", None, None),
        ("GET", f"contacts/{theirs}/conversations/{data['id']}", None, None),
        ("POST", f"contacts/{mine}/conversations", None, foreign.identifier),
        ("PATCH", f"contacts/{mine}/conversations/{data['id']}/messages/{message_id or 1}",
         {"submitted_values": {"a": 1}}, None),
    ]
    for method, path, body, identifier in checks:
        response = public(method, path, body, identifier=identifier)
        assert response.status_code == 404, (method, path, response.status_code, response.content[:200])
        assert response.json() == NOT_FOUND
    assert not Message.objects.filter(content="x").exists()


@pytest.mark.django_db
def test_a_verified_identity_sees_the_contacts_other_verified_conversations(public, api_inbox):
    body = {"identifier": "cliente-7", "identifier_hash": sign("cliente-7")}
    first, conversation = start(public, **body)
    second = public("POST", "contacts", body).json()
    assert second["source_id"] != first["source_id"] and second["id"] == first["id"]
    listed = public("GET", f"contacts/{second['source_id']}/conversations").json()
    assert [c["id"] for c in listed] == [conversation["id"]]
    assert public("GET", f"contacts/{second['source_id']}/conversations/{conversation['id']}").status_code == 200
    unverified = public("POST", "contacts", {"identifier": "cliente-7"}).json()  # links, but not verified
    assert unverified["id"] == first["id"]
    assert public("GET", f"contacts/{unverified['source_id']}/conversations").json() == []
    assert public("GET", f"contacts/{unverified['source_id']}/conversations/{conversation['id']}").status_code == 404


@pytest.mark.django_db
def test_resolved_conversations_refuse_messages_when_the_inbox_says_so(public, api_inbox, account):
    contact, data = start(public)
    base = f"contacts/{contact['source_id']}/conversations/{data['id']}"
    assert public("POST", base + "/toggle_status").json()["status"] == "resolved"
    reopened = public("POST", base + "/messages", {"content": "mais uma dúvida"})
    assert reopened.status_code == 200
    assert Conversation.objects.get(account=account, display_id=data["id"]).is_open  # reopened by the customer
    public("POST", base + "/toggle_status")
    api_inbox.allow_messages_after_resolved = False
    api_inbox.save(update_fields=["allow_messages_after_resolved"])
    refused = public("POST", base + "/messages", {"content": "de novo"})
    assert refused.status_code == 422 and refused.json()["attributes"] == ["conversation"]
    assert not Message.objects.filter(content="de novo").exists()


@pytest.mark.django_db
def test_message_input_errors(public):
    contact, data = start(public)
    url = f"contacts/{contact['source_id']}/conversations/{data['id']}/messages"
    assert public("POST", url, {"content": ""}).json()["attributes"] == ["content"]
    assert public("POST", url, {"content": ["x"]}).status_code == 422
    assert public("GET", url, {"before": "abc"}).status_code == 422
    typing = f"contacts/{contact['source_id']}/conversations/{data['id']}/toggle_typing"
    assert public("POST", typing, {"typing_status": "talvez"}).status_code == 422
    assert public("POST", typing, {"typing_status": "off"}).status_code == 200
    assert public("GET", typing).status_code == 405


@pytest.mark.django_db
def test_messages_are_paged_twenty_at_a_time(public, account):
    contact, data = start(public)
    url = f"contacts/{contact['source_id']}/conversations/{data['id']}/messages"
    for n in range(25):
        public("POST", url, {"content": f"m{n}"})
    latest = public("GET", url).json()
    assert [m["content"] for m in latest] == [f"m{n}" for n in range(5, 25)]
    older = public("GET", url, {"before": latest[0]["id"]}).json()
    assert [m["content"] for m in older] == [f"m{n}" for n in range(5)]


# --- Interactive messages ------------------------------------------------------------------------

@pytest.mark.django_db
def test_submitted_values_answer_an_interactive_message(public, account, agent):
    contact, data = start(public)
    conversation = Conversation.objects.get(account=account, display_id=data["id"])
    question = conversation_actions.send_reply(
        conversation, actor=agent, content="Escolha", content_type=Message.ContentType.INPUT_SELECT,
        content_attributes={"items": [{"title": "Sim", "value": "sim"}]})
    url = f"contacts/{contact['source_id']}/conversations/{data['id']}/messages/{question.pk}"
    answered = public("PATCH", url, {"submitted_values": [{"title": "Sim", "value": "sim"}]})
    assert answered.status_code == 200
    assert answered.json()["content_attributes"]["submitted_values"] == [{"title": "Sim", "value": "sim"}]
    assert answered.json()["content_type"] == "input_select"
    assert public("PATCH", url, {"submitted_values": "sim"}).status_code == 422

    survey = conversation_actions.send_reply(conversation, actor=agent, content="Avalie",
                                             content_type=Message.ContentType.INPUT_CSAT)
    Message.objects.filter(pk=survey.pk).update(created_at=timezone.now() - dt.timedelta(days=15))
    late = public("PATCH", url.rsplit("/", 1)[0] + f"/{survey.pk}",
                  {"submitted_values": {"csat_survey_response": {"rating": 5}}})
    assert late.status_code == 422 and "14 dias" in late.json()["message"]
    survey.refresh_from_db()
    assert "submitted_values" not in survey.content_attributes


# --- Rate limits ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_public_api_is_rate_limited_per_ip(public, settings):
    settings.PUBLIC_API_RATE_PER_IP = "3/m"
    responses = [public("GET", "") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert int(responses[-1]["Retry-After"]) > 0


@pytest.mark.django_db
def test_the_message_limit_is_per_conversation(api_inbox):
    contact_inbox = client_actions.create_client_contact(api_inbox, name="Ana")
    busy = client_actions.start_client_conversation(contact_inbox)
    quiet = client_actions.start_client_conversation(contact_inbox)
    now = timezone.now()
    Message.objects.bulk_create([  # 200 customer messages in the last minute of one conversation
        Message(account_id=busy.account_id, inbox_id=busy.inbox_id, conversation=busy, content=f"m{n}",
                message_type=Message.MessageType.INCOMING, created_at=now - dt.timedelta(seconds=30))
        for n in range(client_actions.MESSAGES_PER_MINUTE)])
    with pytest.raises(client_actions.RateLimited) as refused:
        client_actions.send_client_message(busy, content="mais uma")
    assert 25 <= refused.value.retry_after <= 31
    assert client_actions.send_client_message(quiet, content="outra conversa").pk
    Message.objects.filter(conversation=busy).update(created_at=now - dt.timedelta(seconds=61))
    assert client_actions.send_client_message(busy, content="depois de um minuto").pk


# --- Typing ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_typing_reaches_the_agents_watching_the_conversation(public, account, django_capture_on_commit_callbacks):
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from autonomia import realtime

    contact, data = start(public, name="Ana Souza")
    conversation = Conversation.objects.get(account=account, display_id=data["id"])
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.conversation_group(conversation.pk), channel)

    async def next_event():
        return await asyncio.wait_for(layer.receive(channel), 5)

    url = f"contacts/{contact['source_id']}/conversations/{data['id']}/toggle_typing"
    for status in ("on", "off"):
        with django_capture_on_commit_callbacks(execute=True):
            assert public("POST", url, {"typing_status": status}).status_code == 200
        event = async_to_sync(next_event)()
        assert (event["type"], event["name"], event["on"], event["is_private"]) == (
            "conversation.typing", "Ana Souza", status == "on", False)
        assert event["conversation_id"] == conversation.pk
    async_to_sync(layer.group_discard)(realtime.conversation_group(conversation.pk), channel)


@pytest.mark.django_db
def test_hmac_mandatory_asks_for_proof_only_when_an_identifier_is_set(public, api_inbox):
    created = public("POST", "contacts", {"identifier": "c1", "identifier_hash": sign("c1"), "name": "Ana"}).json()
    ApiChannel.objects.filter(inbox=api_inbox).update(hmac_mandatory=True)
    url = f"contacts/{created['source_id']}"
    assert public("PATCH", url, {"name": "Ana Souza"}).json()["name"] == "Ana Souza"
    assert public("PATCH", url, {"identifier": "c2"}).status_code == 401
    assert Contact.objects.get(pk=created["id"]).identifier == "c1"
    assert public("PATCH", url, {"identifier": "c2", "identifier_hash": sign("c2")}).status_code == 200
    assert Contact.objects.get(pk=created["id"]).identifier == "c2"
