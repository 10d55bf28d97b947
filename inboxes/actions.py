"""Writes on inboxes: create, settings, business hours, members."""

from django.db import transaction
from django.utils.translation import gettext as _

from autonomia import realtime
from autonomia.actions import DomainError, audit
from autonomia.models import Account, AccountUser, User
from automations import webhooks
from inboxes.models import AgentBot, AgentBotInbox, ApiChannel, Inbox, InboxMember, WorkingHour

DEFAULT_HOURS = [(day, day in (0, 6)) for day in range(7)]  # Sunday and Saturday closed, 09:00–17:00 otherwise

SETTINGS_FIELDS = (
    "name", "greeting_enabled", "greeting_message", "working_hours_enabled", "out_of_office_message", "timezone",
    "holidays", "enable_auto_assignment", "lock_to_single_conversation", "allow_messages_after_resolved",
    "enable_email_collect", "csat_survey_enabled", "sender_name_type", "business_name",
)


@transaction.atomic
def create_inbox(account: Account, *, actor, name: str, channel_type: str = Inbox.ChannelType.API,
                 member_ids: list[int] = (), **settings) -> Inbox:
    """Create an inbox with default business hours; API inboxes get their Channel::Api row."""
    if not name.strip():
        raise DomainError(_("The inbox needs a name."), field="name")
    inbox = Inbox.objects.create(account=account, name=name.strip(), channel_type=channel_type,
                                 **{k: v for k, v in settings.items() if k in SETTINGS_FIELDS})
    WorkingHour.objects.bulk_create([WorkingHour(inbox=inbox, day_of_week=d, closed_all_day=c) for d, c in DEFAULT_HOURS])
    if channel_type == Inbox.ChannelType.API:
        ApiChannel.objects.create(inbox=inbox)
    if member_ids:
        set_inbox_members(inbox, actor=actor, user_ids=member_ids)
    audit(account.pk, actor, "create", inbox, {"name": inbox.name, "channel_type": channel_type})
    webhooks.inbox_created(inbox)
    return inbox


@transaction.atomic
def update_inbox(inbox: Inbox, *, actor, max_assignment_limit: int | None = None, **changes) -> Inbox:
    """Change the inbox's shared settings (name, greeting, hours, auto-assignment...)."""
    before = {k: getattr(inbox, k) for k in changes if k in SETTINGS_FIELDS}
    before_event = webhooks.inbox_state(inbox)
    for key, value in changes.items():
        if key in SETTINGS_FIELDS:
            setattr(inbox, key, value)
    inbox.auto_assignment_config = {**inbox.auto_assignment_config, "max_assignment_limit": max_assignment_limit}
    inbox.save()
    audit(inbox.account_id, actor, "update", inbox, {"before": before})
    webhooks.inbox_written(inbox, before_event)
    return inbox


@transaction.atomic
def set_working_hours(inbox: Inbox, *, actor, hours: list[dict]) -> None:
    """Replace the weekly hours: dicts of day_of_week, closed_all_day, open_all_day, open/close hour/minutes."""
    for row in hours:
        if not row.get("closed_all_day") and not row.get("open_all_day"):
            if (row["open_hour"], row["open_minutes"]) >= (row["close_hour"], row["close_minutes"]):
                raise DomainError(_("Closing time must be after opening time."), field=f"day_{row['day_of_week']}")
    for row in hours:
        WorkingHour.objects.update_or_create(inbox=inbox, day_of_week=row["day_of_week"],
                                             defaults={k: v for k, v in row.items() if k != "day_of_week"})
    audit(inbox.account_id, actor, "working_hours_changed", inbox, {"hours": hours})


@transaction.atomic
def set_inbox_members(inbox: Inbox, *, actor, user_ids) -> set[int]:
    """Make exactly these account members the inbox's agents; removed agents lose access at once."""
    valid = set(AccountUser.objects.filter(account_id=inbox.account_id, user_id__in=list(user_ids))
                .values_list("user_id", flat=True))
    current = set(InboxMember.objects.filter(inbox=inbox).values_list("user_id", flat=True))
    InboxMember.objects.filter(inbox=inbox, user_id__in=current - valid).delete()
    InboxMember.objects.bulk_create([InboxMember(inbox=inbox, user_id=uid) for uid in valid - current])
    audit(inbox.account_id, actor, "members_changed", inbox, {"added": sorted(valid - current),
                                                              "removed": sorted(current - valid)})
    # Sockets re-check what they may see; removed agents' open conversations disappear.
    realtime.broadcast_on_commit([realtime.user_group(uid) for uid in current ^ valid],
                                 {"type": "access.changed", "account_id": inbox.account_id})
    return valid


