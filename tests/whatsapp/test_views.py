"""WhatsApp pages: creating inboxes, the settings page (webhook URL, test connection, templates, QR pairing),
and the reply-box strip (24-hour window, template picker)."""

import datetime as dt

import pytest
from django.utils import timezone

from conversations.models import Message
from inboxes.models import Inbox
from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.models import MessageTemplate, WhatsappChannel
from tests.whatsapp.conftest import APP_SECRET, PHONE, PHONE_NUMBER_ID, VERIFY_TOKEN
from tests.whatsapp.standins import EVOLUTION_KEY, TOKEN

pytestmark = pytest.mark.django_db


def settings_url(inbox) -> str:
    return f"/app/accounts/{inbox.account_id}/settings/inboxes/{inbox.pk}/whatsapp/"


def test_channel_chooser_leads_to_whatsapp(admin_client, account):
    page = admin_client.get(f"/app/accounts/{account.pk}/settings/inboxes/new/")
    assert b"?channel=whatsapp" in page.content
    response = admin_client.get(f"/app/accounts/{account.pk}/settings/inboxes/new/?channel=whatsapp")
    assert response.status_code == 302 and response["Location"].endswith("/settings/inboxes/new/whatsapp/")
    choose = admin_client.get(response["Location"])
    assert b"provider=whatsapp_cloud" in choose.content and b"provider=evolution" in choose.content


def test_create_cloud_inbox_and_see_the_webhook(admin_client, account, agent, cloud_standin):
    url = f"/app/accounts/{account.pk}/settings/inboxes/new/whatsapp/"
    missing = admin_client.post(url, {"provider": "whatsapp_cloud", "name": "Vendas"})
    assert missing.status_code == 422 and not Inbox.objects.exists()
    response = admin_client.post(url, {
        "provider": "whatsapp_cloud", "name": "Vendas", "phone_number": "+55 11 3333-4444",
        "phone_number_id": "987", "business_account_id": "WABA9", "api_key": TOKEN, "app_secret": "s3",
        "member_ids": [agent.pk]})
    assert response.status_code == 302
    inbox = Inbox.objects.get(name="Vendas")
    channel = inbox.whatsapp_channel
    assert (inbox.channel_type, channel.phone_number, channel.phone_number_id) == (
        Inbox.ChannelType.WHATSAPP, "+551133334444", "987")
    assert len(channel.config("webhook_verify_token")) == 32
    page = admin_client.get(response["Location"])
    assert b"/webhooks/whatsapp/551133334444" in page.content
    assert channel.config("webhook_verify_token").encode() in page.content
    assert TOKEN.encode() not in page.content and b"s3\"" not in page.content  # secrets are never echoed


def test_duplicate_phone_number_id_is_refused(admin_client, cloud_inbox, account):
    response = admin_client.post(f"/app/accounts/{account.pk}/settings/inboxes/new/whatsapp/", {
        "provider": "whatsapp_cloud", "name": "Outra", "phone_number": "+5511900000000",
        "phone_number_id": PHONE_NUMBER_ID, "business_account_id": "W", "api_key": "t", "app_secret": "s"})
    assert response.status_code == 422 and WhatsappChannel.objects.count() == 1


def test_settings_update_keeps_blank_secrets(admin_client, cloud_channel):
    response = admin_client.post(settings_url(cloud_channel.inbox), {
        "phone_number": PHONE, "phone_number_id": PHONE_NUMBER_ID, "business_account_id": "WABA2",
        "api_key": "", "app_secret": "", "webhook_verify_token": VERIFY_TOKEN})
    assert response.status_code == 302
    cloud_channel.refresh_from_db()
    assert cloud_channel.config("business_account_id") == "WABA2"
    assert (cloud_channel.config("api_key"), cloud_channel.config("app_secret")) == (TOKEN, APP_SECRET)


