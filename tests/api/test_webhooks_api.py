"""Account webhooks through the Chatwoot-compatible API (chatwoot-compat.md §5.2 `/webhooks`, §9)."""

import pytest

from automations.models import DEFAULT_WEBHOOK_SUBSCRIPTIONS, Webhook
from tests.api.conftest import assert_422

# An IP literal: getaddrinfo answers without DNS, and the address is public (passes the SSRF guard).
PUBLIC = "http://93.184.215.14"


@pytest.fixture(autouse=True)
def guard_on(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


def test_create_list_update_delete(api, account, inbox):
    response = api("POST", "webhooks", {"url": f"{PUBLIC}/hook", "name": "n8n",
                                        "subscriptions": ["message_created", "conversation_created"],
                                        "inbox_id": inbox.pk})
    assert response.status_code == 200, response.content
    created = response.json()["payload"]["webhook"]
    webhook = Webhook.objects.get(account=account)
    assert created == {"id": webhook.pk, "url": f"{PUBLIC}/hook", "name": "n8n",
                       "subscriptions": ["conversation_created", "message_created"], "account_id": account.pk,
                       "inbox": {"id": inbox.pk, "name": inbox.name}}

    listed = api("GET", "webhooks").json()
    assert listed == {"payload": {"webhooks": [created]}}

    # Rails-style wrapped body; omitted fields keep their values; inbox_id null clears the inbox
    response = api("PATCH", f"webhooks/{webhook.pk}", {"webhook": {"name": "Zapier", "inbox_id": None}})
    assert response.status_code == 200, response.content
    updated = response.json()["payload"]["webhook"]
    assert (updated["name"], updated["url"], updated["inbox"]) == ("Zapier", f"{PUBLIC}/hook", None)
    assert updated["subscriptions"] == created["subscriptions"]

    response = api("PATCH", f"webhooks/{webhook.pk}", {"url": f"{PUBLIC}/other",
                                                        "subscriptions": ["contact_created"]})
    assert response.json()["payload"]["webhook"]["subscriptions"] == ["contact_created"]
    webhook.refresh_from_db()
    assert (webhook.url, webhook.subscriptions) == (f"{PUBLIC}/other", ["contact_created"])
    assert api("GET", f"webhooks/{webhook.pk}").json()["payload"]["webhook"]["url"] == f"{PUBLIC}/other"

    assert api("DELETE", f"webhooks/{webhook.pk}").status_code == 200
    assert not Webhook.objects.filter(pk=webhook.pk).exists()
    assert api("GET", "webhooks").json() == {"payload": {"webhooks": []}}
    assert api("DELETE", f"webhooks/{webhook.pk}").status_code == 404


def test_defaults_and_account_wide(api, account):
    response = api("POST", "webhooks", {"url": f"{PUBLIC}/all"})
    assert response.status_code == 200, response.content
    body = response.json()["payload"]["webhook"]
    assert body["inbox"] is None and body["name"] is None
    assert body["subscriptions"] == list(DEFAULT_WEBHOOK_SUBSCRIPTIONS)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://10.0.0.5/hook", "http://169.254.169.254/",
                                 "http://[::1]/x", "file:///etc/passwd", "ftp://93.184.215.14/x"])
def test_ssrf_refused_url_is_422(api, account, url):
    assert_422(api("POST", "webhooks", {"url": url, "subscriptions": ["message_created"]}), "url")
    assert not Webhook.objects.filter(account=account).exists()


def test_ssrf_refused_on_update_too(api, account):
    webhook = api("POST", "webhooks", {"url": f"{PUBLIC}/ok"}).json()["payload"]["webhook"]
    assert_422(api("PATCH", f"webhooks/{webhook['id']}", {"url": "http://127.0.0.1/admin"}), "url")
    assert Webhook.objects.get(pk=webhook["id"]).url == f"{PUBLIC}/ok"


