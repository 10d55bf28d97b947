"""The loader, the widget frame (CSP, language, initial state) and the website inbox settings pages."""

import json
import re

import pytest
from django.urls import reverse

from inboxes import client_actions, widget_actions
from inboxes.models import Inbox, WebWidgetChannel
from inboxes.widget_queries import issue_widget_token

pytestmark = pytest.mark.django_db


def state_of(response) -> dict:
    match = re.search(r'<script id="widget-state" type="application/json">(.*?)</script>', response.content.decode(),
                      re.DOTALL)
    return json.loads(match.group(1))


def test_loader_is_served_at_chatwoots_path_with_cache_and_cors(client):
    response = client.get("/packs/js/sdk.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "max-age" in response["Cache-Control"] and response["Access-Control-Allow-Origin"] == "*"
    assert b"chatwootSDK" in response.content


def test_frame_may_be_embedded_only_by_the_allowed_domains(client, widget, widget_inbox):
    url = f"/widget?website_token={widget.website_token}"
    open_frame = client.get(url)
    assert open_frame.status_code == 200 and "X-Frame-Options" not in open_frame
    assert "frame-ancestors *" in open_frame["Content-Security-Policy"]
    widget_actions.update_web_widget(widget_inbox, actor=None, allowed_domains="loja.com.br\n*.loja.com.br")
    policy = client.get(url)["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors")[1].split(";")[0]
    assert "https://loja.com.br" in ancestors and "https://*.loja.com.br" in ancestors and "*" not in ancestors.split()
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def frame_strings(html: str) -> dict:
    return json.loads(re.search(r'<script id="widget-i18n" type="application/json">(.*?)</script>', html,
                                re.DOTALL).group(1))


@pytest.mark.parametrize("locale, lang, send", [("pt-BR", "pt-BR", "Enviar"), ("en", "en", "Send"),
                                                ("es_ES", "es", "Enviar"), ("xx", "pt-BR", "Enviar")])
def test_frame_speaks_the_visitors_language(client, widget, locale, lang, send):
    html = client.get(f"/widget?website_token={widget.website_token}&locale={locale}").content.decode()
    assert f'<html lang="{lang}"' in html
    assert frame_strings(html)["send"] == send


def test_without_a_locale_the_frame_speaks_the_accounts_language_not_the_browsers(client, widget):
    """Chatwoot's default: the account's locale; the browser's only with chatwootSettings.useBrowserLanguage."""
    widget.inbox.account.locale = "en"
    widget.inbox.account.save(update_fields=["locale"])
    html = client.get(f"/widget?website_token={widget.website_token}",
                      headers={"Accept-Language": "es-ES,es;q=0.9"}).content.decode()
    assert '<html lang="en"' in html and frame_strings(html)["send"] == "Send"
    assert frame_strings(html)["older"] == "Load earlier messages"


def test_frame_carries_the_visitors_history(client, widget, widget_inbox):
    contact_inbox = client_actions.create_client_contact(widget_inbox, name="Vera")
    conversation = client_actions.start_client_conversation(contact_inbox)
    client_actions.send_client_message(conversation, content="minha dúvida")
    token = issue_widget_token(contact_inbox)
    state = state_of(client.get(f"/widget?website_token={widget.website_token}&cw_conversation={token}"))
    assert state["contact"]["name"] == "Vera" and state["conversation"]["id"] == conversation.display_id
    assert [m["content"] for m in state["messages"]] == ["minha dúvida"]
    anonymous = state_of(client.get(f"/widget?website_token={widget.website_token}&cw_conversation=forged"))
    assert anonymous["contact"] is None and anonymous["messages"] == []


def test_admin_creates_a_website_inbox_and_gets_the_snippet(admin_client, account, agent):
    new_url = reverse("inboxes:new", kwargs={"account_id": account.pk})
    assert b"channel=webwidget" in admin_client.get(new_url).content
    response = admin_client.post(new_url, {"channel": "webwidget", "name": "Loja", "website_url": "loja.com.br",
                                           "allowed_domains": "loja.com.br", "widget_color": "#ff6600",
                                           "welcome_title": "Bem-vindo!", "member_ids": [agent.pk]})
    inbox = Inbox.objects.get(name="Loja")
    assert inbox.channel_type == Inbox.ChannelType.WEB_WIDGET
    assert response.status_code == 302 and response["Location"].endswith(f"/{inbox.pk}/widget/install/")
    channel = inbox.web_widget
    assert channel.widget_color == "#ff6600" and channel.allowed_domains == "loja.com.br"
    page = admin_client.get(response["Location"]).content.decode()
    assert "/packs/js/sdk.js" in page and channel.website_token in page and channel.hmac_token in page
    assert "window.chatwootSDK.run" in page


def test_bad_domain_is_shown_as_a_form_error(admin_client, account):
    response = admin_client.post(reverse("inboxes:new", kwargs={"account_id": account.pk}),
                                 {"channel": "webwidget", "name": "Loja", "allowed_domains": "não é domínio!",
                                  "widget_color": "#ff6600"})
    assert response.status_code == 422 and not Inbox.objects.filter(name="Loja").exists()


def test_widget_settings_are_saved(admin_client, widget_inbox):
    url = reverse("inboxes:widget", kwargs={"account_id": widget_inbox.account_id, "widget_inbox_id": widget_inbox.pk})
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"website_url": "https://loja.com.br", "allowed_domains": "loja.com.br",
                                       "welcome_title": "Oi!", "welcome_tagline": "Respondemos rápido",
                                       "widget_color": "#112233", "position": "left", "launcher_title": "Fale",
                                       "reply_time": "in_a_few_hours", "attachments": "on"})
    assert response.status_code == 302
    channel = WebWidgetChannel.objects.get(inbox=widget_inbox)
    assert (channel.position, channel.reply_time, channel.widget_color) == ("left", "in_a_few_hours", "#112233")
    assert channel.flag("attachments") and not channel.flag("end_conversation")
    widget_inbox.refresh_from_db()
    assert widget_inbox.enable_email_collect is False


