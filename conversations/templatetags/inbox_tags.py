"""Template helpers for the agent UI: icons, avatar hues, compact times, message rendering, filter links."""

import datetime as dt
import functools
import re
import zlib
from urllib.parse import urlencode

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from conversations.rendering import mention_text, render_markdown

register = template.Library()

# Lucide icons (ISC licence), inner SVG markup for a 24×24 stroke icon.
ICONS = {
    "conversations": '<path d="M21 15a2 2 0 01-2 2H7l-4 4V5a2 2 0 012-2h14a2 2 0 012 2z"/>',
    "contacts": '<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/>'
                '<path d="M22 21v-2a4 4 0 0 0-3-3.87"/><path d="M16 3.13a4 4 0 0 1 0 7.75"/>',
    "reports": '<path d="M3 3v18h18"/><path d="M18 17V9"/><path d="M13 17V5"/><path d="M8 17v-3"/>',
    "settings": '<path d="M12.22 2h-.44a2 2 0 00-2 2v.18a2 2 0 01-1 1.73l-.43.25a2 2 0 01-2 0l-.15-.08a2 2 0 '
                '00-2.73.73l-.22.38a2 2 0 00.73 2.73l.15.1a2 2 0 011 1.72v.51a2 2 0 01-1 1.74l-.15.09a2 2 0 '
                '00-.73 2.73l.22.38a2 2 0 002.73.73l.15-.08a2 2 0 012 0l.43.25a2 2 0 011 1.73V20a2 2 0 002 2h.44a2 '
                '2 0 002-2v-.18a2 2 0 011-1.73l.43-.25a2 2 0 012 0l.15.08a2 2 0 002.73-.73l.22-.39a2 2 0 '
                '00-.73-2.73l-.15-.08a2 2 0 01-1-1.74v-.5a2 2 0 011-1.74l.15-.09a2 2 0 00.73-2.73l-.22-.38a2 2 0 '
                '00-2.73-.73l-.15.08a2 2 0 01-2 0l-.43-.25a2 2 0 01-1-1.73V4a2 2 0 00-2-2z"/>'
                '<circle cx="12" cy="12" r="3"/>',
    "bell": '<path d="M18 8A6 6 0 006 8c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.73 21a2 2 0 01-3.46 0"/>',
    "inbox": '<path d="M2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.5-6.9c-.3-.7-1-1.1-1.8-1.1H7.2c-.7 0-1.4.4-1.8 '
             '1.1Z"/><path d="M22 13h-4c-.8 0-1.5.3-2.1.9l-1.1.9c-1.6 1.6-4.1 1.6-5.7 0L8 13.9c-.5-.6-1.2-.9-2-.9H2"/>',
    "tag": '<path d="M3 11.172a2 2 0 0 0 .586 1.414l8.106 7.927a2 2 0 0 0 2.616 0l6.198-6.196a2 2 0 0 0 '
           '0-2.633l-7.921-8.098A2 2 0 0 0 11.173 3H5a2 2 0 0 0-2 2z"/><circle cx="8" cy="8" r=".5"/>',
    "at": '<circle cx="12" cy="12" r="4"/><path d="M16 8v5a3 3 0 006 0v-1a10 10 0 10-3.92 7.94"/>',
    "search": '<circle cx="11" cy="11" r="8"/><path d="m21 21-4.3-4.3"/>',
    "user": '<path d="M19 21v-2a4 4 0 0 0-4-4H9a4 4 0 0 0-4 4v2"/><circle cx="12" cy="7" r="4"/>',
    "user-x": '<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/>'
              '<path d="m17 8 5 5"/><path d="m22 8-5 5"/>',
    "team": '<path d="M18 21a8 8 0 0 0-16 0"/><circle cx="10" cy="8" r="5"/><path d="M22 20c0-3.37-2-6.5-4-8a5 5 0 '
            '0 0-.45-8.3"/>',
    "chevron-down": '<path d="m6 9 6 6 6-6"/>',
    "chevron-left": '<path d="m15 18-6-6 6-6"/>',
    "chevron-right": '<path d="m9 18 6-6-6-6"/>',
    "arrow-left": '<path d="m12 19-7-7 7-7"/><path d="M19 12H5"/>',
    "check": '<path d="M20 6 9 17l-5-5"/>',
    "check-check": '<path d="M18 6 7 17l-5-5"/><path d="m22 10-7.5 7.5L13 16"/>',
    "x": '<path d="M18 6 6 18"/><path d="m6 6 12 12"/>',
    "paperclip": '<path d="m16 6-8.414 8.586a2 2 0 0 0 2.829 2.829l8.414-8.586a4 4 0 1 0-5.657-5.657l-8.379 8.551a6 '
                 '6 0 1 0 8.485 8.485l8.379-8.551"/>',
    "send": '<path d="M14.536 21.686a.5.5 0 0 0 .937-.024l6.5-19a.496.496 0 0 0-.635-.635l-19 6.5a.5.5 0 0 '
            '0-.024.937l7.93 3.18a2 2 0 0 1 1.112 1.11z"/><path d="m21.854 2.147-10.94 10.939"/>',
    "lock": '<rect width="18" height="11" x="3" y="11" rx="2" ry="2"/><path d="M7 11V7a5 5 0 0 1 10 0v4"/>',
    "clock": '<circle cx="12" cy="12" r="10"/><path d="M12 6v6l4 2"/>',
    "alert": '<circle cx="12" cy="12" r="10"/><path d="M12 8v4"/><path d="M12 16h.01"/>',
    "file": '<path d="M15 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V7Z"/><path d="M14 2v4a2 2 0 0 0 2 '
            '2h4"/>',
    "download": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><path d="m7 10 5 5 5-5"/><path d="M12 15V3"/>',
    "phone": '<path d="M22 16.92v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6 19.79 19.79 0 0 '
             '1-3.07-8.67A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72 12.84 12.84 0 0 0 .7 2.81 2 2 0 0 1-.45 2.11L8.09 '
             '9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45 12.84 12.84 0 0 0 2.81.7A2 2 0 0 1 22 16.92z"/>',
    "mail": '<rect width="20" height="16" x="2" y="4" rx="2"/><path d="m22 7-8.97 5.7a1.94 1.94 0 0 1-2.06 0L2 7"/>',
    "building": '<path d="M6 22V4a2 2 0 0 1 2-2h8a2 2 0 0 1 2 2v18"/><path d="M6 12H4a2 2 0 0 0-2 2v6a2 2 0 0 0 2 '
                '2h16a2 2 0 0 0 2-2v-9a2 2 0 0 0-2-2h-2"/><path d="M10 6h4"/><path d="M10 10h4"/>'
                '<path d="M10 14h4"/><path d="M10 18h4"/>',
    "map-pin": '<path d="M20 10c0 6-8 12-8 12s-8-6-8-12a8 8 0 0 1 16 0Z"/><circle cx="12" cy="10" r="3"/>',
    "keyboard": '<rect x="2" y="4" width="20" height="16" rx="2" ry="2"/><path d="M6 8h.001"/><path d="M10 8h.001"/>'
                '<path d="M14 8h.001"/><path d="M18 8h.001"/><path d="M8 12h.001"/><path d="M12 12h.001"/>'
                '<path d="M16 12h.001"/><path d="M7 16h10"/>',
    "log-out": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><path d="m16 17 5-5-5-5"/><path d="M21 12H9"/>',
    "globe": '<circle cx="12" cy="12" r="10"/><path d="M2 12h20"/><path d="M12 2a15.3 15.3 0 0 1 4 10 15.3 15.3 0 0 '
             '1-4 10 15.3 15.3 0 0 1-4-10 15.3 15.3 0 0 1 4-10z"/>',
    "code": '<path d="m16 18 6-6-6-6"/><path d="m8 6-6 6 6 6"/>',
    "whatsapp": '<path d="m3 21 1.9-5.7a8.5 8.5 0 1 1 3.8 3.8L3 21"/><path d="M9 10a.5.5 0 0 0 1 0V9a.5.5 0 0 0-1 '
                '0v1a5 5 0 0 0 5 5h1a.5.5 0 0 0 0-1h-1a.5.5 0 0 0 0 1"/>',
    "message-circle": '<path d="m3 21 1.9-5.7a8.5 8.5 0 1 1 3.8 3.8L3 21"/>',
    "telegram": '<path d="m22 2-7 20-4-9-9-4Z"/><path d="M22 2 11 13"/>',
    "instagram": '<rect width="20" height="20" x="2" y="2" rx="5" ry="5"/><path d="M16 11.37A4 4 0 1 1 12.63 8 4 4 0 '
                 '0 1 16 11.37z"/><path d="M17.5 6.5h.01"/>',
    "facebook": '<path d="M18 2h-3a5 5 0 0 0-5 5v3H7v4h3v8h4v-8h3l1-4h-4V7a1 1 0 0 1 1-1h3z"/>',
    "sms": '<rect width="14" height="20" x="5" y="2" rx="2" ry="2"/><path d="M12 18h.01"/>',
    "panel-right": '<rect width="18" height="18" x="3" y="3" rx="2"/><path d="M15 3v18"/>',
    "flag": '<path d="M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z"/><path d="M4 22v-7"/>',
    "rotate": '<path d="M3 12a9 9 0 1 0 9-9 9.75 9.75 0 0 0-6.74 2.74L3 8"/><path d="M3 3v5h5"/>',
    "circle-check": '<circle cx="12" cy="12" r="10"/><path d="m9 12 2 2 4-4"/>',
    "sort": '<path d="m21 16-4 4-4-4"/><path d="M17 20V4"/><path d="m3 8 4-4 4 4"/><path d="M7 4v16"/>',
    "filter": '<path d="M22 3H2l8 9.46V19l4 2v-8.54L22 3z"/>',
    "plus": '<path d="M5 12h14"/><path d="M12 5v14"/>',
    "pencil": '<path d="M17 3a2.85 2.83 0 1 1 4 4L7.5 20.5 2 22l1.5-5.5Z"/><path d="m15 5 4 4"/>',
    "image": '<rect width="18" height="18" x="3" y="3" rx="2" ry="2"/><circle cx="9" cy="9" r="2"/>'
             '<path d="m21 15-3.086-3.086a2 2 0 0 0-2.828 0L6 21"/>',
    "menu": '<path d="M4 12h16"/><path d="M4 6h16"/><path d="M4 18h16"/>',
    "note": '<path d="M15.5 3H5a2 2 0 0 0-2 2v14c0 1.1.9 2 2 2h14a2 2 0 0 0 2-2V8.5L15.5 3Z"/><path d="M15 3v6h6"/>',
    "reply": '<path d="m9 17-5-5 5-5"/><path d="M20 18v-2a4 4 0 0 0-4-4H4"/>',
    "hash": '<path d="M4 9h16"/><path d="M4 15h16"/><path d="M10 3 8 21"/><path d="M16 3l-2 18"/>',
    "more": '<circle cx="12" cy="12" r="1"/><circle cx="12" cy="5" r="1"/><circle cx="12" cy="19" r="1"/>',
    "external": '<path d="M15 3h6v6"/><path d="M10 14 21 3"/><path d="M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 '
                '1-2-2V8a2 2 0 0 1 2-2h6"/>',
    "moon": '<path d="M12 3a6 6 0 0 0 9 9 9 9 0 1 1-9-9Z"/>',
    "zap": '<path d="M13 2 3 14h9l-1 8 10-12h-9l1-8z"/>',
    "slash": '<rect width="18" height="18" x="3" y="3" rx="2"/><path d="m9 15 6-6"/>',
}

