"""The provider webhooks' own way in: Django's ASGI handler without the site's middleware.

A webhook POST needs none of it (no session, user, CSRF, locale, messages, CSP headers or static files), and
under ASGI the sync middleware costs thread hops on every request: skipping it roughly halves the CPU of an ack
(docs/benchmarks.md). autonomia/asgi.py sends the paths below here; the URL conf, the views (csrf_exempt,
signature checks) and Django's request limits are the same, and the views still check the Host header.
"""

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

PREFIXES = ("/webhooks/whatsapp/", "/webhooks/evolution/")


class WebhookHandler(ASGIHandler):
    """ASGIHandler with an empty middleware stack."""

    def load_middleware(self, is_async=False):
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        self._middleware_chain = convert_exception_to_response(
            self._get_response_async if is_async else self._get_response)


def with_provider_webhooks(app):
    """Wrap the site's ASGI app so provider webhook requests skip its middleware."""
    webhooks = WebhookHandler()

    async def router(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(PREFIXES):
            return await webhooks(scope, receive, send)
        return await app(scope, receive, send)

    return router