@transaction.atomic
def delete_inbox(inbox: Inbox, *, actor: User) -> None:
    """Delete an inbox with its conversations."""
    audit(inbox.account_id, actor, "destroy", inbox, {"name": inbox.name})
    inbox.delete()


@transaction.atomic
def set_inbox_avatar(inbox: Inbox, *, actor, avatar) -> Inbox:
    """Replace (or, with None, remove) the inbox's picture; the old file is deleted after commit."""
    old = inbox.avatar.name if inbox.avatar else ""
    if avatar is None:
        inbox.avatar = ""
    else:
        inbox.avatar.save(avatar.name, avatar, save=False)
    inbox.save(update_fields=["avatar", "updated_at"])
    if old and old != inbox.avatar.name:
        storage = inbox.avatar.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    audit(inbox.account_id, actor, "avatar_changed", inbox)
    return inbox


@transaction.atomic
def update_api_channel(inbox: Inbox, *, actor, webhook_url: str | None = None,
                       hmac_mandatory: bool | None = None) -> ApiChannel:
    """Change where an API inbox delivers its events (empty: no delivery) and whether HMAC is mandatory."""
    channel = inbox.api_channel
    before = {"webhook_url": channel.webhook_url, "hmac_mandatory": channel.hmac_mandatory}
    if webhook_url is not None:
        channel.webhook_url = webhook_url.strip()
    if hmac_mandatory is not None:
        channel.hmac_mandatory = hmac_mandatory
    channel.save(update_fields=["webhook_url", "hmac_mandatory"])
    audit(inbox.account_id, actor, "update", inbox, {"before": before})
    return channel


@transaction.atomic
def set_inbox_agent_bot(inbox: Inbox, *, actor, agent_bot: AgentBot | None) -> None:
    """Attach a bot to the inbox (new conversations start pending) or, with None, detach it.

    The built-in assistant owns its inbox's link while it is on, and its bot works no other inbox: two bots
    answering one conversation, or a pending one nobody answers, would break the handoff contract."""
    from automations.assistant.queries import assistant_bot_conflict

    conflict = assistant_bot_conflict(inbox, agent_bot)
    if conflict:
        raise DomainError(conflict, field="agent_bot")
    if agent_bot is None:
        AgentBotInbox.objects.filter(inbox=inbox).delete()
    else:
        AgentBotInbox.objects.update_or_create(inbox=inbox, defaults={"agent_bot": agent_bot,
                                                                      "status": AgentBotInbox.Status.ACTIVE})
    audit(inbox.account_id, actor, "agent_bot_changed", inbox, {"agent_bot_id": agent_bot.pk if agent_bot else None})


def _check_bot(name: str, outgoing_url: str) -> None:
    if not name.strip():
        raise DomainError(_("The bot needs a name."), field="name")
    if outgoing_url and not outgoing_url.startswith(("http://", "https://")):
        raise DomainError(_("Enter a valid URL."), field="outgoing_url")


def _audit_bot(bot: AgentBot, actor, action: str, changes: dict) -> None:
    if bot.account_id is not None:  # system bots (Platform API) belong to no account's log
        audit(bot.account_id, actor, action, bot, changes)


@transaction.atomic
def create_agent_bot(account: Account | None, *, actor, name: str, description: str = "", outgoing_url: str = "",
                     bot_config: dict | None = None) -> AgentBot:
    """Add a webhook bot to the account (None: a system bot); its token is created on first use."""
    _check_bot(name, outgoing_url)
    bot = AgentBot.objects.create(account=account, name=name.strip(), description=description,
                                  outgoing_url=outgoing_url, bot_config=bot_config or {})
    _audit_bot(bot, actor, "create", {"name": bot.name})
    return bot


@transaction.atomic
def update_agent_bot(bot: AgentBot, *, actor, **changes) -> AgentBot:
    """Change a bot's name, description, outgoing_url or bot_config."""
    for key in ("name", "description", "outgoing_url", "bot_config"):
        if changes.get(key) is not None:
            setattr(bot, key, changes[key])
    _check_bot(bot.name, bot.outgoing_url)
    bot.save()
    _audit_bot(bot, actor, "update", {k: v for k, v in changes.items() if v is not None})
    return bot


@transaction.atomic
def delete_agent_bot(bot: AgentBot, *, actor) -> None:
    """Delete a bot: its inboxes stop using it and its token stops working."""
    from autonomia.models import AccessToken, PlatformAppPermissible

    AccessToken.objects.filter(owner_type="AgentBot", owner_id=bot.pk).delete()
    PlatformAppPermissible.objects.filter(permissible_type="AgentBot", permissible_id=bot.pk).delete()
    _audit_bot(bot, actor, "destroy", {"name": bot.name})
    bot.delete()