CHANNEL_ICONS = {
    "api": "code", "webwidget": "globe", "email": "mail", "whatsapp": "whatsapp", "facebookpage": "facebook",
    "instagram": "instagram", "sms": "sms", "twiliosms": "sms", "telegram": "telegram",
}


@register.simple_tag
@functools.lru_cache(maxsize=512)
def icon(name: str, size: int = 16, css: str = "") -> str:
    """An inline SVG icon (decorative: hidden from screen readers; label the control instead).

    Cached: a list page draws the same few icons hundreds of times.
    """
    body = ICONS.get(name, ICONS["message-circle"])
    return format_html(
        '<svg class="icon {}" width="{}" height="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">{}</svg>',
        css, size, size, mark_safe(body),
    )


@register.filter
def channel_icon(inbox) -> str:
    """Icon name for an inbox's channel."""
    return CHANNEL_ICONS.get(getattr(inbox, "channel_key", ""), "inbox")


@register.filter
def hue(value) -> int:
    """A stable hue (0–359) for an avatar, from a name or id."""
    return zlib.crc32(str(value or "").encode()) % 360


@register.filter
def markdown(text) -> str:
    return render_markdown(text)


MARKDOWN_MARKS = re.compile(r"(\*\*|__|~~|`+|^\s*(?:>|[-*+]|\d+\.)\s+)", re.MULTILINE)


