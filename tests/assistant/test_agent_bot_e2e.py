"""The Chatwoot agent-bot contract end to end (chatwoot-compat.md §10): an external bot, like one built in n8n or
Typebot, is a real HTTP server on 127.0.0.1 that the platform POSTs events to; it answers through the
Application API of a live uvicorn server with its own access token, and hands off with toggle_status open.

Everything crosses real sockets: the customer uses the widget API, the administrator the Application API, the
bot both directions. The bot answers from a worker thread after acknowledging the event (as n8n's "respond
immediately" does), so a slow bot never holds the platform's delivery.
"""

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from autonomia.queries import api_token_for
from conversations.models import Conversation, Message
from inboxes import widget_actions
from inboxes.models import AgentBot, AgentBotInbox
from tests import factories
from tests.conftest import start_asgi_server, stop_server

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]
NOT_FOUND = {"error": "Resource could not be found"}


class ExternalBot:
    """A webhook bot: records every event, answers customers' messages, hands off on "atendente"."""

    def __init__(self):
        self.events: list[dict] = []
        self.errors: list[str] = []
        self.jobs: queue.Queue = queue.Queue()
        self.api = ""  # https://host/api/v1/accounts/<id>
        self.token = ""
        self.url = ""

    def of(self, name: str) -> list[dict]:
        return [e for e in self.events if e.get("event") == name]

    def call(self, method: str, path: str, body: dict) -> requests.Response:
        return requests.request(method, f"{self.api}/{path}", json=body, timeout=20,
                                headers={"api_access_token": self.token})

    def handle(self, event: dict) -> None:
        """The bot's logic, as a Typebot flow would have it (act only on the customer's public messages)."""
        if event.get("event") != "message_created" or event.get("message_type") != "incoming":
            return
        if event.get("private") or (event.get("sender") or {}).get("type") != "contact":
            return
        conversation = event["conversation"]["id"]
        text = (event.get("content") or "").lower()
        if "atendente" in text:
            self.call("POST", f"conversations/{conversation}/messages",
                      {"content": "Certo! Vou chamar uma pessoa da equipe."})
            answer = self.call("POST", f"conversations/{conversation}/toggle_status", {"status": "open"})
        elif "menu" in text:
            answer = self.call("POST", f"conversations/{conversation}/messages", {
                "content": "Escolha uma opção", "content_type": "input_select",
                "content_attributes": {"items": [{"title": "Comprar", "value": "compras"},
                                                 {"title": "Suporte", "value": "suporte"}]}})
        else:
            answer = self.call("POST", f"conversations/{conversation}/messages",
                               {"content": f"Olá! Sou o robô da loja. Você disse: {event['content']}"})
        if answer.status_code != 200:
            self.errors.append(f"{answer.status_code} {answer.text[:200]}")

    def work(self) -> None:
        while True:
            event = self.jobs.get()
            if event is None:
                return
            try:
                self.handle(event)
            except Exception as error:  # surfaced by the test through `errors`
                self.errors.append(repr(error))


@pytest.fixture
def external_bot():
    bot = ExternalBot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            bot.events.append(body)
            bot.jobs.put(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=bot.work, daemon=True)]
    for thread in threads:
        thread.start()
    bot.url = f"http://127.0.0.1:{server.server_address[1]}/chatwoot"
    yield bot
    bot.jobs.put(None)
    server.shutdown()
    server.server_close()


@pytest.fixture
def server():
    """uvicorn on the test database; the bot listens on 127.0.0.1, which the SSRF guard allows only here."""
    live = start_asgi_server({"WEBHOOK_ALLOW_PRIVATE_URLS": "1"})
    yield live
    stop_server(live)


