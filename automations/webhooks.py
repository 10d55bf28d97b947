"""Outgoing webhooks: `emit()` (called by actions), the SSRF guard, signing, and the webhook settings actions.

`emit(event, **ids)` runs inside the action's transaction: it finds the targets (account webhooks subscribed
to the event, the API inbox's webhook_url, the agent bot's outgoing_url), snapshots the Chatwoot payload into
one WebhookDelivery row per target (a transactional outbox) and enqueues `deliver_webhook` after commit.
Inbox events are emitted just after the commit instead (see inbox_created), as Chatwoot builds them.
Delivery, retries and giving up live in `automations/tasks.py`.

Events emitted by the settings actions below: none.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from requests.certs import where as ca_bundle
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from autonomia.actions import DomainError, audit
from autonomia.models import Account, AccountUser, User
from automations.models import WEBHOOK_EVENTS, Webhook, WebhookDelivery

log = logging.getLogger(__name__)
Kind = WebhookDelivery.Kind

CONVERSATION_EVENTS = {"conversation_created", "conversation_updated", "conversation_status_changed",
                       "conversation_opened", "conversation_resolved"}
MESSAGE_EVENTS = {"message_created", "message_updated"}
TYPING_EVENTS = {"conversation_typing_on", "conversation_typing_off"}
CONTACT_EVENTS = {"contact_created", "contact_updated"}
INBOX_EVENTS = {"inbox_created", "inbox_updated"}  # account webhooks only, like contact events (§9)
# An API inbox's webhook_url gets every conversation, message, typing and widget event of its inbox (§9).
API_INBOX_EVENTS = {"conversation_created", "conversation_updated", "conversation_status_changed",
                    *MESSAGE_EVENTS, *TYPING_EVENTS, "webwidget_triggered"}
# Agent bots get no subscriptions: these events, from their inbox or their conversation (§10).
AGENT_BOT_EVENTS = {*MESSAGE_EVENTS, "conversation_opened", "conversation_resolved", "webwidget_triggered"}


# --- SSRF guard -----------------------------------------------------------------------------

class UnsafeURL(Exception):
    """The URL is not http(s), does not resolve, or points into a private network."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Refuse URLs resolving to private, loopback, link-local, multicast or reserved addresses (every address
    the name resolves to), unless WEBHOOK_ALLOW_PRIVATE_URLS. Checked on save and again on each delivery."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(_("Use an http:// or https:// URL."))
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise UnsafeURL(_("This host name could not be resolved.")) from None
    for info in infos:
        if not is_public_address(info[4][0]):
            raise UnsafeURL(_("This URL points to a private or local network address, which is not allowed."))


class _PeerCheck:
    """Re-check the address actually connected to, so DNS rebinding cannot slip past check_url()."""

    def _new_conn(self):
        sock = super()._new_conn()
        if not settings.WEBHOOK_ALLOW_PRIVATE_URLS and not is_public_address(sock.getpeername()[0]):
            sock.close()
            raise UnsafeURL(_("This URL points to a private or local network address, which is not allowed."))
        return sock


class _GuardedHTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests adapter whose connections refuse private peers."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def guarded_pool_manager() -> PoolManager:
    """A urllib3 pool manager whose connections refuse private peers, trusting the same CA bundle as requests
    (webhook delivery uses urllib3 directly, see automations.tasks._pool)."""
    manager = PoolManager(ca_certs=ca_bundle())
    manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
    return manager


# --- Signing --------------------------------------------------------------------------------

def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def signed_headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict:
    """Chatwoot's headers plus Standard Webhooks' (targets.md §7.3), both over the same secret."""
    headers = {"Content-Type": "application/json", "User-Agent": "Autonomia-Webhooks/1.0",
               "X-Chatwoot-Timestamp": str(timestamp), "X-Chatwoot-Delivery": delivery_id,
               "webhook-id": delivery_id, "webhook-timestamp": str(timestamp)}
    if secret:
        headers["X-Chatwoot-Signature"] = signature(secret, timestamp, body)
        std = hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        headers["webhook-signature"] = "v1," + base64.b64encode(std).decode()
    return headers


# --- emit -----------------------------------------------------------------------------------

