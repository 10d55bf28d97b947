"""`POST /api/v1/widget/events` (webwidget.triggered): bots and subscribed webhooks are told the widget opened;
nobody listening means no anonymous visitor is created."""

import json

import pytest

from automations.models import Webhook, WebhookDelivery
from contacts.models import Contact
from inboxes import widget_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(account, agent):
    return widget_actions.create_web_widget_inbox(account, actor=None, name="Site", member_ids=[agent.pk])


def opened(client, site, body):
    return client.post(f"/api/v1/widget/events?website_token={site.web_widget.website_token}&locale=pt_BR",
                       data=json.dumps(body), content_type="application/json",
                       headers={"Accept-Language": "pt-BR,pt;q=0.9"})


def test_nobody_listening_creates_nothing(client, site):
    response = opened(client, site, {"name": "webwidget.triggered", "event_info": {"referer": "https://loja/"}})
    assert response.status_code == 204 and not response.get("X-Auth-Token")
    assert not Contact.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_subscribed_webhook_gets_webwidget_triggered(client, site, account, django_capture_on_commit_callbacks):
    hook = Webhook.objects.create(account=account, url="https://93.184.215.14/hook",
                                  subscriptions=["webwidget_triggered"])
    Webhook.objects.create(account=account, url="https://93.184.215.14/other", subscriptions=["message_created"])
    with django_capture_on_commit_callbacks(execute=False):
        response = opened(client, site, {"name": "webwidget.triggered",
                                         "event_info": {"referer": "https://loja.com.br/", "initiated_at": {
                                             "timestamp": "Mon Mar 02 2026 10:00:00 GMT-0300"}}})
    assert response.status_code == 204 and response["X-Auth-Token"]  # the new visitor's identity
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.webhook_id, delivery.event) == (hook.pk, "webwidget_triggered")
    info = delivery.payload["event_info"]
    assert info == {"referer": "https://loja.com.br/", "initiated_at": {"timestamp": "Mon Mar 02 2026 10:00:00 "
                                                                                     "GMT-0300"},
                    "widget_language": "pt_BR", "browser_language": "pt-BR"}
    assert delivery.payload["contact"]["id"] == Contact.objects.get().pk
    assert delivery.payload["current_conversation"] is None


def test_other_event_names_are_ignored(client, site, account):
    Webhook.objects.create(account=account, url="https://93.184.215.14/hook", subscriptions=["webwidget_triggered"])
    for body in ({"name": "campaign.triggered", "event_info": {"campaign_id": 1}}, {"name": ""}, {}):
        assert opened(client, site, body).status_code == 204
    assert not WebhookDelivery.objects.exists() and not Contact.objects.exists()