def wait_for(check, timeout: float = 15.0):
    """Poll until `check()` returns something truthy (the bot answers asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")


class Visitor:
    """The website widget's calls, keeping the visitor's identity token like the frame does."""

    def __init__(self, base: str, website_token: str):
        self.base, self.website_token, self.token = base, website_token, ""

    def __call__(self, method: str, path: str, body=None) -> requests.Response:
        headers = {"X-Auth-Token": self.token} if self.token else {}
        response = requests.request(method, f"{self.base}/api/v1/widget/{path}", json=body, timeout=20,
                                    params={"website_token": self.website_token, "locale": "pt_BR"},
                                    headers={**headers, "Accept-Language": "pt-BR,pt;q=0.9"})
        self.token = response.headers.get("X-Auth-Token") or self.token
        return response


def test_an_external_bot_answers_through_the_api_and_hands_off(server, external_bot, account, admin, agent,
                                                                other_account, outsider, session_cookie_for):
    inbox = widget_actions.create_web_widget_inbox(account, actor=None, name="Site", website_url="https://loja.com.br",
                                                   member_ids=[agent.pk])
    other_inbox = factories.make_inbox(account, name="E-mail", members=[agent])
    admin_api = requests.Session()
    admin_api.headers["api_access_token"] = api_token_for("User", admin.pk)
    base = f"{server.url}/api/v1/accounts/{account.pk}"

    # The administrator registers the bot and attaches it to the website inbox.
    created = admin_api.post(f"{base}/agent_bots", json={"name": "Robô n8n", "outgoing_url": external_bot.url,
                                                         "description": "Fluxo de vendas"}, timeout=20)
    assert created.status_code == 200, created.text
    bot_json = created.json()
    assert {"id", "name", "description", "outgoing_url", "bot_type", "access_token"} <= set(bot_json)
    assert bot_json["outgoing_url"] == external_bot.url and bot_json["bot_type"] == "webhook"
    external_bot.api, external_bot.token = base, bot_json["access_token"]
    attached = admin_api.post(f"{base}/inboxes/{inbox.pk}/set_agent_bot", json={"agent_bot": bot_json["id"]},
                              timeout=20)
    assert attached.status_code == 200, attached.text
    shown = admin_api.get(f"{base}/inboxes/{inbox.pk}/agent_bot", timeout=20).json()
    assert shown["agent_bot"]["id"] == bot_json["id"]

    # The visitor opens the widget: the bot is told (webwidget_triggered), before anyone writes.
    visitor = Visitor(server.url, inbox.web_widget.website_token)
    assert visitor("POST", "config").status_code == 200
    opened = visitor("POST", "events", {"name": "webwidget.triggered", "event_info": {
        "referer": "https://loja.com.br/precos", "initiated_at": {"timestamp": "Mon Mar 02 2026 10:00:00 GMT-0300"}}})
    assert opened.status_code == 204, opened.text
    [triggered] = wait_for(lambda: external_bot.of("webwidget_triggered"))
    assert {"id", "contact", "inbox", "account", "current_conversation", "source_id", "event_info"} <= set(triggered)
    assert triggered["inbox"]["id"] == inbox.pk and triggered["account"]["id"] == account.pk
    assert triggered["current_conversation"] is None
    assert triggered["event_info"]["widget_language"] == "pt_BR"
    assert triggered["event_info"]["browser_language"] == "pt-BR"
    assert triggered["event_info"]["referer"] == "https://loja.com.br/precos"
    assert triggered["event_info"]["initiated_at"] == {"timestamp": "Mon Mar 02 2026 10:00:00 GMT-0300"}

    # The customer writes: the conversation is pending (the bot's), the bot gets message_created and replies.
    sent = visitor("POST", "messages", {"message": {"content": "Olá, qual o preço do plano?"}})
    assert sent.status_code == 200, sent.text
    conversation = Conversation.objects.get(inbox=inbox)
    assert conversation.status == Conversation.Status.PENDING
    assert triggered["contact"]["id"] == conversation.contact_id  # the visitor the widget opened for
    assert triggered["source_id"] == conversation.contact_inbox.source_id
    incoming = wait_for(lambda: [e for e in external_bot.of("message_created") if e["message_type"] == "incoming"])[0]
    assert incoming["content"] == "Olá, qual o preço do plano?" and incoming["private"] is False
    assert incoming["sender"]["type"] == "contact" and incoming["sender"]["id"] == conversation.contact_id
    assert incoming["conversation"]["id"] == conversation.display_id
    assert incoming["conversation"]["status"] == "pending"
    assert incoming["conversation"]["messages"][0]["message_type"] == 0  # the same message, as an integer
    assert incoming["inbox"] == {"id": inbox.pk, "name": "Site"}
    assert incoming["account"] == {"id": account.pk, "name": account.name}
    reply = wait_for(lambda: Message.objects.filter(conversation=conversation, sender_type="AgentBot").first())
    assert reply.content == "Olá! Sou o robô da loja. Você disse: Olá, qual o preço do plano?"
    assert reply.sender_id == bot_json["id"] and reply.message_type == Message.MessageType.OUTGOING
    # The bot hears its own message too (it must check sender.type, as the contract says).
    own = wait_for(lambda: [e for e in external_bot.of("message_created") if e["message_type"] == "outgoing"])[0]
    assert own["sender"] == {"id": bot_json["id"], "name": "Robô n8n", "type": "agent_bot",
                             **{k: own["sender"][k] for k in own["sender"] if k not in ("id", "name", "type")}}

    # Agents see the reply as sent by the bot (API and the conversation page); the visitor too.
    listed = admin_api.get(f"{base}/conversations/{conversation.display_id}/messages", timeout=20).json()["payload"]
    [as_agent] = [m for m in listed if m["id"] == reply.pk]
    assert as_agent["sender"]["type"] == "agent_bot" and as_agent["sender"]["name"] == "Robô n8n"
    assert as_agent["sender_type"] == "AgentBot"
    page = requests.get(f"{server.url}/app/accounts/{account.pk}/conversations/{conversation.display_id}/",
                        cookies={(cookie := session_cookie_for(admin))["name"]: cookie["value"]}, timeout=20)
    assert page.status_code == 200
    html = page.text
    bubble = html[html.rindex('<div class="msg', 0, html.index(f'id="message-{reply.pk}"')):]
    bubble = bubble[:bubble.index("</time>")]
    assert "Robô n8n" in bubble and "msg-bot" in bubble and 'class="badge badge-violet badge-bot">Bot<' in bubble
    widget_messages = visitor("GET", "messages").json()
    assert [m["sender"]["type"] for m in widget_messages if m["id"] == reply.pk] == ["agent_bot"]

    # An interactive menu from the bot; the visitor's choice comes back as message_updated.
    visitor("POST", "messages", {"message": {"content": "quero ver o menu"}})
    menu = wait_for(lambda: Message.objects.filter(conversation=conversation, sender_type="AgentBot",
                                                   content_type=Message.ContentType.INPUT_SELECT).first())
    chosen = visitor("PATCH", f"messages/{menu.pk}",
                     {"message": {"submitted_values": [{"title": "Comprar", "value": "compras"}]}})
    assert chosen.status_code == 200, chosen.text
    [updated] = wait_for(lambda: external_bot.of("message_updated"))
    assert updated["id"] == menu.pk and updated["content_type"] == "input_select"
    assert updated["message_type"] == "outgoing"
    assert updated["content_attributes"]["submitted_values"] == [{"title": "Comprar", "value": "compras"}]
    assert updated["sender"]["type"] == "agent_bot" and updated["conversation"]["id"] == conversation.display_id

    # "atendente": the bot says goodbye and hands off; the conversation opens and auto-assignment picks Bruno.
    visitor("POST", "messages", {"message": {"content": "Quero falar com um atendente"}})
    [opened_event] = wait_for(lambda: external_bot.of("conversation_opened"))
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    wait_for(lambda: Conversation.objects.filter(pk=conversation.pk, assignee_id=agent.pk).exists())
    assert opened_event["id"] == conversation.display_id and opened_event["status"] == "open"
    assert opened_event["inbox_id"] == inbox.pk and "meta" in opened_event and "contact_inbox" in opened_event
    assert "changed_attributes" not in opened_event  # Chatwoot's AgentBotListener sends webhook_data + event
    goodbye = conversation.messages.filter(sender_type="AgentBot").order_by("-id").first()
    assert goodbye.content == "Certo! Vou chamar uma pessoa da equipe."

    # A person resolves it: the bot is told.
    resolved = admin_api.post(f"{base}/conversations/{conversation.display_id}/toggle_status",
                              json={"status": "resolved"}, timeout=20)
    assert resolved.status_code == 200
    [resolved_event] = wait_for(lambda: external_bot.of("conversation_resolved"))
    assert resolved_event["id"] == conversation.display_id and resolved_event["status"] == "resolved"
    assert external_bot.errors == []

    # The bot's token reaches only its account and the conversations of inboxes it works.
    bot_api = requests.Session()
    bot_api.headers["api_access_token"] = external_bot.token
    elsewhere = factories.make_conversation(other_inbox)
    foreign = factories.make_conversation(factories.make_inbox(other_account, name="Deles"))
    for url in (f"{base}/conversations/{elsewhere.display_id}/messages",
                f"{server.url}/api/v1/accounts/{other_account.pk}/conversations/{foreign.display_id}/messages"):
        refused = bot_api.post(url, json={"content": "oi"}, timeout=20)
        assert (refused.status_code, refused.json()) == (404, NOT_FOUND), url
    refused = bot_api.post(f"{base}/conversations/{elsewhere.display_id}/toggle_status", json={"status": "open"},
                           timeout=20)
    assert refused.status_code == 404
    # Endpoints outside the bot's list (Chatwoot's agent_bot_accessible?) answer 401.
    assert bot_api.get(f"{base}/agent_bots", timeout=20).status_code == 401
    assert bot_api.post(f"{base}/inboxes/{inbox.pk}/set_agent_bot", json={"agent_bot": None},
                        timeout=20).status_code == 401
    assert not Message.objects.filter(conversation__in=[elsewhere, foreign], sender_type="AgentBot").exists()
    assert AgentBotInbox.objects.get(inbox=inbox).agent_bot_id == bot_json["id"]
    assert AgentBot.objects.get(pk=bot_json["id"]).account_id == account.pk