def emit(event: str | list[str], **ids) -> None:
    """Queue `event` (or several events about the same subject) for every current target.

    ids: conversation_id, message_id, contact_id, contact_inbox_id, inbox_id, user_id; extras: changes
    {attr: (before, after)}, is_private, event_info; `conversation=` (the subject's conversation instance) lets
    an event nobody can receive cost one small query instead of the planning. Never raises into the calling action.
    """
    events = [event] if isinstance(event, str) else list(event)
    conversation = ids.pop("conversation", None)  # a hint: the subject's conversation, loaded
    try:
        if conversation is not None and not _targets_possible(conversation):
            return
        with transaction.atomic():  # a savepoint: a failure here must not break the caller's write
            delivery_ids = _plan(events, ids)
    except Exception:
        log.exception("webhook events %s could not be queued", events)
        return
    if delivery_ids:
        transaction.on_commit(lambda: enqueue(delivery_ids), robust=True)


def _targets_possible(conversation) -> bool:
    """Whether anything could receive an event about this conversation: an assigned agent bot, an API inbox, an
    active agent bot on the inbox or an enabled account webhook for it. False lets emit skip the planning (a
    savepoint and two joined queries), the usual case for a busy inbox nobody subscribed to. One statement in
    plain SQL: it runs for every message, and building it with the ORM cost more CPU than the planning it saves."""
    from django.db import connection

    from inboxes.models import AgentBotInbox, Inbox

    if conversation.assignee_agent_bot_id:
        return True
    sql = (f"SELECT EXISTS(SELECT 1 FROM {Inbox._meta.db_table} WHERE id = %s AND channel_type = %s)"
           f" OR EXISTS(SELECT 1 FROM {AgentBotInbox._meta.db_table} WHERE inbox_id = %s AND status = %s)"
           f" OR EXISTS(SELECT 1 FROM {Webhook._meta.db_table} WHERE account_id = %s AND enabled"
           f" AND (inbox_id IS NULL OR inbox_id = %s))")
    inbox_id = conversation.inbox_id
    with connection.cursor() as cursor:
        cursor.execute(sql, [inbox_id, Inbox.ChannelType.API.value, inbox_id, AgentBotInbox.Status.ACTIVE.value,
                             conversation.account_id, inbox_id])
        return bool(cursor.fetchone()[0])


def enqueue(delivery_ids: list[int]) -> None:
    from automations.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # broker down: the row stays pending and the sweeper sends it later
            log.exception("could not enqueue webhook delivery %s", delivery_id)


def _inbox_fields(inbox: str, conversation: str | None) -> dict:
    """F() columns naming the inbox's API webhook URL and its agent bot, to fetch with the subject's row."""
    link = inbox + "agent_bot_inbox__"
    fields = {"api_url": F(inbox + "api_channel__webhook_url"), "channel_type": F(inbox + "channel_type"),
              "link_status": F(link + "status"), "link_bot_id": F(link + "agent_bot_id"),
              "link_bot_url": F(link + "agent_bot__outgoing_url")}
    if conversation is not None:
        fields.update(bot_id=F(conversation + "assignee_agent_bot_id"),
                      bot_url=F(conversation + "assignee_agent_bot__outgoing_url"))
    return fields


def _context(event: str, ids: dict) -> dict | None:
    """The subject's account, inbox, conversation, API webhook URL and agent bot, in one query."""
    from contacts.models import Contact, ContactInbox
    from conversations.models import Conversation, Message

    if event in MESSAGE_EVENTS:
        row = Message.objects.filter(pk=ids["message_id"]).values(
            "account_id", "inbox_id", "conversation_id", "message_type",
            **_inbox_fields("inbox__", "conversation__")).first()
        if row is None or row["message_type"] == Message.MessageType.ACTIVITY:
            return None
        return row
    if event in CONVERSATION_EVENTS or event in TYPING_EVENTS:
        return Conversation.objects.filter(pk=ids["conversation_id"]).values(
            "account_id", "inbox_id", conversation_id=F("pk"), **_inbox_fields("inbox__", "")).first()
    if event in CONTACT_EVENTS:
        row = Contact.objects.filter(pk=ids["contact_id"]).values("account_id").first()
        return row and {**row, "inbox_id": None}
    if event == "webwidget_triggered":
        return ContactInbox.objects.filter(pk=ids["contact_inbox_id"]).values(
            "inbox_id", account_id=F("inbox__account_id"), **_inbox_fields("inbox__", None)).first()
    if event in INBOX_EVENTS:
        from inboxes.models import Inbox

        return Inbox.objects.filter(pk=ids["inbox_id"]).values("account_id", inbox_id=F("pk")).first()
    return None