def test_private_urls_allowed_when_configured(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert api("POST", "webhooks", {"url": "http://127.0.0.1:9/hook"}).status_code == 200


def test_validation_errors(api, account, other_account):
    from tests import factories

    assert_422(api("POST", "webhooks", {"name": "no url"}), "url")
    assert_422(api("POST", "webhooks", {"url": f"{PUBLIC}/x", "subscriptions": ["nope"]}), "subscriptions")
    assert_422(api("POST", "webhooks", {"url": f"{PUBLIC}/x", "subscriptions": []}), "subscriptions")
    assert_422(api("POST", "webhooks", {"url": f"{PUBLIC}/x", "subscriptions": "message_created,x"}),
               "subscriptions")
    foreign_inbox = factories.make_inbox(other_account, name="Alheia")
    assert_422(api("POST", "webhooks", {"url": f"{PUBLIC}/x", "inbox_id": foreign_inbox.pk}), "inbox_id")
    assert_422(api("POST", "webhooks", {"url": f"{PUBLIC}/x", "inbox_id": "abc"}), "inbox_id")
    assert api("POST", "webhooks", {"url": f"{PUBLIC}/x"}).status_code == 200
    assert_422(api("POST", "webhooks", {"url": f"{PUBLIC}/x"}), "url")  # unique per account
    assert Webhook.objects.filter(account=account).count() == 1


def test_administrators_only(api, tokens, account):
    webhook = api("POST", "webhooks", {"url": f"{PUBLIC}/x"}).json()["payload"]["webhook"]
    for persona in ("agent", "bot"):
        for method, path, body in (("GET", "webhooks", None), ("POST", "webhooks", {"url": f"{PUBLIC}/y"}),
                                   ("GET", f"webhooks/{webhook['id']}", None),
                                   ("PATCH", f"webhooks/{webhook['id']}", {"name": "x"}),
                                   ("DELETE", f"webhooks/{webhook['id']}", None)):
            response = api(method, path, body, token=tokens[persona])
            assert response.status_code == 401, (persona, method, path, response.status_code)
    assert api("GET", "webhooks", token="").status_code == 401
    assert Webhook.objects.filter(account=account).count() == 1 and Webhook.objects.get().name == ""


def test_another_accounts_webhook_is_404(api, tokens, account, other_account, outsider):
    from automations import webhooks

    theirs = webhooks.create_webhook(other_account, actor=outsider, url=f"{PUBLIC}/theirs",
                                     subscriptions=["message_created"])
    for method, body in (("GET", None), ("PATCH", {"name": "mine now"}), ("DELETE", None)):
        response = api(method, f"webhooks/{theirs.pk}", body)
        assert response.status_code == 404 and response.json() == {"error": "Resource could not be found"}
    # the outsider cannot reach our account's list either
    mine = api("POST", "webhooks", {"url": f"{PUBLIC}/mine"}).json()["payload"]["webhook"]
    assert api("GET", "webhooks", token=tokens["outsider"]).status_code == 404
    assert api("GET", f"webhooks/{mine['id']}", token=tokens["outsider"], account_id=other_account.pk
               ).status_code == 404
    assert api("GET", "webhooks", token=tokens["outsider"], account_id=other_account.pk).json() == {
        "payload": {"webhooks": [{"id": theirs.pk, "url": f"{PUBLIC}/theirs", "name": None,
                                  "subscriptions": ["message_created"], "account_id": other_account.pk,
                                  "inbox": None}]}}
    theirs.refresh_from_db()
    assert theirs.name == ""


def test_created_webhook_receives_subscribed_events(api, account, inbox, contact):
    """The API-made webhook is a real target: emit() queues deliveries for subscribed events only."""
    from automations.models import WebhookDelivery
    from tests import factories

    hook_id = api("POST", "webhooks", {"url": f"{PUBLIC}/events", "subscriptions": ["message_created"]}
                  ).json()["payload"]["webhook"]["id"]
    factories.make_conversation(inbox, contact=contact, messages=2)
    events = list(WebhookDelivery.objects.filter(webhook_id=hook_id).values_list("event", flat=True))
    assert events == ["message_created", "message_created"]
