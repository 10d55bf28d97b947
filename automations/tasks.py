"""Webhook delivery: sign, POST, retry with backoff + jitter for ~24 h, then give up (targets.md §5.5).

Idempotent: an attempt first claims the row with a conditional UPDATE (due, not finished), so a duplicate
task, a sweeper re-enqueue or a redelivered Celery message never sends twice, and a succeeded delivery is
never re-sent. Retries are scheduled in the database (next_attempt_at); the Celery countdown is only the
wake-up, capped below the broker's visibility timeout, and the beat sweeper catches lost wake-ups.
"""

import datetime as dt
import functools
import logging
import random
import threading
import time

import urllib3
from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from automations.models import Webhook, WebhookDelivery
from automations.webhooks import UnsafeURL, check_url, encode_body, guarded_pool_manager, signed_headers

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status
Kind = WebhookDelivery.Kind

BACKOFF = [10, 60, 300, 1800, 7200, 21600, 43200]  # seconds; ~21 h in all, then a last try at 24 h
BOT_BACKOFF = [3, 10]  # agent bots: 3 attempts in ~15 s, then the pending conversation opens (§10)
LEASE = dt.timedelta(seconds=60)  # an attempt in flight; far above WEBHOOK_TIMEOUT
MAX_COUNTDOWN = 3000  # below CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
RETRYABLE_4XX = {408, 425, 429}
LOG_DAYS = 30


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> str:
    """Attempt one delivery now if it is due; schedule the next wake-up when it must be retried."""
    status, wait = attempt_delivery(delivery_id)
    if wait is not None and not (self.request.is_eager or self.request.called_directly):
        # Eager runs (tests, the embedded default) do not loop: the sweeper or the caller runs it again.
        raise self.retry(countdown=max(1, min(wait, MAX_COUNTDOWN)))
    return status


