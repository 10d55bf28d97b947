"""Issue 3, API channel: an agent's reply on an API inbox is POSTed to the inbox's webhook_url with Chatwoot's
message_created payload; a failing receiver gets retries with backoff, and a message whose delivery finally
fails is marked failed with the error, which the agent sees (also live, without a reload).

Every receiver is a real HTTP server on 127.0.0.1 (see test_webhooks.py), so the SSRF guard is lifted.
"""

import datetime as dt
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.automations.test_webhooks import (allow_private, make_due, receiver, run_task,  # noqa: F401 (fixtures)
                                             verify)

pytestmark = pytest.mark.django_db

MESSAGE_KEYS = {"event", "id", "content", "content_type", "content_attributes", "additional_attributes",
                "message_type", "private", "source_id", "created_at", "account", "inbox", "sender", "conversation"}


@pytest.fixture
def api_inbox(account, agent, receiver):
    from tests import factories

    inbox = factories.make_inbox(account, name="Integração", members=[agent])
    inbox.api_channel.webhook_url = receiver.url
    inbox.api_channel.save()
    return inbox


def integration_conversation(inbox):
    """A conversation as an integration opens it: the contact's identity in the inbox has a source_id."""
    from tests import factories

    from contacts.models import ContactInbox

    contact = factories.make_contact(inbox.account, name="Carla Cliente")
    contact_inbox = ContactInbox.objects.create(contact=contact, inbox=inbox, source_id="crm-4711")
    return factories.make_conversation(inbox, contact=contact, contact_inbox=contact_inbox)


def reply_url(conversation) -> str:
    return reverse("conversations:messages", kwargs={"account_id": conversation.account_id,
                                                     "display_id": conversation.display_id})


def detail_url(conversation) -> str:
    return reverse("conversations:detail", kwargs={"account_id": conversation.account_id,
                                                   "display_id": conversation.display_id})


def reply_delivery(message):
    from automations.models import WebhookDelivery

    return WebhookDelivery.objects.get(kind="api_inbox", event="message_created", message_id=message.pk)


def test_the_agents_reply_reaches_the_webhook_url_with_chatwoots_payload(
        allow_private, receiver, api_inbox, agent, agent_client, django_capture_on_commit_callbacks):
    from tests import factories

    from conversations.models import Message

    conversation = integration_conversation(api_inbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reply_url(conversation), {"content": "Seu pedido saiu para entrega."})
    assert response.status_code == 302
    reply = Message.objects.get(conversation=conversation, content="Seu pedido saiu para entrega.")
    [request] = receiver.requests_for("message_created")
    event = request["json"]
    assert set(event) == MESSAGE_KEYS
    assert (event["event"], event["id"], event["message_type"], event["private"]) == (
        "message_created", reply.pk, "outgoing", False)
    assert event["content"] == "Seu pedido saiu para entrega." and event["content_type"] == "text"
    assert event["sender"] == {"id": agent.pk, "name": agent.name, "email": agent.email, "type": "user"}
    assert event["inbox"] == {"id": api_inbox.pk, "name": "Integração"}
    assert event["account"] == {"id": api_inbox.account_id, "name": api_inbox.account.name}
    conv = event["conversation"]
    assert conv["id"] == conversation.display_id and conv["channel"] == "Channel::Api"
    assert conv["contact_inbox"]["source_id"] == "crm-4711"
    assert conv["messages"][0]["conversation"]["contact_inbox"] == {"source_id": "crm-4711"}
    assert conv["meta"]["sender"]["id"] == conversation.contact_id
    assert conv["messages"][0]["id"] == reply.pk and conv["messages"][0]["message_type"] == 1
    # Signed with the inbox's API secret, in Chatwoot's and Standard Webhooks' forms.
    assert verify(api_inbox.api_channel.secret, request)
    headers = request["headers"]
    assert uuid.UUID(headers["x-chatwoot-delivery"]) == reply_delivery(reply).delivery_id
    assert headers["webhook-id"] == headers["x-chatwoot-delivery"] and headers["webhook-signature"].startswith("v1,")
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT and reply_delivery(reply).status == "succeeded"


