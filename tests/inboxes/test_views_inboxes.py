"""Inbox settings pages: list, channel picker, new API inbox, the per-inbox tabs, hours, agents, delete."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from autonomia.models import User
from inboxes.models import Inbox, WorkingHour
from tests import factories


@pytest.fixture(autouse=True)
def english(admin, agent):
    """The assertions read the English interface (the product's default language is pt-BR)."""
    User.objects.filter(pk__in=[admin.pk, agent.pk]).update(locale="en")


def url(name, account, **kwargs):
    return reverse(f"inboxes:{name}", kwargs={"account_id": account.pk, **kwargs})


def iurl(name, inbox, query=""):
    return url(name, inbox.account, inbox_id=inbox.pk) + query


def png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 180, 90)).save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def general_post(**overrides):
    data = {"tab": "general", "name": "Suporte", "greeting_message": "", "allow_messages_after_resolved": "on"}
    data.update(overrides)
    return data


def hours_post(**overrides):
    """Monday–Friday 09:00–18:00, weekend closed, business hours on."""
    data = {"working_hours_enabled": "on", "timezone": "America/Sao_Paulo",
            "out_of_office_message": "Voltamos amanhã às 9h.", "holidays": "25/12/2026\n2026-01-01"}
    for day in range(7):
        data[f"day_{day}_mode"] = "closed_all_day" if day in (0, 6) else "hours"
        data[f"day_{day}_open"] = "09:00"
        data[f"day_{day}_close"] = "18:00"
    data.update(overrides)
    return data


# --- permissions --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["get", "post"])
def test_agent_gets_403_on_every_inbox_settings_page(agent_client, account, inbox, method):
    pages = [url("list", account), url("new", account), url("new", account) + "?channel=api",
             iurl("settings", inbox), iurl("settings", inbox, "?tab=assignment"),
             iurl("settings", inbox, "?tab=configuration"), iurl("hours", inbox), iurl("members", inbox),
             iurl("delete", inbox)]
    for page in pages:
        response = getattr(agent_client, method)(page)
        assert response.status_code == 403, page
    assert Inbox.objects.filter(pk=inbox.pk).exists()


# --- list and new -------------------------------------------------------------------------------------