@shared_task
def retry_webhook_deliveries_task() -> int:
    """Beat sweeper: re-enqueue deliveries whose wake-up was lost (broker down, worker killed, embedded mode)."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__isnull=True, created_at__lte=now - dt.timedelta(seconds=30))
        | Q(status__in=[Status.PENDING, Status.FAILED], next_attempt_at__lte=now)).order_by("id")
    ids = list(due.values_list("pk", flat=True)[:500])
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    # The log keeps finished deliveries for LOG_DAYS; older ones are removed a batch at a time.
    old = WebhookDelivery.objects.filter(status__in=[Status.SUCCEEDED, Status.GAVE_UP],
                                         updated_at__lt=now - dt.timedelta(days=LOG_DAYS))
    WebhookDelivery.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:1000])).delete()
    return len(ids)


@functools.cache
def _claim_sql() -> str:
    """UPDATE … RETURNING: take the row when due and unfinished, and read it with its target's current URL,
    secret and health in the same statement (PostgreSQL and SQLite ≥ 3.35)."""
    from inboxes.models import ApiChannel

    quote = connection.ops.quote_name
    rows, hooks = quote(WebhookDelivery._meta.db_table), quote(Webhook._meta.db_table)
    channels = quote(ApiChannel._meta.db_table)

    def hook(column):
        return f"(SELECT {column} FROM {hooks} WHERE {hooks}.id = {rows}.webhook_id)"

    def channel(column):
        return f"(SELECT {column} FROM {channels} WHERE {channels}.inbox_id = {rows}.inbox_id)"

    return (f"UPDATE {rows} SET next_attempt_at = %s, attempts = attempts + 1, updated_at = %s "
            f"WHERE id = %s AND status IN (%s, %s) AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
            f"RETURNING *, {hook('url')} AS hook_url, {hook('secret')} AS hook_secret, "
            f"{hook('enabled')} AS hook_enabled, {hook('failing_since IS NOT NULL')} AS hook_failing, "
            f"{channel('webhook_url')} AS channel_url, {channel('secret')} AS channel_secret")


@functools.cache
def _finish_sql() -> str:
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    return (f"UPDATE {table} SET status = %s, last_status_code = %s, last_latency_ms = %s, last_error = %s, "
            f"next_attempt_at = %s, updated_at = %s WHERE id = %s")


def _claim(delivery_id: int) -> tuple[WebhookDelivery | None, float | None]:
    """Take the delivery for one attempt; (None, seconds to wait) when it is not due, (None, None) when done.

    One statement in the common case: the claim returns the row and its target (see _claim_sql).
    """
    now = timezone.now()
    params = [now + LEASE, now, delivery_id, Status.PENDING, Status.FAILED, now]
    claimed = list(WebhookDelivery.objects.raw(_claim_sql(), params))
    if claimed:
        return claimed[0], None
    row = WebhookDelivery.objects.filter(pk=delivery_id).values("status", "next_attempt_at").first()
    if row is None or row["status"] in (Status.SUCCEEDED, Status.GAVE_UP):
        return None, None
    return None, max(1.0, (row["next_attempt_at"] - now).total_seconds())


def attempt_delivery(delivery_id: int) -> tuple[str, float | None]:
    """One attempt. Returns (status, seconds until the next attempt or None when finished/not ours)."""
    delivery, wait = _claim(delivery_id)
    if delivery is None:
        return "skipped", wait
    target = _current_target(delivery)
    if isinstance(target, str):  # the target is gone or disabled: nothing to retry
        _finish(delivery, Status.GAVE_UP, error=target)
        return Status.GAVE_UP, None
    url, secret = target
    code, error, latency, retry_after = _post(delivery, url, secret)
    if code is not None and 200 <= code < 300:
        _finish(delivery, Status.SUCCEEDED, code=code, latency=latency)
        return Status.SUCCEEDED, None
    terminal = isinstance(error, UnsafeURL) or (code is not None and 400 <= code < 500
                                                and code not in RETRYABLE_4XX)
    message = str(error) if error is not None else _("HTTP %(code)s") % {"code": code}
    next_at = None if terminal else _next_attempt_at(delivery, retry_after)
    if next_at is None:
        _finish(delivery, Status.GAVE_UP, code=code, latency=latency, error=message)
        return Status.GAVE_UP, None
    _finish(delivery, Status.FAILED, code=code, latency=latency, error=message, next_at=next_at)
    return Status.FAILED, (next_at - timezone.now()).total_seconds()


def _current_target(delivery: WebhookDelivery) -> tuple[str, str] | str:
    """(url, secret) as they are now (read by the claim), so edits and secret rotation apply to retries; a
    reason string when the target is gone."""
    from inboxes.models import AgentBot

    if delivery.kind == Kind.ACCOUNT:
        if delivery.hook_url is None:
            return _("The webhook was deleted.")
        if not delivery.hook_enabled:
            return _("The webhook is disabled.")
        return delivery.hook_url, delivery.hook_secret
    if delivery.kind == Kind.API_INBOX:
        if not delivery.channel_url:
            return _("The inbox no longer has a webhook URL.")
        return delivery.channel_url, delivery.channel_secret
    bot = AgentBot.objects.filter(pk=delivery.agent_bot_id).first()
    if bot is None or not bot.outgoing_url:
        return _("The agent bot no longer has an outgoing URL.")
    return bot.outgoing_url, str((bot.bot_config or {}).get("secret") or "")


_local = threading.local()


def _pool() -> urllib3.PoolManager:
    """One keep-alive urllib3 pool manager per worker thread (a new connection per delivery was most of its
    cost, and requests' per-call set-up a tenth of its CPU).

    The guarded pools check the peer address when a connection opens, so reused connections stay checked; no
    proxy is read from the environment, so the peer check sees the real host.
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = guarded_pool_manager()
    return pool


def _post(delivery: WebhookDelivery, url: str, secret: str):
    """POST the payload once, never following redirects. Returns (status code, error, latency ms, retry-after)."""
    body = encode_body(delivery.payload)
    headers = signed_headers(secret, str(delivery.delivery_id), int(time.time()), body)
    started = time.monotonic()
    try:
        check_url(url)
        response = _pool().request("POST", url, body=body, headers=headers, redirect=False, retries=False,
                                   timeout=urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT,
                                                           read=settings.WEBHOOK_TIMEOUT))
    except UnsafeURL as error:  # raised by the peer check when the connection opens
        return None, error, None, None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        # NewConnectionError subclasses ConnectTimeoutError in urllib3: a refused connection is no timeout.
        if isinstance(error, urllib3.exceptions.TimeoutError) and not isinstance(
                error, urllib3.exceptions.NewConnectionError):
            return None, RuntimeError(_("Timed out after %(s)s s") % {"s": settings.WEBHOOK_TIMEOUT}), None, None
        return None, RuntimeError(str(error)[:500]), None, None
    latency = int((time.monotonic() - started) * 1000)
    retry_after = response.headers.get("Retry-After", "")
    retry_after = int(retry_after) if retry_after.isdigit() else None
    return response.status, None, latency, retry_after


def _next_attempt_at(delivery: WebhookDelivery, retry_after: int | None) -> dt.datetime | None:
    """Exponential backoff with jitter, honouring Retry-After; None once the retry window is over."""
    now = timezone.now()
    if delivery.kind == Kind.AGENT_BOT:
        if delivery.attempts > len(BOT_BACKOFF):
            return None
        return now + dt.timedelta(seconds=BOT_BACKOFF[delivery.attempts - 1])
    deadline = delivery.created_at + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    if now >= deadline:
        return None
    base = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    delay = max(base * random.uniform(0.5, 1.0), retry_after or 0)
    return min(now + dt.timedelta(seconds=delay), deadline)