def test_a_failing_receiver_gets_retries_with_backoff_then_the_message_is_marked_failed(
        allow_private, receiver, api_inbox, agent, agent_client, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tests import factories

    from automations.tasks import BACKOFF
    from conversations.models import Message

    conversation = factories.make_conversation(api_inbox)
    receiver.default_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reply_url(conversation), {"content": "Não vai chegar"})
    reply = Message.objects.get(conversation=conversation, content="Não vai chegar")
    delivery = reply_delivery(reply)

    # Each failed attempt schedules the next one further away: BACKOFF[n-1] seconds with jitter (× 0.5–1).
    for attempt, base in enumerate(BACKOFF[:4], start=1):
        if attempt > 1:
            make_due(delivery)
            with django_capture_on_commit_callbacks(execute=True):
                assert run_task(delivery.pk) == "failed"
        delivery.refresh_from_db()
        wait = (delivery.next_attempt_at - delivery.updated_at).total_seconds()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", attempt, 500)
        assert base * 0.5 - 1 <= wait <= base + 1, (attempt, wait)
        assert run_task(delivery.pk) == "skipped"  # not due yet: nothing is sent early
        reply.refresh_from_db()
        assert reply.status == Message.Status.SENT  # still being retried: not failed yet
    attempts = receiver.requests_for("message_created")
    assert len(attempts) == 4
    assert {r["headers"]["x-chatwoot-delivery"] for r in attempts} == {str(delivery.delivery_id)}
    assert all(verify(api_inbox.api_channel.secret, r) for r in attempts)  # each attempt signed again

    # The retry window (WEBHOOK_RETRY_HOURS) is over: the last attempt gives up and the message fails.
    make_due(delivery, created_at=timezone.now() - dt.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task(delivery.pk) == "gave_up"
    delivery.refresh_from_db()
    reply.refresh_from_db()
    assert delivery.status == "gave_up" and delivery.attempts == 5 and delivery.next_attempt_at is None
    assert reply.status == Message.Status.FAILED
    error = reply.content_attributes["external_error"]
    assert "HTTP 500" in error
    # The integration is told too: message_updated, with the failed status in messages[0].
    updated = receiver.events("message_updated")[-1]
    assert updated["id"] == reply.pk and updated["content_attributes"]["external_error"] == error
    assert updated["conversation"]["messages"][0]["status"] == "failed"

    # The agent's conversation view shows the failed badge and the error.
    html = agent_client.get(detail_url(conversation)).content.decode()
    start = html.index(f'id="message-{reply.pk}"')
    following = html.find("data-message-id=", html.index("data-message-id=", start) + 1)
    block = html[html.rindex("<div", 0, start):following if following > 0 else None]
    assert "msg-failed" in block and "ticks-failed" in block
    assert escape(error) in block


def test_a_retry_that_succeeds_leaves_the_message_sent(allow_private, receiver, api_inbox, agent, agent_client,
                                                       django_capture_on_commit_callbacks):
    from tests import factories

    from conversations.models import Message

    conversation = factories.make_conversation(api_inbox)
    receiver.default_status = 503
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reply_url(conversation), {"content": "Segunda tentativa"})
    receiver.default_status = 200
    reply = Message.objects.get(conversation=conversation, content="Segunda tentativa")
    delivery = reply_delivery(reply)
    make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task(delivery.pk) == "succeeded"
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT and "external_error" not in reply.content_attributes
    assert [r["headers"]["x-chatwoot-delivery"] for r in receiver.requests_for("message_created")] == [
        str(delivery.delivery_id)] * 2


