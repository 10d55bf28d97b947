"""Outgoing webhooks end to end, against a real HTTP receiver (http.server on 127.0.0.1, random port)."""

import datetime as dt
import hashlib
import hmac
import json
import time
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answered in order, then `default_status`
        self.default_status = 200
        self.url = ""

    def events(self, name: str | None = None) -> list[dict]:
        return [r["json"] for r in self.requests if name is None or r["json"].get("event") == name]

    def requests_for(self, name: str) -> list[dict]:
        return [r for r in self.requests if r["json"].get("event") == name]


@pytest.fixture
def receiver():
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": body, "json": json.loads(body or b"{}")})
            status = rec.statuses.pop(0) if rec.statuses else rec.default_status
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_private(settings):
    """The receiver listens on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


# --- Helpers ----------------------------------------------------------------------------------

def make_webhook(account, url, **fields):
    from automations.models import Webhook

    return Webhook.objects.create(account=account, url=url, **fields)


def run_task(delivery_id):
    from automations.tasks import deliver_webhook

    return deliver_webhook.apply(args=[delivery_id]).get()


def make_due(delivery, **fields):
    """Pretend the retry time has come (and optionally that the first attempt was long ago)."""
    from django.utils import timezone

    from automations.models import WebhookDelivery

    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now(), **fields)


def verify(secret: str, request: dict) -> bool:
    """The reference verifier of docs/webhooks.md."""
    ts = request["headers"]["x-chatwoot-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["x-chatwoot-signature"])


# --- Payload shapes ---------------------------------------------------------------------------

def test_message_created_for_an_agent_reply(allow_private, receiver, account, admin, conversation,
                                            django_capture_on_commit_callbacks):
    from conversations import actions

    hook = make_webhook(account, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.send_reply(conversation, actor=admin, content="Olá, Carla!", source_id="WAID:ABC123")
    [event] = receiver.events("message_created")
    assert event["id"] == message.pk and event["message_type"] == "outgoing" and event["content"] == "Olá, Carla!"
    assert event["account"] == {"id": account.pk, "name": account.name}
    assert event["inbox"] == {"id": conversation.inbox_id, "name": conversation.inbox.name}
    assert event["sender"] == {"id": admin.pk, "name": admin.name, "email": admin.email, "type": "user"}
    assert event["source_id"] == "WAID:ABC123" and event["private"] is False
    assert event["created_at"].endswith("Z") and event["content_type"] == "text"
    # Evolution's loop guard: messages[0] is this very message, with its source_id and an integer type.
    first = event["conversation"]["messages"][0]
    assert first["id"] == message.pk and first["source_id"] == "WAID:ABC123" and first["message_type"] == 1
    assert first["conversation"]["contact_inbox"] == {"source_id": conversation.contact_inbox.source_id
                                                      if conversation.contact_inbox else None}
    conv = event["conversation"]
    assert conv["id"] == conversation.display_id and conv["inbox_id"] == conversation.inbox_id
    assert conv["channel"] == "Channel::Api" and conv["status"] == "open"
    assert conv["meta"]["sender"]["id"] == conversation.contact_id and conv["meta"]["sender"]["type"] == "contact"
    for absent in ("account_id", "uuid", "assignee_last_seen_at", "muted", "last_non_activity_message",
                   "sla_policy_id"):
        assert absent not in conv
    assert verify(hook.secret, receiver.requests_for("message_created")[0])


def test_incoming_message_carries_the_contact_and_its_source_id(allow_private, receiver, account, inbox, contact,
                                                                 conversation, django_capture_on_commit_callbacks):
    from conversations import actions

    make_webhook(account, receiver.url, subscriptions=["message_created"])
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.receive_message(conversation, sender=contact, content="Oi", source_id="WAID:IN1")
    [event] = receiver.events("message_created")
    assert event["message_type"] == "incoming" and event["sender"]["type"] == "contact"
    assert event["sender"]["email"] == "carla@cliente.com" and event["sender"]["account"]["id"] == account.pk
    first = event["conversation"]["messages"][0]
    assert (first["id"], first["source_id"], first["message_type"]) == (message.pk, "WAID:IN1", 0)


def test_private_notes_are_sent_but_activity_messages_are_not(allow_private, receiver, account, admin,
                                                             conversation, django_capture_on_commit_callbacks):
    from conversations import actions
    from conversations.models import Conversation

    make_webhook(account, receiver.url, subscriptions=["message_created"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="nota interna", private=True)
        actions.change_status(conversation, actor=admin, status=Conversation.Status.RESOLVED)  # adds an activity
    events = receiver.events("message_created")
    assert [e["private"] for e in events] == [True]
    assert events[0]["conversation"]["messages"][0]["private"] is True


def test_status_change_sends_changed_attributes(allow_private, receiver, account, admin, conversation,
                                                django_capture_on_commit_callbacks):
    from conversations import actions
    from conversations.models import Conversation

    make_webhook(account, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(conversation, actor=admin, status=Conversation.Status.RESOLVED)
    [event] = receiver.events("conversation_status_changed")
    assert event["status"] == "resolved" and event["id"] == conversation.display_id
    assert {"status": {"previous_value": "open", "current_value": "resolved"}} in event["changed_attributes"]
    [updated] = receiver.events("conversation_updated")
    assert {"status": {"previous_value": "open", "current_value": "resolved"}} in updated["changed_attributes"]
    assert not receiver.events("conversation_resolved")  # bot-only event


def test_assignment_labels_priority_and_attributes_send_conversation_updated(
        allow_private, receiver, account, admin, agent, conversation, django_capture_on_commit_callbacks):
    from conversations import actions

    make_webhook(account, receiver.url, subscriptions=["conversation_updated"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign_agent(conversation, actor=admin, assignee=agent)
        actions.set_labels(conversation, actor=admin, titles=["vip"])
        actions.change_priority(conversation, actor=admin, priority=2)
        actions.update_custom_attributes(conversation, actor=admin, custom_attributes={"plan": "gold"})
    changed = [e["changed_attributes"] for e in receiver.events("conversation_updated")]
    assert {"assignee_id": {"previous_value": None, "current_value": agent.pk}} in changed[0]
    assert changed[1] == [{"label_list": {"previous_value": [], "current_value": ["vip"]}}]
    assert changed[2] == [{"priority": {"previous_value": None, "current_value": "high"}}]
    assert changed[3] == [{"custom_attributes": {"previous_value": {}, "current_value": {"plan": "gold"}}}]
    assert receiver.events("conversation_updated")[1]["labels"] == ["vip"]


def test_conversation_created_contact_events_and_typing(allow_private, receiver, account, admin, inbox,
                                                        django_capture_on_commit_callbacks):
    from contacts import actions as contact_actions
    from conversations import actions

    make_webhook(account, receiver.url, subscriptions=[
        "conversation_created", "contact_created", "contact_updated", "conversation_typing_on"])
    with django_capture_on_commit_callbacks(execute=True):
        contact = contact_actions.create_contact(account, actor=admin, name="Davi", email="davi@x.com")
        contact_actions.update_contact(contact, actor=admin, name="Davi Souza")
        conversation = actions.create_conversation(inbox, contact=contact)
        actions.toggle_typing(conversation, user=admin, on=True)
        actions.toggle_typing(conversation, user=admin, on=False)  # not subscribed
    created = receiver.events("contact_created")[0]
    assert set(created) == {"event", "account", "additional_attributes", "avatar", "custom_attributes", "email",
                            "id", "identifier", "name", "phone_number", "thumbnail", "blocked"}
    updated = receiver.events("contact_updated")[0]
    assert updated["changed_attributes"] == [{"name": {"previous_value": "Davi", "current_value": "Davi Souza"}}]
    conv = receiver.events("conversation_created")[0]
    assert conv["id"] == conversation.display_id and conv["messages"] == []
    typing = receiver.events("conversation_typing_on")
    assert len(typing) == 1 and typing[0]["user"]["id"] == admin.pk and typing[0]["is_private"] is False
    assert typing[0]["conversation"]["id"] == conversation.display_id
    assert not receiver.events("conversation_typing_off")


def test_message_updated_on_delete_keeps_the_deleted_flag(allow_private, receiver, account, admin, conversation,
                                                          django_capture_on_commit_callbacks):
    from conversations import actions

    make_webhook(account, receiver.url, subscriptions=["message_updated"])
    message = conversation.messages.filter(message_type=0).first()
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_message(message, actor=admin)
    [event] = receiver.events("message_updated")
    assert event["id"] == message.pk and event["content_attributes"]["deleted"] is True


# --- Filters -----------------------------------------------------------------------------------

def test_subscriptions_filter_events(allow_private, receiver, account, admin, conversation,
                                     django_capture_on_commit_callbacks):
    from conversations import actions
    from conversations.models import Conversation

    make_webhook(account, receiver.url, subscriptions=["conversation_status_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="oi")
        actions.change_status(conversation, actor=admin, status=Conversation.Status.RESOLVED)
    assert [e["event"] for e in receiver.events()] == ["conversation_status_changed"]


def test_inbox_filter(allow_private, receiver, account, admin, inbox, other_inbox, conversation,
                      django_capture_on_commit_callbacks):
    from tests import factories

    from conversations import actions

    make_webhook(account, receiver.url, inbox=other_inbox, subscriptions=["message_created"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="caixa Suporte")
        other = factories.make_conversation(other_inbox, messages=0)
        actions.send_reply(other, actor=admin, content="caixa Financeiro")
    assert [e["content"] for e in receiver.events("message_created")] == ["caixa Financeiro"]


def test_disabled_webhooks_and_other_accounts_get_nothing(allow_private, receiver, account, other_account, admin,
                                                          conversation, django_capture_on_commit_callbacks):
    from conversations import actions

    make_webhook(account, receiver.url, enabled=False)
    make_webhook(other_account, receiver.url + "?other")
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="oi")
    assert receiver.requests == []


# --- Signing, retries, giving up ------------------------------------------------------------------

def test_retries_keep_the_delivery_id_and_stop_after_success(allow_private, receiver, account, admin, conversation,
                                                             django_capture_on_commit_callbacks):
    from automations.models import WebhookDelivery
    from conversations import actions

    hook = make_webhook(account, receiver.url, subscriptions=["message_created"])
    receiver.statuses = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="oi")
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert delivery.next_attempt_at is not None
    hook.refresh_from_db()
    assert hook.failing_since is not None and hook.enabled

    assert run_task(delivery.pk) == "skipped"  # not due yet: nothing is sent early
    assert len(receiver.requests) == 1
    for expected in ("failed", "succeeded"):
        make_due(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            assert run_task(delivery.pk) == expected
    assert run_task(delivery.pk) == "skipped"  # idempotent: a succeeded delivery is never re-sent
    assert len(receiver.requests) == 3
    ids = {r["headers"]["x-chatwoot-delivery"] for r in receiver.requests}
    assert ids == {str(delivery.delivery_id)}
    assert all(verify(hook.secret, r) for r in receiver.requests)
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert delivery.last_latency_ms is not None and hook.failing_since is None


def test_signature_changes_with_the_body_and_the_secret(allow_private, receiver, account, admin, conversation,
                                                        django_capture_on_commit_callbacks):
    from conversations import actions

    hook = make_webhook(account, receiver.url, subscriptions=["message_created"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="oi")
    request = receiver.requests[0]
    assert request["headers"]["content-type"] == "application/json"
    assert abs(int(request["headers"]["x-chatwoot-timestamp"]) - time.time()) < 60
    assert verify(hook.secret, request)
    assert not verify("another-secret", request)
    assert not verify(hook.secret, {**request, "body": request["body"] + b" "})


def test_gives_up_after_the_window_disables_the_webhook_and_emails_admins(
        allow_private, receiver, account, admin, agent, conversation, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.utils import timezone

    from automations.models import Webhook, WebhookDelivery
    from conversations import actions

    hook = make_webhook(account, receiver.url, subscriptions=["message_created"], name="CRM")
    receiver.default_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="oi")
    delivery = WebhookDelivery.objects.get(webhook=hook)
    long_ago = timezone.now() - dt.timedelta(hours=25)
    make_due(delivery, created_at=long_ago)
    Webhook.objects.filter(pk=hook.pk).update(failing_since=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task(delivery.pk) == "gave_up"
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert delivery.status == "gave_up" and delivery.attempts == 2 and delivery.last_status_code == 500
    assert not hook.enabled and "24" in hook.disabled_reason
    [email] = mail.outbox
    assert email.to == [admin.email] and hook.url in email.body
    # Disabled: new events are not even queued, and the give-up is final.
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="de novo")
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1
    make_due(delivery)
    assert run_task(delivery.pk) == "skipped" and len(receiver.requests) == 2


def test_a_4xx_answer_is_not_retried_and_redirects_are_not_followed(
        allow_private, receiver, account, admin, conversation, django_capture_on_commit_callbacks):
    from automations.models import WebhookDelivery
    from conversations import actions

    hook = make_webhook(account, receiver.url, subscriptions=["message_created"])
    receiver.statuses = [302, 404]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="um")
        actions.send_reply(conversation, actor=admin, content="dois")
    first, second = WebhookDelivery.objects.filter(webhook=hook).order_by("id")
    assert (first.status, first.last_status_code) == ("failed", 302)  # retried later, never followed
    assert (second.status, second.last_status_code) == ("gave_up", 404)
    assert [r["path"] for r in receiver.requests] == ["/hook", "/hook"]


def test_retry_after_is_honoured(allow_private, receiver, account, admin, conversation,
                                 django_capture_on_commit_callbacks):
    from django.utils import timezone

    from automations.models import WebhookDelivery
    from conversations import actions

    hook = make_webhook(account, receiver.url, subscriptions=["message_created"])
    receiver.statuses = [429]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="um")
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == "failed" and delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=3)


def test_the_sweeper_sends_deliveries_whose_wakeup_was_lost(allow_private, receiver, account,
                                                            django_capture_on_commit_callbacks):
    from django.utils import timezone

    from automations.models import WebhookDelivery
    from automations.tasks import retry_webhook_deliveries_task

    hook = make_webhook(account, receiver.url)
    delivery = WebhookDelivery.objects.create(account=account, webhook=hook, target_url=hook.url,
                                              event="contact_created", payload={"event": "contact_created"},
                                              created_at=timezone.now() - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_webhook_deliveries_task.apply().get() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and receiver.events() == [{"event": "contact_created"}]


# --- API inbox and agent bot ------------------------------------------------------------------------

@pytest.fixture
def api_inbox(account, agent, receiver):
    from tests import factories

    inbox = factories.make_inbox(account, name="Integração", members=[agent])
    inbox.api_channel.webhook_url = receiver.url
    inbox.api_channel.save()
    return inbox


def test_api_inbox_webhook_url_gets_the_agents_reply(allow_private, receiver, api_inbox, agent,
                                                     django_capture_on_commit_callbacks):
    from tests import factories

    from conversations import actions

    with django_capture_on_commit_callbacks(execute=True):
        conversation = factories.make_conversation(api_inbox)
        reply = actions.send_reply(conversation, actor=agent, content="Resposta do agente")
    events = [e["event"] for e in receiver.events()]
    assert "conversation_created" in events and events.count("message_created") == 2
    event = receiver.events("message_created")[-1]
    assert event["id"] == reply.pk and event["message_type"] == "outgoing"
    assert event["conversation"]["messages"][0]["id"] == reply.pk
    assert verify(api_inbox.api_channel.secret, receiver.requests_for("message_created")[-1])


def test_api_inbox_final_failure_marks_the_message_failed(allow_private, receiver, api_inbox, agent,
                                                          django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tests import factories

    from automations.models import WebhookDelivery
    from conversations import actions
    from conversations.models import Message

    conversation = factories.make_conversation(api_inbox)
    receiver.default_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.send_reply(conversation, actor=agent, content="Não vai chegar")
    delivery = WebhookDelivery.objects.get(kind="api_inbox", message_id=reply.pk, event="message_created")
    assert delivery.status == "failed"
    make_due(delivery, created_at=timezone.now() - dt.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task(delivery.pk) == "gave_up"
    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert "500" in reply.content_attributes["external_error"]
    # The failure is itself a message_updated event for the integration.
    assert WebhookDelivery.objects.filter(kind="api_inbox", message_id=reply.pk, event="message_updated").exists()


def test_agent_bot_gets_messages_and_resolutions_and_a_dead_bot_hands_off(
        allow_private, receiver, account, admin, django_capture_on_commit_callbacks):
    from tests import factories

    from automations.models import WebhookDelivery
    from conversations import actions
    from conversations.models import Conversation
    from inboxes.models import AgentBot, AgentBotInbox

    inbox = factories.make_inbox(account, name="Bot")
    bot = AgentBot.objects.create(account=account, name="Alú", outgoing_url=receiver.url)
    AgentBotInbox.objects.create(inbox=inbox, agent_bot=bot)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = factories.make_conversation(inbox)
    assert conversation.status == Conversation.Status.PENDING
    [event] = receiver.events("message_created")
    assert event["message_type"] == "incoming" and event["conversation"]["status"] == "pending"
    assert not receiver.events("conversation_created")  # bots have no subscriptions beyond §10

    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(conversation, actor=admin, status=Conversation.Status.RESOLVED)
    assert [e["event"] for e in receiver.events()][-1] == "conversation_resolved"

    # A bot that cannot be reached: three quick attempts, then the pending conversation opens for humans.
    receiver.default_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(conversation, actor=admin, status=Conversation.Status.PENDING)
        contact = conversation.contact
        actions.receive_message(conversation, sender=contact, content="alô?")
    delivery = WebhookDelivery.objects.filter(kind="agent_bot", event="message_created").latest("id")
    for _ in range(2):
        make_due(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            status = run_task(delivery.pk)
    assert status == "gave_up"
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


# --- SSRF -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "http://10.0.0.5/hook", "http://169.254.169.254/latest",
                                 "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://0177.0.0.1/",
                                 "http://localhost:8000/", "http://224.0.0.1/"])
def test_private_urls_are_refused_on_save(admin_client, account, url):
    from automations.models import Webhook

    response = admin_client.post(f"/app/accounts/{account.pk}/settings/webhooks/new/",
                                 {"url": url, "name": "interno", "subscriptions": ["message_created"]})
    assert response.status_code == 422
    html = response.content.decode()
    assert "rede privada ou local" in html or url == "http://0177.0.0.1/"  # that one fails URL syntax first
    assert f'value="{url}"' in html  # the input is kept
    assert not Webhook.objects.exists()


def test_private_urls_are_refused_at_delivery_without_a_request(receiver, account, admin, conversation,
                                                                django_capture_on_commit_callbacks):
    from automations.models import WebhookDelivery
    from conversations import actions

    hook = make_webhook(account, receiver.url, subscriptions=["message_created"])  # saved before the guard
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=admin, content="oi")
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == "gave_up" and "rede privada" in delivery.last_error
    assert receiver.requests == []


def test_the_connection_check_catches_names_that_resolve_late(receiver, monkeypatch):
    """DNS rebinding: the name passed check_url, but the socket connected to 127.0.0.1."""
    from automations import tasks, webhooks
    from automations.models import WebhookDelivery

    monkeypatch.setattr(tasks, "check_url", lambda url: None)
    delivery = WebhookDelivery(target_url=receiver.url, event="x", payload={})
    code, error, _, _ = tasks._post(delivery, receiver.url, "s")
    assert code is None and isinstance(error, webhooks.UnsafeURL)
    assert receiver.requests == []


def test_public_addresses_are_allowed():
    from automations.webhooks import is_public_address

    assert is_public_address("8.8.8.8") and is_public_address("2606:4700:4700::1111")
    for private in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1",
                    "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1", "239.1.1.1"):
        assert not is_public_address(private), private


# --- Cost of a delivery and robustness of emit ------------------------------------------------------------

def test_an_attempt_costs_two_statements_and_a_failure_streak_one_more(allow_private, receiver, account,
                                                                       django_assert_num_queries):
    """The fan-out benchmark's budget: the claim returns the row and its target, the result is one UPDATE, and
    the webhook's health is written only when a failure streak starts or ends."""
    from automations.models import WebhookDelivery
    from automations.tasks import attempt_delivery

    hook = make_webhook(account, receiver.url)

    def new_delivery():
        return WebhookDelivery.objects.create(account=account, webhook=hook, target_url=hook.url,
                                              event="contact_created", payload={"event": "contact_created"}).pk

    for status, expected, statements in [(200, "succeeded", 2), (500, "failed", 3), (500, "failed", 2),
                                         (200, "succeeded", 3)]:
        # 3: the failure streak starts (failing_since set), then ends (cleared); otherwise nothing to write.
        receiver.default_status, delivery_id = status, new_delivery()
        with django_assert_num_queries(statements):
            assert attempt_delivery(delivery_id)[0] == expected
    hook.refresh_from_db()
    assert hook.failing_since is None and len(receiver.requests) == 4