def test_test_connection_and_template_sync_buttons(admin_client, cloud_channel, cloud_standin):
    action = settings_url(cloud_channel.inbox) + "action/"
    cloud_standin.templates = [{"name": "boas_vindas", "language": "pt_BR", "status": "APPROVED",
                                "category": "MARKETING", "components": [{"type": "BODY", "text": "Oi {{1}}"}]}]
    page = admin_client.post(action, {"action": "test"}, follow=True)
    assert "Loja Teste".encode() in page.content
    page = admin_client.post(action, {"action": "sync_templates"}, follow=True)
    assert b"boas_vindas" in page.content and MessageTemplate.objects.count() == 1
    cloud_channel.provider_config["api_key"] = "expired"
    cloud_channel.save()
    page = admin_client.post(action, {"action": "test"}, follow=True)
    assert b"190" in page.content
    cloud_channel.refresh_from_db()
    assert cloud_channel.reauthorization_required


def test_agents_cannot_open_the_settings(agent_client, cloud_channel):
    assert agent_client.get(settings_url(cloud_channel.inbox)).status_code == 403


def test_evolution_inbox_pairing(admin_client, account, evolution_standin, standins):
    response = admin_client.post(f"/app/accounts/{account.pk}/settings/inboxes/new/whatsapp/", {
        "provider": "evolution", "name": "Celular", "server_url": evolution_standin.url,
        "instance_name": "loja1", "apikey": EVOLUTION_KEY})
    assert response.status_code == 302
    channel = WhatsappChannel.objects.get()
    [hook] = evolution_standin.calls("POST", "/webhook/set/loja1")
    webhook = hook.json()["webhook"]
    assert webhook["url"].endswith(f"/webhooks/evolution/{channel.pk}")
    assert webhook["headers"] == {"jwt_key": channel.webhook_token} and "MESSAGES_UPSERT" in webhook["events"]
    action = settings_url(channel.inbox) + "action/"
    page = admin_client.post(action, {"action": "reconnect"}, follow=True)
    assert b'class="wa-qrcode" src="data:image/png;base64,' in page.content and b"WZYEH1YY" in page.content
    page = admin_client.post(action, {"action": "logout"}, follow=True)
    channel.refresh_from_db()
    assert channel.config("connection_state") == "close" and b"wa-qrcode" not in page.content
    assert evolution_standin.calls("DELETE", "/instance/logout/loja1")


@pytest.fixture
def wa_conversation(cloud_channel):
    contact_inbox = actions.contact_inbox_for_phone(cloud_channel, "+5511999990000", name="Ana")
    actions.receive_whatsapp_message(cloud_channel, contact_inbox, source_id="wamid.IN1", content="oi")
    return actions.conversation_for(contact_inbox)


def test_reply_box_strip_shows_the_window_and_templates(agent_client, wa_conversation, cloud_channel,
                                                        cloud_standin, django_capture_on_commit_callbacks):
    base = f"/app/accounts/{wa_conversation.account_id}/conversations/{wa_conversation.display_id}/"
    assert b"whatsapp/" in agent_client.get(base).content  # the conversation page loads the strip
    open_strip = agent_client.get(base + "whatsapp/")
    assert b'data-window-open="1"' in open_strip.content
    Message.objects.filter(conversation=wa_conversation).update(created_at=timezone.now() - dt.timedelta(days=2))
    template = MessageTemplate.objects.create(channel=cloud_channel, name="retorno", language="pt_BR",
                                              status="APPROVED", components=[{"type": "BODY", "text": "Oi {{1}}!"}])
    MessageTemplate.objects.create(channel=cloud_channel, name="rascunho", language="pt_BR", status="PENDING")
    closed = agent_client.get(base + "whatsapp/")
    assert b'data-window-open="0"' in closed.content and b"retorno" in closed.content
    assert b"rascunho" not in closed.content
    bad = agent_client.post(base + "whatsapp/template/", {"template": template.pk})
    assert bad.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        sent = agent_client.post(base + "whatsapp/template/", {"template": template.pk, "param_1": "Ana"})
    assert sent.status_code == 200
    message = wa_conversation.messages.get(content="Oi Ana!")
    assert message.additional_attributes["template_params"]["name"] == "retorno"
    assert cloud_standin.calls("POST", "/messages")[0].json()["type"] == "template"
