"""Chatwoot JSON shapes of inboxes and agent bots (`_inbox.json.jbuilder`, `_agent_bot.json.jbuilder`)."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from inboxes.models import AgentBot, Inbox, WorkingHour

SENDER_NAME_TYPES = {Inbox.SenderNameType.FRIENDLY: "friendly", Inbox.SenderNameType.PROFESSIONAL: "professional"}


def working_hour_json(row: WorkingHour) -> dict:
    return {
        "day_of_week": row.day_of_week,
        "closed_all_day": row.closed_all_day,
        "open_hour": None if row.closed_all_day else row.open_hour,
        "open_minutes": None if row.closed_all_day else row.open_minutes,
        "close_hour": None if row.closed_all_day else row.close_hour,
        "close_minutes": None if row.closed_all_day else row.close_minutes,
        "open_all_day": row.open_all_day,
    }


def inbox_avatar_url(inbox: Inbox) -> str:
    if not inbox.avatar:
        return ""
    try:
        return settings.FRONTEND_URL + reverse("inboxes:avatar", kwargs={"account_id": inbox.account_id,
                                                                         "inbox_id": inbox.pk})
    except NoReverseMatch:
        return ""


def inbox_json(inbox: Inbox, *, administrator: bool) -> dict:
    """One inbox; secrets (hmac_token) only for administrators, as in Chatwoot."""
    channel = getattr(inbox, "api_channel", None) if inbox.channel_type == Inbox.ChannelType.API else None
    data = {
        "id": inbox.pk,
        "avatar_url": inbox_avatar_url(inbox),
        "channel_id": channel.pk if channel else inbox.pk,
        "name": inbox.name,
        "channel_type": inbox.channel_type,
        "greeting_enabled": inbox.greeting_enabled,
        "greeting_message": inbox.greeting_message or None,
        "working_hours_enabled": inbox.working_hours_enabled,
        "enable_email_collect": inbox.enable_email_collect,
        "csat_survey_enabled": inbox.csat_survey_enabled,
        "csat_config": inbox.csat_config or {},
        "enable_auto_assignment": inbox.enable_auto_assignment,
        "auto_assignment_config": {"max_assignment_limit": inbox.max_assignment_limit}
        if inbox.max_assignment_limit else {},
        "out_of_office_message": inbox.out_of_office_message or None,
        "working_hours": [working_hour_json(row) for row in inbox.working_hours.all()],
        "timezone": inbox.timezone,
        "callback_webhook_url": None,
        "allow_messages_after_resolved": inbox.allow_messages_after_resolved,
        "lock_to_single_conversation": inbox.lock_to_single_conversation,
        "sender_name_type": SENDER_NAME_TYPES[Inbox.SenderNameType(inbox.sender_name_type)],
        "business_name": inbox.business_name or None,
        "widget_color": None,
        "website_url": None,
        "hmac_mandatory": channel.hmac_mandatory if channel else None,
        "welcome_title": None,
        "welcome_tagline": None,
        "web_widget_script": None,
        "website_token": None,
        "selected_feature_flags": None,
        "reply_time": None,
        "messaging_service_sid": None,
        "phone_number": None,
        "provider": None,
    }
    if channel:
        if administrator:
            data["hmac_token"] = channel.hmac_token
        data.update(webhook_url=channel.webhook_url or None, inbox_identifier=channel.identifier,
                    additional_attributes=channel.additional_attributes or {})
    return data


def agent_bot_json(bot: AgentBot, *, access_token: str | None = None) -> dict:
    """An agent bot; `access_token` is passed only for administrators of the bot's own account."""
    data = {
        "id": bot.pk,
        "name": bot.name,
        "description": bot.description,
        "thumbnail": "",
        "outgoing_url": bot.outgoing_url or None,
        "bot_type": "webhook",
        "bot_config": bot.bot_config or {},
        "account_id": bot.account_id,
        "system_bot": bot.account_id is None,
    }
    if access_token is not None:
        data["access_token"] = access_token
    return data