def _load_targets(ctx: dict) -> list[Webhook]:
    """The enabled account webhooks that may receive events of the subject's inbox (one query)."""
    hooks = Webhook.objects.filter(account_id=ctx["account_id"], enabled=True)
    hooks = hooks.filter(Q(inbox__isnull=True) | Q(inbox_id=ctx["inbox_id"])) if ctx["inbox_id"] else hooks.filter(
        inbox__isnull=True)
    return list(hooks.only("id", "url", "subscriptions"))


def _bot(ctx: dict) -> tuple[int, str] | None:
    """The conversation's assigned bot, else the inbox's active bot: (id, outgoing_url)."""
    from inboxes.models import AgentBotInbox

    if ctx.get("bot_id"):
        return ctx["bot_id"], ctx.get("bot_url") or ""
    if ctx.get("link_bot_id") and ctx.get("link_status") == AgentBotInbox.Status.ACTIVE:
        return ctx["link_bot_id"], ctx.get("link_bot_url") or ""
    return None


def _targets(event: str, ctx: dict, hooks: list[Webhook]) -> list[dict]:
    from inboxes.models import Inbox

    targets = [{"kind": Kind.ACCOUNT, "webhook_id": hook.pk, "target_url": hook.url}
               for hook in hooks if event in (hook.subscriptions or [])]
    if event in API_INBOX_EVENTS and ctx.get("channel_type") == Inbox.ChannelType.API and ctx.get("api_url"):
        targets.append({"kind": Kind.API_INBOX, "inbox_id": ctx["inbox_id"], "target_url": ctx["api_url"]})
    bot = _bot(ctx) if event in AGENT_BOT_EVENTS else None
    if bot is not None and bot[1]:
        targets.append({"kind": Kind.AGENT_BOT, "agent_bot_id": bot[0], "inbox_id": ctx["inbox_id"],
                        "target_url": bot[1]})
    return targets


def build_payload(event: str, ids: dict) -> dict:
    from automations import webhook_payloads as p
    from contacts.models import Contact, ContactInbox

    if event in MESSAGE_EVENTS:
        message = p.load_message(ids["message_id"])
        return p.message_event(event, message, p.load_conversation(message.conversation_id))
    if event in CONVERSATION_EVENTS:
        return p.conversation_event(event, p.load_conversation(ids["conversation_id"]), ids.get("changes"))
    if event in TYPING_EVENTS:
        user = User.objects.filter(pk=ids.get("user_id")).first()
        return p.typing_event(event, p.load_conversation(ids["conversation_id"]), user,
                              is_private=bool(ids.get("is_private")))
    if event in CONTACT_EVENTS:
        contact = Contact.objects.select_related("account").get(pk=ids["contact_id"])
        return p.contact_event(event, contact, ids.get("changes"))
    if event in INBOX_EVENTS:
        return p.inbox_event(event, p.load_inbox(ids["inbox_id"]), ids.get("changes"))
    contact_inbox = ContactInbox.objects.select_related("contact__account", "inbox__account").get(
        pk=ids["contact_inbox_id"])
    return p.webwidget_event(contact_inbox, ids.get("event_info"))


def _plan(events: list[str], ids: dict) -> list[int]:
    ctx = _context(events[0], ids)
    if ctx is None:
        return []
    hooks = _load_targets(ctx)
    rows = []
    for event in events:
        targets = _targets(event, ctx, hooks)
        if not targets:
            continue
        payload = json.loads(encode_body(build_payload(event, ids)))  # a JSON-safe snapshot
        rows += [WebhookDelivery(account_id=ctx["account_id"], event=event, payload=payload,
                                 conversation_id=ctx.get("conversation_id"),
                                 message_id=ids.get("message_id") if event in MESSAGE_EVENTS else None, **target)
                 for target in targets]
    return [row.pk for row in WebhookDelivery.objects.bulk_create(rows)] if rows else []


# --- Reads ----------------------------------------------------------------------------------

def widget_open_has_listeners(inbox) -> bool:
    """Whether anyone gets webwidget_triggered for this inbox: its active agent bot with an outgoing_url, or an
    enabled account webhook subscribed to it (so opening the widget creates no visitor nobody is told about)."""
    from inboxes.models import AgentBotInbox

    if AgentBotInbox.objects.filter(inbox=inbox, status=AgentBotInbox.Status.ACTIVE).exclude(
            agent_bot__outgoing_url="").exists():
        return True
    return Webhook.objects.filter(Q(inbox__isnull=True) | Q(inbox=inbox), account_id=inbox.account_id, enabled=True,
                                  subscriptions__contains=["webwidget_triggered"]).exists()