def test_a_private_note_that_cannot_be_delivered_is_not_marked_failed(
        allow_private, receiver, api_inbox, agent, agent_client, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tests import factories

    from conversations.models import Message

    conversation = factories.make_conversation(api_inbox)
    receiver.default_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reply_url(conversation), {"content": "nota interna", "private": "on"})
    note = Message.objects.get(conversation=conversation, content="nota interna")
    assert note.private and receiver.events("message_created")[-1]["private"] is True
    delivery = reply_delivery(note)
    make_due(delivery, created_at=timezone.now() - dt.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task(delivery.pk) == "gave_up"
    note.refresh_from_db()
    assert note.status != Message.Status.FAILED  # notes never leave Autonomia: nothing failed for the customer


@pytest.fixture
def slow_receiver():
    """Answers 200, but only after 3 s."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            requests.append(self.path)
            time.sleep(3)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", requests
    server.shutdown()
    server.server_close()


def test_timeouts_and_refused_connections_are_retried(allow_private, slow_receiver, api_inbox, agent,
                                                      django_capture_on_commit_callbacks):
    from tests import factories
    from tests.conftest import free_port

    from conversations import actions

    allow_private.WEBHOOK_TIMEOUT = 1
    conversation = factories.make_conversation(api_inbox)
    url, seen = slow_receiver
    api_inbox.api_channel.webhook_url = url
    api_inbox.api_channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        slow = actions.send_reply(conversation, actor=agent, content="devagar")
    delivery = reply_delivery(slow)
    assert "/hook" in seen
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at is not None) == ("failed", None, True)
    assert "1 s" in delivery.last_error

    api_inbox.api_channel.webhook_url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    api_inbox.api_channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        refused = actions.send_reply(conversation, actor=agent, content="ninguém ouvindo")
    delivery = reply_delivery(refused)
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at is not None) == ("failed", None, True)
    assert "refused" in delivery.last_error.lower()


# --- The agent sees it live ------------------------------------------------------------------------------

@pytest.fixture
def live_server_private_urls(transactional_db):
    """The ASGI server (with Celery eager, as in tests), allowed to deliver to the local receiver."""
    from tests.conftest import start_asgi_server, stop_server

    server = start_asgi_server({"WEBHOOK_ALLOW_PRIVATE_URLS": "1"})
    yield server
    stop_server(server)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_agent_sees_the_reply_fail_live(browser, live_server_private_urls, session_cookie_for, allow_private,
                                            receiver, api_inbox, agent):
    from django.utils import timezone

    from tests import factories

    from conversations.models import Message

    server = live_server_private_urls
    conversation = factories.make_conversation(api_inbox)
    receiver.default_status = 500
    problems = []
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{**session_cookie_for(agent), "url": server.url}])
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(server.url + detail_url(conversation))
    page.wait_for_selector("#conversation")
    page.wait_for_function("() => window.Autonomia && window.Autonomia.live.watched !== null")

    # The agent replies in the browser; the server POSTs it to the inbox's webhook_url (which answers 500).
    page.fill("#reply-content", "Pedido confirmado!")
    page.press("#reply-content", "Control+Enter")
    page.wait_for_selector(".msg-out >> text=Pedido confirmado!", timeout=5000)
    deadline = time.monotonic() + 10
    while not receiver.requests_for("message_created") and time.monotonic() < deadline:
        time.sleep(0.1)
    reply = Message.objects.get(conversation=conversation, content="Pedido confirmado!")
    [event] = [e for e in receiver.events("message_created") if e["id"] == reply.pk]
    assert event["message_type"] == "outgoing" and event["sender"]["id"] == agent.pk
    delivery = reply_delivery(reply)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert page.locator(f"#message-{reply.pk}.msg-failed").count() == 0

    # A day of failures later the last attempt gives up: the message turns failed on the open page.
    make_due(delivery, created_at=timezone.now() - dt.timedelta(hours=25))
    assert run_task(delivery.pk) == "gave_up"
    page.wait_for_selector(f"#message-{reply.pk}.msg-failed", timeout=5000)
    error = Message.objects.get(pk=reply.pk).content_attributes["external_error"]
    assert error in page.inner_text(f"#message-{reply.pk} .msg-error")
    context.close()
    assert not problems, problems
