"""Cross-tenant isolation generated from the URL conf, security headers, and the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def account_routes():
    """Every browser URL pattern that takes an account_id (the token API has its own tests in tests/api/)."""
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<int:account_id>" in route and not route.startswith("api/"):
                found.append(route)

    walk(get_resolver().url_patterns)
    return found


def fill(route: str, ids: dict) -> str:
    """The route with every <int:name> replaced by the id of a real object of the account."""
    import re

    def value(match):
        name = match.group(1)
        assert name in ids, f"no object id for <{name}> in {route}: add it to account_objects()"
        return str(ids[name])

    path = re.sub(r"<int:(\w+)>", value, route)
    return "/" + re.sub(r"<(?:str|slug|path):\w+>", "x.png", path)


@pytest.fixture
def account_objects(account, admin, agent, inbox, contact, conversation):
    """One real object of the account per URL parameter, so a 404 can only come from the tenant check."""
    from django.core.files.base import ContentFile

    from autonomia.models import AccountUser, Team
    from automations.models import CannedResponse
    from conversations.models import Attachment, Label

    png = ContentFile(b"\x89PNG fake", name="a.png")
    admin.avatar.save("a.png", png)
    inbox.avatar.save("a.png", png)
    message = conversation.messages.first()
    attachment = Attachment.objects.create(message=message, account=account, file=ContentFile(b"x", name="x.png"),
                                           file_name="x.png", content_type="image/png", file_size=1)
    return {
        "account_id": account.pk, "display_id": conversation.display_id, "inbox_id": inbox.pk,
        "contact_id": contact.pk, "attachment_id": attachment.pk, "user_id": admin.pk,
        "label_id": Label.objects.create(account=account, title="vip").pk,
        "canned_id": CannedResponse.objects.create(account=account, short_code="oi", content="Olá!").pk,
        "team_id": Team.objects.create(account=account, name="Suporte").pk,
        "membership_id": AccountUser.objects.get(account=account, user=agent).pk,
        "widget_inbox_id": _website_inbox(account).pk,
        "whatsapp_inbox_id": _whatsapp_inbox(account).pk,
        **_webhook_objects(account),
        **_helpcenter_objects(account, admin),
        "bot_id": _bot_with_avatar(account, png).pk,
    }


def _bot_with_avatar(account, png):
    from inboxes.models import AgentBot

    bot = AgentBot.objects.create(account=account, name="Alú")
    bot.avatar.save("a.png", png)
    return bot


def _website_inbox(account):
    from inboxes.widget_actions import create_web_widget_inbox

    return create_web_widget_inbox(account, actor=None, name="Site")


def _whatsapp_inbox(account):
    from inboxes.providers.whatsapp.actions import create_whatsapp_inbox

    return create_whatsapp_inbox(account, actor=None, name="WhatsApp", provider="whatsapp_cloud",
                                 phone_number=f"+1555000{account.pk:04d}", config={
                                     "phone_number_id": f"pn-{account.pk}", "business_account_id": "waba",
                                     "api_key": "token", "app_secret": "secret"})


def _helpcenter_objects(account, admin) -> dict:
    from helpcenter import actions

    portal = actions.create_portal(account, actor=admin, name="Ajuda", slug=f"ajuda-{account.pk}")
    category = actions.create_category(portal, actor=admin, name="Pedidos")
    article = actions.create_article(portal, actor=admin, title="Devolução", category=category)
    return {"portal_id": portal.pk, "category_id": category.pk, "article_id": article.pk,
            "revision_id": article.revisions.first().pk}


def _webhook_objects(account) -> dict:
    from automations.models import Webhook, WebhookDelivery

    webhook = Webhook.objects.create(account=account, url="https://hooks.example.com/in", name="CRM")
    delivery = WebhookDelivery.objects.create(account=account, webhook=webhook, target_url=webhook.url,
                                              event="message_created", payload={"event": "message_created"},
                                              status=WebhookDelivery.Status.SUCCEEDED)
    return {"webhook_id": webhook.pk, "delivery_id": delivery.pk}


def test_the_app_has_account_routes():
    assert len(account_routes()) > 20


def test_every_route_resolves_for_the_accounts_administrator(admin_client, account_objects):
    """The positive control of the next test: with these ids the account's own administrator is not refused."""
    for route in account_routes():
        url = fill(route, account_objects)
        response = admin_client.get(url)
        assert response.status_code not in (403, 404, 500), f"GET {url} → {response.status_code}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_every_account_url(method, outsider_client, account_objects, conversation):
    """T1: a user of another account gets 404 for every page and action of this account, and nothing changes."""
    from conversations.models import Conversation, Message

    before = (Message.objects.count(), Conversation.objects.get(pk=conversation.pk).status)
    for route in account_routes():
        url = fill(route, account_objects)
        response = getattr(outsider_client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} → {response.status_code}"
    assert (Message.objects.count(), Conversation.objects.get(pk=conversation.pk).status) == before


def test_agent_outside_an_inbox_gets_404_on_its_conversations(agent_client, account, other_inbox):
    """An agent of the account who is not a member of the inbox cannot see or touch its conversations.

    Each conversation route answers 404 to the method it serves (405 for the other is the same for any id).
    """
    from conversations.models import Conversation, Message

    hidden = factories.make_conversation(other_inbox)
    before = (Message.objects.count(), Conversation.objects.get(pk=hidden.pk).status)
    routes = [r for r in account_routes() if "<int:display_id>" in r]
    assert len(routes) > 10
    for route in routes:
        url = fill(route, {"account_id": account.pk, "display_id": hidden.display_id})
        statuses = {agent_client.get(url).status_code, agent_client.post(url).status_code}
        assert 404 in statuses and statuses <= {404, 405}, f"{url} → {statuses}"
    list_html = agent_client.get(f"/app/accounts/{account.pk}/conversations/list/?assignee_type=all").content
    assert f'id="conversation-{hidden.display_id}"'.encode() not in list_html
    assert (Message.objects.count(), Conversation.objects.get(pk=hidden.pk).status) == before


def test_anonymous_is_sent_to_login(client, account_objects):
    for route in account_routes():
        url = fill(route, account_objects)
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_html_responses_carry_a_strict_csp_and_nosniff(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'", "script-src 'self' 'nonce-"):
        assert directive in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_cross_site_post_without_csrf_token_is_refused(admin, conversation):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(f"/app/accounts/{conversation.account_id}/conversations/{conversation.display_id}/status/",
                           {"status": "resolved"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


def test_deploy_check_passes_with_production_settings(tmp_path):
    """T27: `check --deploy` is clean when configured for production by environment."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "autonomia.settings",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "REDIS_URL": "redis://127.0.0.1:6379/0",
           "SECRET_KEY": "x" * 30 + "-a-long-and-random-production-secret-key-value", "DEBUG": "0",
           "ALLOWED_HOSTS": "chat.example.com", "HTTPS": "1", "EMAIL_HOST": "smtp.example.com", "AUTONOMIA_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