def visible_webhooks(account: Account) -> QuerySet[Webhook]:
    """The account's webhooks, oldest first."""
    return Webhook.objects.filter(account=account).select_related("inbox").order_by("id")


def access_webhook(account_user: AccountUser, webhook_id: int) -> Webhook:
    """A webhook of the member's account, or 404."""
    try:
        return Webhook.objects.select_related("inbox").get(account_id=account_user.account_id, pk=webhook_id)
    except (Webhook.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    """A delivery of the webhook, or 404."""
    try:
        return WebhookDelivery.objects.get(webhook=webhook, account_id=webhook.account_id, pk=delivery_id)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Settings actions -------------------------------------------------------------------------

def _check(account: Account, url: str, subscriptions, inbox, *, webhook: Webhook | None = None):
    url = (url or "").strip()
    try:
        check_url(url)
    except UnsafeURL as error:
        raise DomainError(str(error), field="url") from None
    if Webhook.objects.filter(account=account, url=url).exclude(pk=getattr(webhook, "pk", None)).exists():
        raise DomainError(_("Another webhook already uses this URL."), field="url")
    subscriptions = [e for e in WEBHOOK_EVENTS if e in set(subscriptions or [])]
    if not subscriptions:
        raise DomainError(_("Choose at least one event."), field="subscriptions")
    if inbox is not None and inbox.account_id != account.pk:
        raise DomainError(_("Unknown inbox."), field="inbox")
    return url, subscriptions


@transaction.atomic
def create_webhook(account: Account, *, actor: User, url: str, name: str = "", subscriptions=(),
                   inbox=None) -> Webhook:
    """Add a webhook; the URL must be public (SSRF guard) and unique in the account; a secret is generated."""
    url, subscriptions = _check(account, url, subscriptions, inbox)
    webhook = Webhook.objects.create(account=account, url=url, name=(name or "").strip(),
                                     subscriptions=subscriptions, inbox=inbox)
    audit(account.pk, actor, "create", webhook, {"url": url, "subscriptions": subscriptions})
    return webhook


@transaction.atomic
def update_webhook(webhook: Webhook, *, actor: User, url: str, name: str = "", subscriptions=(), inbox=None,
                   enabled: bool = True) -> Webhook:
    """Change a webhook; re-enabling it clears the failure state."""
    url, subscriptions = _check(webhook.account, url, subscriptions, inbox, webhook=webhook)
    before = {"url": webhook.url, "subscriptions": webhook.subscriptions, "enabled": webhook.enabled}
    webhook.url, webhook.name, webhook.subscriptions, webhook.inbox = url, (name or "").strip(), subscriptions, inbox
    if enabled and not webhook.enabled:
        webhook.disabled_reason, webhook.failing_since = "", None
    webhook.enabled = enabled
    webhook.save()
    audit(webhook.account_id, actor, "update", webhook, {"before": before})
    return webhook


@transaction.atomic
def delete_webhook(webhook: Webhook, *, actor: User) -> None:
    """Delete a webhook; its pending deliveries stop (they give up when their turn comes)."""
    audit(webhook.account_id, actor, "destroy", webhook, {"url": webhook.url})
    webhook.delete()


@transaction.atomic
def regenerate_webhook_secret(webhook: Webhook, *, actor: User) -> Webhook:
    """Replace the signing secret (receivers must be updated)."""
    from automations.models import new_webhook_secret

    webhook.secret = new_webhook_secret()
    webhook.save(update_fields=["secret"])
    audit(webhook.account_id, actor, "secret_regenerated", webhook)
    return webhook


@transaction.atomic
def resend_delivery(delivery: WebhookDelivery, *, actor: User) -> WebhookDelivery:
    """"Send again": a new delivery (new delivery id) of the same payload to the webhook's current URL."""
    webhook = delivery.webhook
    if webhook is None:
        raise DomainError(_("This webhook no longer exists."))
    copy = WebhookDelivery.objects.create(
        account_id=delivery.account_id, webhook=webhook, kind=delivery.kind, inbox_id=delivery.inbox_id,
        conversation_id=delivery.conversation_id, message_id=delivery.message_id, target_url=webhook.url,
        event=delivery.event, payload=delivery.payload, created_at=timezone.now())
    audit(delivery.account_id, actor, "resend", webhook, {"delivery_id": str(delivery.delivery_id)})
    transaction.on_commit(lambda: enqueue([copy.pk]), robust=True)
    return copy


# --- Change tracking for conversation_updated / conversation_status_changed -------------------

# The attributes whose change fires conversation_updated in Chatwoot (§9); labels are reported by set_labels.
TRACKED = ("status", "assignee_id", "assignee_agent_bot_id", "team_id", "snoozed_until", "custom_attributes",
           "waiting_since", "first_reply_created_at", "priority")


def tracked_state(conversation) -> dict:
    """The tracked attributes of a conversation instance, before a write (see conversation_written)."""
    state = {key: getattr(conversation, key, None) for key in TRACKED}
    state["custom_attributes"] = dict(state["custom_attributes"] or {})
    return state


def _wire(key: str, value):
    from conversations.models import Conversation

    if value is None:
        return None
    if key == "status":
        return Conversation.Status(value).name.lower()
    if key == "priority":
        return Conversation.Priority(value).name.lower()
    if hasattr(value, "isoformat"):
        from automations.webhook_payloads import iso_ms

        return iso_ms(value)
    return value


def conversation_written(conversation, before: dict, extra: dict | None = None) -> None:
    """After an action wrote `conversation`: conversation_updated with changed_attributes when a tracked
    attribute changed, plus conversation_status_changed (and conversation_opened/resolved for bots)."""
    after = tracked_state(conversation)
    changes = {key: (_wire(key, before[key]), _wire(key, after[key])) for key in TRACKED
               if before.get(key) != after[key]}
    changes.update(extra or {})
    if not changes:
        return
    events = []
    if "status" in changes:
        events.append("conversation_status_changed")
        if changes["status"][1] in ("open", "resolved"):
            events.append(f"conversation_{'opened' if changes['status'][1] == 'open' else 'resolved'}")
    emit([*events, "conversation_updated"], conversation_id=conversation.pk, changes=changes,
         conversation=conversation)


# --- Change tracking for inbox_updated ---------------------------------------------------------

# The inbox columns whose change Chatwoot reports (its previous_changes), by their JSON names.
INBOX_TRACKED = ("name", "greeting_enabled", "greeting_message", "working_hours_enabled", "out_of_office_message",
                 "timezone", "holidays", "enable_auto_assignment", "auto_assignment_config",
                 "lock_to_single_conversation", "allow_messages_after_resolved", "enable_email_collect",
                 "csat_survey_enabled", "csat_config", "sender_name_type", "business_name")


def inbox_state(inbox) -> dict:
    """The tracked attributes of an inbox as its JSON shows them, before a write (see inbox_written)."""
    from automations.webhook_payloads import iso_ms
    from inboxes.models import Inbox
    from inboxes.serializers import SENDER_NAME_TYPES

    state = {key: json.loads(json.dumps(getattr(inbox, key), cls=DjangoJSONEncoder)) for key in INBOX_TRACKED}
    state["sender_name_type"] = SENDER_NAME_TYPES[Inbox.SenderNameType(inbox.sender_name_type)]
    limit = inbox.max_assignment_limit  # {"max_assignment_limit": None} and {} both mean "no limit"
    state["auto_assignment_config"] = {"max_assignment_limit": limit} if limit else {}
    state["updated_at"] = iso_ms(inbox.updated_at)
    return state


def inbox_created(inbox) -> None:
    """inbox_created, queued once the creating transaction commits: the channel, members and hours the caller
    adds in the same transaction are then in the payload (Chatwoot also builds it after the commit)."""
    inbox_id = inbox.pk
    transaction.on_commit(lambda: emit("inbox_created", inbox_id=inbox_id), robust=True)


def inbox_written(inbox, before: dict) -> None:
    """After an action saved `inbox`: inbox_updated with changed_attributes after the commit, when a tracked
    attribute changed (updated_at is listed too, as in Chatwoot, but alone it is no change)."""
    after = inbox_state(inbox)
    changes = {key: (before[key], after[key]) for key in after if before.get(key) != after[key]}
    if set(changes) - {"updated_at"}:
        inbox_id = inbox.pk
        transaction.on_commit(lambda: emit("inbox_updated", inbox_id=inbox_id, changes=changes), robust=True)