@register.filter
def preview(text, limit: int | None = None) -> str:
    """Plain one-line preview of a message: mentions as @Name, the commonest Markdown marks dropped.

    With `limit`, cut to that many characters with an ellipsis (like truncatechars, without its cost).
    """
    text = " ".join(MARKDOWN_MARKS.sub("", mention_text(text)).split())
    return text if limit is None or len(text) <= limit else text[:limit - 1].rstrip() + "…"


@register.filter
def short_time(value, now=None) -> str:
    """Compact relative time for list rows: now, 5m, 3h, 2d, then a date."""
    if not value:
        return ""
    seconds = ((now or timezone.now()) - value).total_seconds()
    if seconds < 60:
        return _("now")
    if seconds < 3600:
        return _("%(n)dm") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)dh") % {"n": seconds // 3600}
    if seconds < 86400 * 7:
        return _("%(n)dd") % {"n": seconds // 86400}
    local = timezone.localtime(value)
    return local.strftime("%d/%m/%y") if local.year != timezone.localtime().year else local.strftime("%d/%m")


@register.filter
def message_time(value) -> str:
    """HH:MM today, else DD/MM HH:MM (in the viewer's time zone)."""
    if not value:
        return ""
    local, today = timezone.localtime(value), timezone.localtime().date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today - dt.timedelta(days=1):
        return _("yesterday %(time)s") % {"time": local.strftime("%H:%M")}
    return local.strftime("%d/%m %H:%M")


@register.simple_tag
def qs(filters, **overrides) -> str:
    """The list's query string for these filters with some values replaced (None drops a key)."""
    params = filters.as_params(**overrides) if filters is not None else {}
    return urlencode({k: v for k, v in params.items() if v is not None})


@register.simple_tag
def folder_qs(**params) -> str:
    """A folder's query string: only the given scope, every other filter back to its default."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@register.filter
def sender_name(sender) -> str:
    """Who wrote a message: agent, contact or bot name."""
    if sender is None:
        return _("System")
    return (getattr(sender, "available_name", None) or getattr(sender, "display_name", None)
            or getattr(sender, "name", None) or "?")


@register.filter
def initials(name) -> str:
    parts = str(name or "").split()
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def url_name(file_name) -> str:
    """A file name usable as the last URL segment of the attachment view."""
    return (str(file_name or "").replace("/", "_").replace("\\", "_").strip() or "file")[:200]


@register.simple_tag(takes_context=True)
def unread_notifications(context, account_user) -> int:
    """The bell count for base.html: the view's own count when it has one, else one query (0 outside an account)."""
    if account_user is None:
        return 0
    if context.get("unread_notifications") is not None:
        return context["unread_notifications"]
    if getattr(account_user, "unread_notifications", None) is not None:  # loaded with the membership
        return account_user.unread_notifications
    from conversations.queries import unread_notification_count

    return unread_notification_count(account_user)


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return (mapping or {}).get(key)
