"""Webhook settings pages: administrators manage webhooks and read the delivery log; others are refused."""

import pytest

from tests.automations.test_webhooks import allow_private, make_webhook, receiver  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def base(account) -> str:
    return f"/app/accounts/{account.pk}/settings/webhooks/"


def test_list_shows_webhooks_and_the_subnav_link(admin_client, account):
    make_webhook(account, "https://crm.example.com/hook", name="CRM sync")
    html = admin_client.get(base(account)).content.decode()
    assert "CRM sync" in html and "https://crm.example.com/hook" in html
    assert f'href="{base(account)}"' in html


def test_empty_list_invites_to_create(admin_client, account):
    response = admin_client.get(base(account))
    assert response.status_code == 200 and f"{base(account)}new/" in response.content.decode()


def test_create_edit_and_show_the_secret(allow_private, admin_client, account, inbox):
    from automations.models import Webhook

    response = admin_client.get(base(account) + "new/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="message_created" id="id_subscriptions_5" checked' in html  # the 8 Chatwoot defaults
    assert 'value="conversation_typing_on" id="id_subscriptions_10">' in html
    response = admin_client.post(base(account) + "new/", {
        "url": "http://127.0.0.1:9/hook", "name": "n8n", "inbox": inbox.pk,
        "subscriptions": ["message_created", "conversation_status_changed"]})
    webhook = Webhook.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{base(account)}{webhook.pk}/"
    assert (webhook.name, webhook.inbox, webhook.subscriptions, webhook.enabled) == (
        "n8n", inbox, ["conversation_status_changed", "message_created"], True)
    assert len(webhook.secret) >= 32
    html = admin_client.get(f"{base(account)}{webhook.pk}/").content.decode()
    assert webhook.secret in html and 'name="enabled"' in html

    response = admin_client.post(f"{base(account)}{webhook.pk}/", {
        "url": "http://127.0.0.1:9/other", "name": "n8n", "subscriptions": ["contact_created"]})
    webhook.refresh_from_db()
    assert response.status_code == 302
    assert (webhook.url, webhook.inbox, webhook.subscriptions, webhook.enabled) == (
        "http://127.0.0.1:9/other", None, ["contact_created"], False)


def test_re_enabling_clears_the_failure(allow_private, admin_client, account):
    from django.utils import timezone

    webhook = make_webhook(account, "http://127.0.0.1:9/hook", enabled=False, disabled_reason="falhou",
                           failing_since=timezone.now())
    html = admin_client.get(f"{base(account)}{webhook.pk}/").content.decode()
    assert "falhou" in html
    admin_client.post(f"{base(account)}{webhook.pk}/", {"url": webhook.url, "subscriptions": ["message_created"],
                                                       "enabled": "on"})
    webhook.refresh_from_db()
    assert webhook.enabled and webhook.disabled_reason == "" and webhook.failing_since is None


def test_form_errors_keep_the_input(allow_private, admin_client, account):
    from automations.models import Webhook

    make_webhook(account, "http://127.0.0.1:9/taken")
    response = admin_client.post(base(account) + "new/", {"url": "http://127.0.0.1:9/taken", "name": "Meu nome"})
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="http://127.0.0.1:9/taken"' in html and 'value="Meu nome"' in html
    assert "Escolha pelo menos um evento." in html
    response = admin_client.post(base(account) + "new/", {"url": "http://127.0.0.1:9/taken", "name": "Meu nome",
                                                          "subscriptions": ["message_created"]})
    assert response.status_code == 422 and "Outro webhook já usa esta URL." in response.content.decode()
    assert Webhook.objects.count() == 1


def test_another_accounts_inbox_cannot_be_chosen(allow_private, admin_client, account, other_account):
    from tests import factories

    foreign = factories.make_inbox(other_account, name="Alheia")
    response = admin_client.post(base(account) + "new/", {"url": "http://127.0.0.1:9/x", "inbox": foreign.pk,
                                                          "subscriptions": ["message_created"]})
    assert response.status_code == 422


def test_regenerate_secret_and_delete(admin_client, account):
    from automations.models import Webhook

    webhook = make_webhook(account, "https://crm.example.com/hook")
    old = webhook.secret
    assert admin_client.get(f"{base(account)}{webhook.pk}/secret/").status_code == 405
    admin_client.post(f"{base(account)}{webhook.pk}/secret/")
    webhook.refresh_from_db()
    assert webhook.secret != old
    assert admin_client.get(f"{base(account)}{webhook.pk}/delete/").status_code == 200
    response = admin_client.post(f"{base(account)}{webhook.pk}/delete/")
    assert response.status_code == 302 and not Webhook.objects.exists()


def _all_urls(account, webhook, delivery) -> list[str]:
    w = f"{base(account)}{webhook.pk}/"
    return [base(account), base(account) + "new/", w, w + "delete/", w + "secret/", w + "deliveries/",
            f"{w}deliveries/{delivery.pk}/", f"{w}deliveries/{delivery.pk}/resend/"]


@pytest.fixture
def logged(account):
    from automations.models import WebhookDelivery

    webhook = make_webhook(account, "https://crm.example.com/hook")
    delivery = WebhookDelivery.objects.create(account=account, webhook=webhook, target_url=webhook.url,
                                              event="message_created", payload={"event": "message_created", "id": 7},
                                              status="succeeded", attempts=1, last_status_code=200,
                                              last_latency_ms=12)
    return webhook, delivery


def test_another_accounts_admin_gets_404(outsider_client, account, logged):
    from automations.models import Webhook, WebhookDelivery

    for url in _all_urls(account, *logged):
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, {"url": "https://evil.example/x"}).status_code == 404, url
    assert Webhook.objects.count() == 1 and WebhookDelivery.objects.count() == 1