def test_emit_without_targets_costs_two_queries_and_a_savepoint(conversation, django_assert_max_num_queries):
    from automations import webhooks

    message = conversation.messages.first()
    with django_assert_max_num_queries(4):  # SAVEPOINT, subject + inbox targets, account webhooks, RELEASE
        webhooks.emit("message_created", message_id=message.pk)


def test_a_failing_payload_builder_never_breaks_the_action(allow_private, receiver, account, admin, conversation,
                                                           monkeypatch, django_capture_on_commit_callbacks):
    from automations import webhooks
    from conversations import actions
    from conversations.models import Message

    make_webhook(account, receiver.url)

    def boom(*args, **kwargs):
        raise RuntimeError("bug in a payload builder")

    monkeypatch.setattr(webhooks, "build_payload", boom)
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.send_reply(conversation, actor=admin, content="ainda assim")
    assert Message.objects.filter(pk=message.pk).exists() and receiver.requests == []


def test_webwidget_triggered_payload(allow_private, receiver, account, conversation,
                                     django_capture_on_commit_callbacks):
    from automations import webhooks
    from contacts.models import ContactInbox

    contact_inbox = ContactInbox.objects.create(contact=conversation.contact, inbox=conversation.inbox,
                                                source_id="visitor-1")
    make_webhook(account, receiver.url, subscriptions=["webwidget_triggered"])
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit("webwidget_triggered", contact_inbox_id=contact_inbox.pk,
                      event_info={"widget_language": "pt-BR", "referer": "https://loja.example/"})
    [event] = receiver.events("webwidget_triggered")
    assert event["id"] == contact_inbox.pk and event["source_id"] == "visitor-1"
    assert event["contact"]["id"] == conversation.contact_id and event["inbox"]["id"] == conversation.inbox_id
    assert event["account"] == {"id": account.pk, "name": account.name}
    assert event["event_info"]["referer"] == "https://loja.example/"
