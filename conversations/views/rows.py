"""The rows of the agent's conversation list: what each row shows, rendered once and cached by its content.

A row's HTML is a pure function of a small dict of raw values (`row_values`), the language, the time zone and
the row template: `row_display` derives everything the template reads from that dict alone, and the cache key
is a digest of exactly those inputs, so any change that alters a row (contact name, labels
and their colours, unread count, last message, assignee, status, priority, inbox, time zone...) is a new key:
nothing has to invalidate anything, and a stale row cannot be served. The relative time ("5m") changes with
the clock, so it stays out of the cached HTML and is put in per request.
With 100 rows a page, rendering them was about half the list's server time (docs/benchmarks.md, B2).
"""

import hashlib
import logging
from types import SimpleNamespace

from django.core.cache import cache
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from autonomia.models import User
from contacts.models import Contact
from conversations.models import Conversation, Message
from conversations.templatetags.inbox_tags import CHANNEL_ICONS, hue, preview, short_time

logger = logging.getLogger(__name__)

PAGE_TEMPLATE = "conversations/inbox.html"
ROW_TEMPLATE = PAGE_TEMPLATE + "#conversation-row"
DEFAULT_LABEL_COLOR = "#94a3b8"
# Keys are content digests, so they never go stale; the timeout only bounds the memory of rows nobody reloads.
CACHE_SECONDS = 6 * 3600
# A user's text is escaped, so it can never produce this comment: it only marks where the relative time goes.
TIME_MARK = "<!--row-time-->"


def row_values(row: dict, colors: dict) -> dict:
    """The raw values a row shows, from a `browser_rows` dict (cheap to read); the cache key is their digest."""
    # The models' own rules for a contact's name and initials and an agent's name, on the loaded columns.
    contact = SimpleNamespace(pk=row["contact_id"], name=row["contact__name"], email=row["contact__email"],
                              phone_number=row["contact__phone_number"])
    assignee = None
    if row["assignee_id"]:
        assignee = User.available_name.fget(SimpleNamespace(
            display_name=row["assignee__display_name"], name=row["assignee__name"], email=row["assignee__email"]))
    last = None
    if row["last_message_id"]:
        last = (row["last_message__private"], row["last_message__message_type"],
                bool(row["last_message__content_attributes__deleted"]), row["last_message__content"])
    return {
        "display_id": row["display_id"],
        "unread": row["unread_count"],
        "name": Contact.display_name.fget(contact),
        "initials": Contact.initials.fget(contact),
        "priority": row["priority"],
        "status": row["status"],
        "at": row["last_activity_at"],
        "channel": row["inbox__channel_type"],
        "inbox": row["inbox__name"],
        "assignee": assignee,
        "last": last,
        "labels": tuple((title, colors.get(title, DEFAULT_LABEL_COLOR)) for title in row["labels"]),
    }


def row_display(values: dict, prefix: str) -> dict:
    """What the row template reads, derived from `row_values` alone (only for rows not in the cache)."""
    Priority, Status, MessageType = Conversation.Priority, Conversation.Status, Message.MessageType
    priority, status, last = values["priority"], values["status"], values["last"]
    kind = None
    if last is not None:
        private, message_type = last[0], last[1]
        kind = "note" if private else "reply" if message_type in (MessageType.OUTGOING, MessageType.TEMPLATE) else "in"
    return {
        **values,
        "url": f"{prefix}{values['display_id']}/",
        "hue": hue(values["name"]),
        "priority": None if priority is None else Priority(priority).name.lower(),
        "priority_label": None if priority is None else str(Priority(priority).label),
        "time_iso": values["at"].isoformat(),
        "time_title": date_format(timezone.localtime(values["at"]), "SHORT_DATETIME_FORMAT"),
        "inbox_icon": CHANNEL_ICONS.get(values["channel"].split("::")[-1].lower(), "inbox"),
        "status": None if status == Status.OPEN else Status(status).name.lower(),
        "status_label": None if status == Status.OPEN else str(Status(status).label),
        "last": kind,
        "deleted": last is not None and last[2],
        "preview": preview(last[3], limit=120) if last is not None and last[3] else "",
    }


def render_rows(conversations, colors: dict, account_id: int) -> SafeString:
    """The HTML of these list rows in order: cached rows from one get_many, the others rendered and stored."""
    rows = [row_values(c, colors) for c in conversations]
    # The account is part of the row's link: two accounts' rows with equal values must not share markup.
    base = (f"{_row_template_digest()}:{account_id}:{translation.get_language()}:"
            f"{timezone.get_current_timezone_name()}:")
    keys = ["convrow:" + hashlib.blake2b((base + repr(tuple(r.values()))).encode(), digest_size=20).hexdigest()
            for r in rows]
    found = _cache_call(cache.get_many, keys) or {}
    missing = {}
    if len(found) < len(keys):
        prefix = reverse("conversations:inbox", kwargs={"account_id": account_id})
        template = get_template(ROW_TEMPLATE)
        for key, row in zip(keys, rows, strict=True):
            if key not in found:
                context = {"row": row_display(row, prefix), "time_short": mark_safe(TIME_MARK)}
                found[key] = missing[key] = template.render(context)
    if missing:
        _cache_call(cache.set_many, missing, CACHE_SECONDS)
    now = timezone.now()
    return mark_safe("".join(found[key].replace(TIME_MARK, escape(short_time(row["at"], now=now)))
                             for key, row in zip(keys, rows, strict=True)))


def _cache_call(method, *args):
    """A cache outage makes the list slower, not broken: the rows are then rendered every time."""
    try:
        return method(*args)
    except Exception:
        logger.warning("conversation row cache unavailable", exc_info=True)
        return None


def _row_template_digest() -> str:
    """A digest of the page template's source, so a changed template never serves old markup (~20 µs)."""
    return hashlib.blake2b(get_template(PAGE_TEMPLATE).template.source.encode(), digest_size=8).hexdigest()
