"""The website widget's public pages: the loader script, the frame the bubble opens, and the inbox picture.

The frame may be embedded only by the widget's allowed domains (CSP frame-ancestors; X-Frame-Options off for
this view alone). It renders in the visitor's language (`locale`, else the browser's) with everything the
first paint needs inline as JSON, so opening the bubble costs one request plus two cached static files.
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from autonomia.api import NOT_FOUND
from helpcenter.rendering import FRAME_SOURCES
from inboxes.widget_api import widget_locale
from inboxes.widget_payloads import (
    config_json,
    conversation_json,
    messages_json,
    popular_articles_json,
    visitor_json,
)
from inboxes.widget_queries import (
    frame_ancestors,
    issue_widget_token,
    visitor_conversation,
    visitor_from_token,
    visitor_messages,
    widget_by_token,
    widget_portal,
)

SDK_PATH = Path(settings.BASE_DIR) / "static" / "widget" / "sdk.js"


@lru_cache(maxsize=1)
def _sdk_source() -> bytes:
    return SDK_PATH.read_bytes()


@require_GET
def sdk(request: HttpRequest) -> HttpResponse:
    """Chatwoot's loader path; any site may load it (the frame and API enforce the allowed domains)."""
    response = HttpResponse(_sdk_source() if not settings.DEBUG else SDK_PATH.read_bytes(),
                            content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _initial_state(channel, visitor) -> dict:
    conversation = visitor_conversation(visitor) if visitor else None
    # The help center is searched only before a chat starts (deflection), so its popular articles are needed
    # only then.
    portal = widget_portal(channel)
    return {
        "config": config_json(channel, portal=portal),
        "articles": popular_articles_json(portal) if conversation is None else [],
        "contact": visitor_json(visitor) if visitor else None,
        "conversation": conversation_json(conversation),
        "messages": messages_json(visitor_messages(conversation), conversation) if conversation else [],
        "auth_token": issue_widget_token(visitor) if visitor else "",
    }


@require_GET
@xframe_options_exempt
def frame(request: HttpRequest) -> HttpResponse:
    """The chat window inside the customer's page (`website_token`, `cw_conversation`, `locale`)."""
    channel = widget_by_token(request.GET.get("website_token"))
    if channel is None:
        return JsonResponse(NOT_FOUND, status=404)
    visitor = visitor_from_token(channel, request.GET.get("cw_conversation"))
    # As Chatwoot: chatwootSettings.locale (or the browser's, with useBrowserLanguage), else the account's.
    locale = widget_locale(request.GET.get("locale") or channel.inbox.account.locale)
    with translation.override(locale):
        state = _initial_state(channel, visitor)
        response = render(request, "widget/frame.html", {
            "channel": channel, "state": state, "locale": locale, "strings": widget_strings(),
            "html_lang": {"pt-br": "pt-BR"}.get(locale, locale), "dark": request.GET.get("dark_mode", "light"),
        })
    # Help-center articles opened inside the widget may show https images and YouTube/Vimeo players, as on the
    # portal's own article pages.
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": frame_ancestors(channel),
                            "img-src": [*settings.SECURE_CSP["img-src"], "https:"],
                            "frame-src": ["'self'", *FRAME_SOURCES]}
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the URL carries the visitor's token
    return response


@require_GET
def avatar(request: HttpRequest, website_token: str) -> HttpResponse:
    """The inbox picture shown in the widget header (public, like the widget itself)."""
    channel = widget_by_token(website_token)
    if channel is None or not channel.inbox.avatar:
        raise Http404
    response = FileResponse(channel.inbox.avatar.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def bot_avatar(request: HttpRequest, uid) -> HttpResponse:
    """A bot's picture on its messages in the widget (public, like Chatwoot's; named by the bot's random uid)."""
    from inboxes.models import AgentBot

    bot = AgentBot.objects.filter(uid=uid).exclude(avatar="").first()
    if bot is None:
        raise Http404
    response = FileResponse(bot.avatar.open("rb"), content_type="image/png")  # AvatarField stores PNG only
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def widget_strings() -> dict:
    """The frame's texts, in the active language (the script reads them from the page)."""
    from django.utils.translation import gettext as _

    return {
        "welcome_title": _("Hi there! 👋"),
        "welcome_tagline": _("We are here to help. Ask us anything."),
        "online": _("We are online"),
        "in_a_few_minutes": _("Typically replies in a few minutes"),
        "in_a_few_hours": _("Typically replies in a few hours"),
        "in_a_day": _("Typically replies in a day"),
        "away": _("We are away at the moment"),
        "back_at": _("We are away, back at %(time)s"),
        "back_on": _("We are away, back %(day)s at %(time)s"),
        "tomorrow": _("tomorrow"),
        "start": _("Start a conversation"),
        "prechat_intro": _("Please tell us a bit about you so we can help."),
        "full_name": _("Full name"),
        "email": _("Email"),
        "phone": _("Phone number"),
        "message": _("Message"),
        "required": _("This field is required."),
        "invalid_email": _("Enter a valid email address."),
        "invalid_phone": _("Enter the phone in international format, e.g. +5511912345678."),
        "invalid_value": _("Check this value."),
        "placeholder": _("Type your message…"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "remove_file": _("Remove file"),
        "close": _("Close chat"),
        "end": _("End conversation"),
        "resolved": _("This conversation was marked as resolved."),
        "new_conversation": _("Start a new conversation"),
        "typing": _("typing…"),
        "you": _("You"),
        "sending": _("Sending…"),
        "retrying": _("Not sent yet. Retrying when the connection is back…"),
        "failed": _("Not sent."),
        "retry": _("Retry"),
        "reconnecting": _("Reconnecting…"),
        "email_title": _("Get notified by email"),
        "email_help": _("Leave your email and we will reply there too if you leave this page."),
        "email_saved": _("Thanks! We will also reply to %(email)s."),
        "save": _("Save"),
        "older": _("Load earlier messages"),
        "download": _("Download"),
        "powered_by": _("Powered by Autonomia"),
        "team": _("Team"),
        "hc_title": _("Search for an answer"),
        "hc_placeholder": _("Search our help center"),
        "hc_popular": _("Popular articles"),
        "hc_searching": _("Searching…"),
        "hc_none": _("No articles found for “%(query)s”."),
        "hc_error": _("The search is not available right now."),
        "hc_back": _("Back"),
        "hc_open": _("Open in the help center"),
        "hc_still": _("Still need help?"),
        "loading": _("Loading…"),
    }
