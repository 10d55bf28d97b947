"""Reads for the website widget: the channel by its public token, the visitor behind an identity token, the
visitor's conversation and its public messages, allowed embedding origins and the business-hours status.

The visitor's identity is Chatwoot's widget token: a JWT (HS256, signed with SECRET_KEY) holding
{source_id, inbox_id, iat, exp}; the parent page keeps it in the `cw_conversation` cookie and the widget sends
it as `X-Auth-Token`. A token names one ContactInbox of one widget inbox; nothing else is trusted from it.
"""

import datetime as dt
import fnmatch
import time
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from contacts.models import ContactInbox
from conversations.models import Conversation, Message
from helpcenter.models import Article, Portal
from inboxes.models import Inbox, WebWidgetChannel

TOKEN_DAYS = 180  # Chatwoot's WIDGET_TOKEN_EXPIRY


def widget_by_token(website_token: str | None) -> WebWidgetChannel | None:
    """The widget channel with this public website token (its inbox and account loaded), or None."""
    if not website_token or len(website_token) > 64:
        return None
    return (WebWidgetChannel.objects.select_related("inbox", "inbox__account")
            .filter(website_token=website_token, inbox__channel_type=Inbox.ChannelType.WEB_WIDGET).first())


def issue_widget_token(contact_inbox: ContactInbox) -> str:
    """A signed identity token for the visitor (valid TOKEN_DAYS days)."""
    now = int(time.time())
    claims = {"source_id": contact_inbox.source_id, "inbox_id": contact_inbox.inbox_id, "iat": now,
              "exp": now + TOKEN_DAYS * 86400}
    return jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")


def visitor_from_token(channel: WebWidgetChannel, token: str | None) -> ContactInbox | None:
    """The ContactInbox a valid identity token names in this widget's inbox, or None (bad, expired, other inbox)."""
    if not token or len(token) > 2000:
        return None
    try:
        claims = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    if claims.get("inbox_id") != channel.inbox_id or not isinstance(claims.get("source_id"), str):
        return None
    return (ContactInbox.objects.select_related("contact", "inbox")
            .filter(inbox_id=channel.inbox_id, source_id=claims["source_id"]).first())


def visitor_conversation(contact_inbox: ContactInbox) -> Conversation | None:
    """The visitor's current conversation in the widget: the latest one of this contact inbox."""
    return (Conversation.objects.filter(contact_inbox=contact_inbox, inbox_id=contact_inbox.inbox_id)
            .select_related("assignee").order_by("-created_at", "-id").first())


def public_messages(conversation: Conversation) -> QuerySet[Message]:
    """What the visitor may read: never private notes nor activity lines (Chatwoot hides them from contacts)."""
    return (Message.objects.filter(conversation=conversation, private=False)
            .exclude(message_type=Message.MessageType.ACTIVITY).prefetch_related("attachments"))


def visitor_messages(conversation: Conversation, *, before: int | None = None, after: int | None = None,
                     limit: int = 20) -> list[Message]:
    """A page of the visitor's thread, oldest first: the `limit` latest, those before an id, or after one."""
    qs = public_messages(conversation)
    if after is not None:
        return list(qs.filter(pk__gt=after).order_by("id")[:100])
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(reversed(qs.order_by("-id")[:limit]))


def visitor_message(conversation: Conversation, message_id) -> Message | None:
    """One public message of the conversation, or None."""
    try:
        return public_messages(conversation).filter(pk=int(message_id)).first()
    except (TypeError, ValueError):
        return None


def widget_portal(channel: WebWidgetChannel) -> Portal | None:
    """The public help center linked to the widget's inbox, or None: restricted, password-protected and archived
    portals are never searchable from the widget (its visitors are anonymous)."""
    return (Portal.objects.filter(inbox_id=channel.inbox_id, archived=False, visibility=Portal.Visibility.PUBLIC)
            .order_by("id").first())


def widget_article(channel: WebWidgetChannel, article_id) -> Article | None:
    """A published article of a public help center linked to the widget's inbox, or None (another inbox's or
    account's portal, a draft, a restricted portal)."""
    try:
        article_id = int(article_id)
    except (TypeError, ValueError):
        return None
    return (Article.objects.select_related("portal")
            .filter(pk=article_id, status=Article.Status.PUBLISHED, portal__inbox_id=channel.inbox_id,
                    portal__archived=False, portal__visibility=Portal.Visibility.PUBLIC).first())


def origin_allowed(channel: WebWidgetChannel, origin: str | None) -> bool:
    """Whether a page at `origin` may embed the widget: any when no domain is configured, else a host match."""
    patterns = channel.domain_patterns
    if not patterns:
        return True
    if not origin:
        return False
    host = (urlsplit(origin).hostname or "").lower()
    port = urlsplit(origin).port
    candidates = {host, f"{host}:{port}"} if port else {host}
    return any(fnmatch.fnmatchcase(c, p) or (p.startswith("*.") and c == p[2:]) for c in candidates for p in patterns)


def frame_ancestors(channel: WebWidgetChannel) -> list[str]:
    """The CSP frame-ancestors of the widget frame: the allowed domains (http and https), or any site."""
    patterns = channel.domain_patterns
    if not patterns:
        return ["*"]
    sources = ["'self'"]
    for pattern in patterns:
        host = pattern if ":" in pattern else f"{pattern}:*"  # a domain without a port allows any port
        sources += [f"https://{host}", f"http://{host}"]
    return sources


def next_opening(inbox: Inbox, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the business opens next, in the inbox's time zone (None when always open or never within a week)."""
    if not inbox.working_hours_enabled:
        return None
    hours = {row.day_of_week: row for row in inbox.working_hours.all()}
    local = inbox.local_now(now)
    holidays = set(inbox.holidays or [])
    for offset in range(8):
        day = local + dt.timedelta(days=offset)
        row = hours.get((day.weekday() + 1) % 7)
        if row is None or row.closed_all_day or day.date().isoformat() in holidays:
            continue
        opens = day.replace(hour=0 if row.open_all_day else row.open_hour,
                            minute=0 if row.open_all_day else row.open_minutes, second=0, microsecond=0)
        if opens > local:
            return opens
    return None


def availability(inbox: Inbox, now: dt.datetime | None = None) -> dict:
    """{"online": bool, "next_opening": local datetime or None} for the widget header."""
    now = now or timezone.now()
    online = inbox.is_open_at(now)
    return {"online": online, "next_opening": None if online else next_opening(inbox, now)}