def test_pre_chat_form_with_custom_fields_and_validation(admin_client, widget_inbox):
    url = reverse("inboxes:widget-prechat", kwargs={"account_id": widget_inbox.account_id,
                                                    "widget_inbox_id": widget_inbox.pk})
    assert admin_client.get(url).status_code == 200
    data = {"pre_chat_form_enabled": "on", "pre_chat_message": "Conte-nos quem é você",
            "fullName_enabled": "on", "fullName_required": "on", "emailAddress_enabled": "on",
            "custom_0_name": "cep", "custom_0_label": "CEP", "custom_0_type": "text",
            "custom_0_field_type": "contact_attribute", "custom_0_required": "on",
            "custom_0_regex_pattern": "^[0-9]{5}-?[0-9]{3}$", "custom_0_regex_cue": "CEP inválido"}
    assert admin_client.post(url, {**data, "custom_0_regex_pattern": "([a-z"}).status_code == 422
    assert admin_client.post(url, data).status_code == 302
    channel = WebWidgetChannel.objects.get(inbox=widget_inbox)
    fields = {f["name"]: f for f in channel.pre_chat_form_options["pre_chat_fields"]}
    assert channel.pre_chat_form_enabled and fields["fullName"]["required"] and not fields["emailAddress"]["required"]
    assert not fields["phoneNumber"]["enabled"]
    assert fields["cep"]["regex_pattern"] == "^[0-9]{5}-?[0-9]{3}$" and fields["cep"]["required"]


def test_identity_validation_and_token_reset(admin_client, widget_inbox):
    url = reverse("inboxes:widget-install", kwargs={"account_id": widget_inbox.account_id,
                                                    "widget_inbox_id": widget_inbox.pk})
    old = widget_inbox.web_widget.hmac_token
    assert admin_client.post(url, {"hmac_mandatory": "on"}).status_code == 302
    assert admin_client.post(url, {"reset_hmac": "1"}).status_code == 302
    channel = WebWidgetChannel.objects.get(inbox=widget_inbox)
    assert channel.hmac_mandatory and channel.hmac_token != old


def test_agents_cannot_change_the_widget(agent_client, widget_inbox):
    url = reverse("inboxes:widget-install", kwargs={"account_id": widget_inbox.account_id,
                                                    "widget_inbox_id": widget_inbox.pk})
    assert agent_client.get(url).status_code == 403


def test_widget_pages_of_another_channel_are_404(admin_client, inbox):
    url = reverse("inboxes:widget", kwargs={"account_id": inbox.account_id, "widget_inbox_id": inbox.pk})
    assert admin_client.get(url).status_code == 404