def test_inbox_list_shows_channel_and_agent_count(admin_client, account, inbox, other_inbox):
    response = admin_client.get(url("list", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Suporte" in html and "Financeiro" in html
    assert html.count("badge-slate\">API<") == 2
    assert "1 agent<" in html and "0 agents" in html
    assert iurl("settings", inbox) in html and url("new", account) in html


def test_inbox_list_empty_state(admin_client, account):
    html = admin_client.get(url("list", account)).content.decode()
    assert "No inboxes yet" in html and url("new", account) in html


def test_channel_picker_offers_api_and_shows_the_rest_as_coming_soon(admin_client, account):
    response = admin_client.get(url("new", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert url("new", account) + "?channel=api" in html
    from inboxes.views import CHANNELS

    assert html.count("Coming soon") == sum(not c["available"] for c in CHANNELS)
    assert "WhatsApp" in html and "Telegram" in html


def test_new_api_inbox_form_renders(admin_client, account, agent):
    response = admin_client.get(url("new", account) + "?channel=api")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="channel" value="api"' in html and 'name="webhook_url"' in html
    assert "Bruno Agente" in html and f'value="{agent.pk}"' in html


def test_create_api_inbox_saves_and_opens_its_configuration(admin_client, account, agent):
    response = admin_client.post(url("new", account), {"channel": "api", "name": "Loja virtual",
                                                       "webhook_url": "https://hooks.example.com/autonomia",
                                                       "member_ids": [agent.pk]})
    inbox = Inbox.objects.get(account=account, name="Loja virtual")
    assert response.status_code == 302 and response["Location"] == iurl("settings", inbox, "?tab=configuration")
    assert inbox.channel_type == Inbox.ChannelType.API
    assert inbox.api_channel.webhook_url == "https://hooks.example.com/autonomia"
    assert list(inbox.members.all()) == [agent]
    page = admin_client.get(response["Location"]).content.decode()
    assert "Inbox “Loja virtual” created." in page and inbox.api_channel.identifier in page


def test_create_api_inbox_with_errors_returns_422_and_keeps_the_input(admin_client, account, agent):
    response = admin_client.post(url("new", account), {"channel": "api", "name": "",
                                                       "webhook_url": "not a url", "member_ids": [agent.pk]})
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html and "Enter a valid URL." in html
    assert 'value="not a url"' in html and "checked" in html
    assert not Inbox.objects.filter(account=account).exists()


# --- general, assignment, configuration tabs ----------------------------------------------------------

def test_general_tab_renders_with_the_tab_bar(admin_client, inbox):
    response = admin_client.get(iurl("settings", inbox))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="tab" value="general"' in html and 'enctype="multipart/form-data"' in html
    assert 'value="Suporte"' in html
    for link in (iurl("settings", inbox, "?tab=assignment"), iurl("settings", inbox, "?tab=configuration"),
                 iurl("hours", inbox), iurl("members", inbox), iurl("delete", inbox)):
        assert link in html, link
    assert 'class="tab active" href="%s" aria-current="page"' % iurl("settings", inbox) in html


def test_general_tab_saves_settings_and_picture(admin_client, inbox):
    response = admin_client.post(iurl("settings", inbox), general_post(
        name="Atendimento", greeting_enabled="on", greeting_message="Olá! Já vamos responder.",
        lock_to_single_conversation="on", avatar=png_upload()))
    assert response.status_code == 302 and response["Location"] == iurl("settings", inbox)
    inbox.refresh_from_db()
    assert inbox.name == "Atendimento" and inbox.greeting_enabled
    assert inbox.greeting_message == "Olá! Já vamos responder."
    assert inbox.lock_to_single_conversation and inbox.allow_messages_after_resolved
    assert inbox.avatar.name.endswith(".png")
    assert 'name="remove_avatar"' in admin_client.get(iurl("settings", inbox)).content.decode()
    response = admin_client.post(iurl("settings", inbox), general_post(name="Atendimento", remove_avatar="on"))
    assert response.status_code == 302
    inbox.refresh_from_db()
    assert not inbox.avatar


def test_general_tab_with_errors_returns_422_and_keeps_the_input(admin_client, inbox):
    response = admin_client.post(iurl("settings", inbox), general_post(name="Nome digitado", greeting_enabled="on",
                                                                      greeting_message="  "))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Write the greeting, or turn the greeting off." in html and 'value="Nome digitado"' in html
    assert Inbox.objects.get(pk=inbox.pk).name == "Suporte"


def test_assignment_tab_saves_the_limit(admin_client, inbox):
    page = admin_client.get(iurl("settings", inbox, "?tab=assignment"))
    assert page.status_code == 200 and 'name="max_assignment_limit"' in page.content.decode()
    response = admin_client.post(iurl("settings", inbox), {"tab": "assignment", "max_assignment_limit": "5"})
    assert response.status_code == 302 and response["Location"] == iurl("settings", inbox, "?tab=assignment")
    inbox.refresh_from_db()
    assert not inbox.enable_auto_assignment and inbox.max_assignment_limit == 5


def test_assignment_tab_with_errors_returns_422_and_keeps_the_input(admin_client, inbox):
    response = admin_client.post(iurl("settings", inbox), {"tab": "assignment", "enable_auto_assignment": "on",
                                                           "max_assignment_limit": "0"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 1." in html and 'value="0"' in html


def test_configuration_tab_shows_the_credentials_and_saves_the_webhook(admin_client, inbox):
    html = admin_client.get(iurl("settings", inbox, "?tab=configuration")).content.decode()
    assert inbox.api_channel.identifier in html and inbox.api_channel.hmac_token in html
    assert "data-copy=" in html
    response = admin_client.post(iurl("settings", inbox), {"tab": "configuration",
                                                           "webhook_url": "https://example.com/hook"})
    assert response.status_code == 302
    inbox.api_channel.refresh_from_db()
    assert inbox.api_channel.webhook_url == "https://example.com/hook"


def test_configuration_tab_with_a_bad_url_returns_422_and_keeps_it(admin_client, inbox):
    response = admin_client.post(iurl("settings", inbox), {"tab": "configuration", "webhook_url": "ftp//nope"})
    html = response.content.decode()
    assert response.status_code == 422 and "Enter a valid URL." in html and 'value="ftp//nope"' in html


def test_configuration_tab_exists_only_for_api_inboxes(admin_client, account):
    email_inbox = factories.make_inbox(account, name="E-mail", channel_type=Inbox.ChannelType.EMAIL)
    assert admin_client.get(iurl("settings", email_inbox, "?tab=configuration")).status_code == 404
    html = admin_client.get(iurl("settings", email_inbox)).content.decode()
    assert "?tab=configuration" not in html and "?tab=assignment" in html


# --- business hours -----------------------------------------------------------------------------------

def test_hours_page_lists_every_weekday(admin_client, inbox):
    response = admin_client.get(iurl("hours", inbox))
    html = response.content.decode()
    assert response.status_code == 200
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        assert day in html
    assert html.index("Monday") < html.index("Sunday")
    assert 'name="day_1_open"' in html and 'type="time"' in html and 'value="09:00"' in html
    assert 'name="out_of_office_message"' in html and 'name="holidays"' in html and 'name="timezone"' in html
    assert 'class="tab active" href="%s"' % iurl("hours", inbox) in html


def test_hours_post_saves_the_week_and_holidays(admin_client, inbox):
    response = admin_client.post(iurl("hours", inbox), hours_post(day_3_mode="open_all_day",
                                                                  day_5_open="08:30", day_5_close="12:00"))
    assert response.status_code == 302 and response["Location"] == iurl("hours", inbox)
    inbox.refresh_from_db()
    assert inbox.working_hours_enabled and inbox.out_of_office_message == "Voltamos amanhã às 9h."
    assert inbox.holidays == ["2026-01-01", "2026-12-25"]
    friday = WorkingHour.objects.get(inbox=inbox, day_of_week=5)
    assert (friday.open_hour, friday.open_minutes, friday.close_hour, friday.close_minutes) == (8, 30, 12, 0)
    assert WorkingHour.objects.get(inbox=inbox, day_of_week=3).open_all_day
    assert WorkingHour.objects.get(inbox=inbox, day_of_week=0).closed_all_day
    html = admin_client.get(iurl("hours", inbox)).content.decode()
    assert "Business hours saved." in html and "25/12/2026" in html and 'value="08:30"' in html


def test_hours_post_with_errors_returns_422_and_keeps_the_input(admin_client, inbox):
    response = admin_client.post(iurl("hours", inbox), hours_post(
        day_2_open="18:00", day_2_close="10:00", holidays="31/02/2026", out_of_office_message="Mensagem digitada"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Closing time must be after opening time." in html
    assert "These are not dates: 31/02/2026. Use DD/MM/YYYY." in html
    assert 'value="18:00"' in html and 'value="10:00"' in html and "Mensagem digitada" in html
    assert 'id="hours-day-2"' in html and "hours-row has-error" in html
    inbox.refresh_from_db()
    assert not inbox.working_hours_enabled and inbox.holidays == []


# --- agents -------------------------------------------------------------------------------------------

def test_members_page_shows_agents_and_administrators(admin_client, inbox, agent):
    response = admin_client.get(iurl("members", inbox))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bruno Agente" in html and f'value="{agent.pk}"' in html and "checked" in html
    assert "Administrators see every inbox." in html and "Ana Admin" in html


def test_members_post_sets_the_agents(admin_client, account, inbox, agent):
    other = factories.make_member(account, factories.make_user(name="Clara Nova"))
    response = admin_client.post(iurl("members", inbox), {"member_ids": [other.pk]})
    assert response.status_code == 302 and response["Location"] == iurl("members", inbox)
    assert list(inbox.members.all()) == [other]


def test_members_post_with_an_unknown_agent_returns_422(admin_client, inbox, agent, outsider):
    response = admin_client.post(iurl("members", inbox), {"member_ids": [outsider.pk]})
    assert response.status_code == 422 and "Select a valid choice." in response.content.decode()
    assert list(inbox.members.all()) == [agent]


# --- delete -------------------------------------------------------------------------------------------

def test_delete_inbox_asks_then_deletes(admin_client, account, inbox):
    page = admin_client.get(iurl("delete", inbox))
    assert page.status_code == 200 and "Delete inbox “Suporte”?" in page.content.decode()
    response = admin_client.post(iurl("delete", inbox))
    assert response.status_code == 302 and response["Location"] == url("list", account)
    assert not Inbox.objects.filter(pk=inbox.pk).exists()