def test_an_outsider_cannot_reach_this_accounts_webhook_through_their_own_account(outsider_client, other_account,
                                                                                  account, logged):
    webhook, delivery = logged
    w = f"{base(other_account)}{webhook.pk}/"
    for url in (w, w + "deliveries/", f"{w}deliveries/{delivery.pk}/", w + "delete/"):
        assert outsider_client.get(url).status_code == 404, url


def test_agents_get_403(agent_client, account, logged):
    for url in _all_urls(account, *logged):
        assert agent_client.get(url).status_code == 403, url
        assert agent_client.post(url).status_code == 403, url


def test_delivery_log_and_payload_viewer(admin_client, account, logged):
    webhook, delivery = logged
    html = admin_client.get(f"{base(account)}{webhook.pk}/deliveries/").content.decode()
    assert "message_created" in html and "200" in html and "12 ms" in html
    assert admin_client.get(f"{base(account)}{webhook.pk}/deliveries/?status=gave_up").status_code == 200
    html = admin_client.get(f"{base(account)}{webhook.pk}/deliveries/{delivery.pk}/").content.decode()
    assert str(delivery.delivery_id) in html and "&quot;id&quot;: 7" in html


def test_send_again_redelivers_with_a_new_delivery_id(allow_private, receiver, admin_client, account,  # noqa: F811
                                                      django_capture_on_commit_callbacks):
    from automations.models import WebhookDelivery

    webhook = make_webhook(account, receiver.url)
    delivery = WebhookDelivery.objects.create(account=account, webhook=webhook, target_url=webhook.url,
                                              event="contact_created", payload={"event": "contact_created", "id": 3},
                                              status="gave_up", attempts=9, last_status_code=500)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{base(account)}{webhook.pk}/deliveries/{delivery.pk}/resend/")
    copy = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert response.status_code == 302 and response["Location"].endswith(f"/deliveries/{copy.pk}/")
    assert copy.status == "succeeded" and copy.delivery_id != delivery.delivery_id
    [request] = receiver.requests
    assert request["json"] == {"event": "contact_created", "id": 3}
    assert request["headers"]["x-chatwoot-delivery"] == str(copy.delivery_id)