def _finish(delivery: WebhookDelivery, status: str, *, code=None, latency=None, error="", next_at=None) -> None:
    """Record the attempt's outcome (one UPDATE), then the webhook's health and the give-up follow-ups."""
    with connection.cursor() as cursor:  # plain SQL: compiling the ORM's UPDATE cost as much CPU as running it
        cursor.execute(_finish_sql(), [status, code, latency, str(error)[:2000], next_at, timezone.now(),
                                       delivery.pk])
    delivery.status = status
    if delivery.kind == Kind.ACCOUNT and delivery.webhook_id:
        _track_webhook_health(delivery, succeeded=status == Status.SUCCEEDED, error=str(error))
    if status == Status.GAVE_UP:
        _after_giving_up(delivery, str(error))


def _track_webhook_health(delivery: WebhookDelivery, *, succeeded: bool, error: str = "") -> None:
    """failing_since marks the first failure of a streak; a streak older than the window disables the webhook.

    Written only when a streak starts or ends (the claim read it as hook_failing), so an attempt on a healthy
    webhook costs no statement here. A success racing the first failure of a streak may leave failing_since
    set; the next success clears it.
    """
    hooks = Webhook.objects.filter(pk=delivery.webhook_id)
    if succeeded:
        if delivery.hook_failing:
            hooks.filter(failing_since__isnull=False).update(failing_since=None)
        return
    now = timezone.now()
    if not delivery.hook_failing:
        hooks.filter(failing_since__isnull=True).update(failing_since=now)
    if delivery.status != Status.GAVE_UP:
        return
    window = dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    with override(delivery.account.locale or settings.LANGUAGE_CODE):
        reason = _("Disabled automatically: deliveries failed for %(hours)s hours (last error: %(error)s).") % {
            "hours": settings.WEBHOOK_RETRY_HOURS, "error": error}
    disabled = hooks.filter(enabled=True, failing_since__lte=now - window).update(
        enabled=False, disabled_reason=reason)
    if disabled:
        notify_webhook_disabled(delivery.webhook_id)


def _after_giving_up(delivery: WebhookDelivery, error: str) -> None:
    """A failed API-inbox message is marked failed for the agent; a bot that cannot be reached hands off."""
    from conversations import actions
    from conversations.models import Conversation, Message

    try:
        if delivery.kind == Kind.API_INBOX and delivery.event == "message_created" and delivery.message_id:
            message = Message.objects.filter(pk=delivery.message_id).first()
            if message is not None and message.is_outgoing and not message.private:
                actions.update_message_status(message, status=Message.Status.FAILED,
                                              external_error=_("Webhook delivery failed: %(error)s") % {
                                                  "error": error})
        elif (delivery.kind == Kind.AGENT_BOT and delivery.event in ("message_created", "message_updated")
              and delivery.conversation_id):
            conversation = Conversation.objects.filter(pk=delivery.conversation_id).first()
            if conversation is not None and conversation.is_pending:
                actions.change_status(conversation, actor=None, status=Conversation.Status.OPEN)
    except Exception:  # the delivery outcome is recorded; a follow-up failure must not undo it
        log.exception("follow-up of webhook delivery %s failed", delivery.pk)


def notify_webhook_disabled(webhook_id: int) -> None:
    """Email the account's administrators that a webhook was disabled."""
    from autonomia.models import AccountUser

    webhook = Webhook.objects.select_related("account").get(pk=webhook_id)
    emails = list(AccountUser.objects.filter(account_id=webhook.account_id, role=AccountUser.Role.ADMINISTRATOR,
                                             user__is_active=True).values_list("user__email", flat=True))
    if not emails:
        return
    with override(webhook.account.locale or settings.LANGUAGE_CODE):
        subject = _("Webhook disabled: %(name)s") % {"name": webhook.name or webhook.url}
        body = _("The webhook %(url)s of %(account)s failed for more than %(hours)s hours, so Autonomia stopped "
                 "sending events to it.\n\nFix the receiver, then enable the webhook again in Settings → "
                 "Webhooks:\n%(link)s\n") % {
            "url": webhook.url, "account": webhook.account.name, "hours": settings.WEBHOOK_RETRY_HOURS,
            "link": f"{settings.FRONTEND_URL}/app/accounts/{webhook.account_id}/settings/webhooks/{webhook.pk}/"}
    transaction.on_commit(lambda: _send(subject, body, emails), robust=True)


def _send(subject: str, body: str, emails: list[str]) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails)
    except Exception:  # a mail outage must not fail the delivery bookkeeping
        log.exception("could not email the administrators about a disabled webhook")
