"""Request middleware: the user's language and time zone, and the ASGI header fix."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class UserLocaleMiddleware:
    """Activate the signed-in user's language and time zone (else the default, pt-BR)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        tz_name = None
        if user is not None and user.is_authenticated:
            language = user.locale or None
            tz_name = user.timezone or None
        # Signed-out pages (sign-in, password reset) offer a language switch: ?lang=en.
        if request.GET.get("lang") in LANGUAGE_CODES:
            request.session["language"] = request.GET["lang"]
        language = language or request.session.get("language")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        if tz_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        translation.deactivate()
        timezone.deactivate()
        return response


def restore_underscore_headers(app):
    """Rename the `api_access_token` header so Django's ASGI request keeps it (Chatwoot clients send it)."""

    async def wrapper(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope, headers=[
                (b"api-access-token" if key == b"api_access_token" else key, value)
                for key, value in scope["headers"]
            ])
        return await app(scope, receive, send)

    return wrapper
