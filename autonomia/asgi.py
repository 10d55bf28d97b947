"""The single entry point: HTTP and websockets (uvicorn in production, several identical processes)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autonomia.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from autonomia.consumers import AgentConsumer  # noqa: E402
from autonomia.embedded import with_embedded_scheduler  # noqa: E402
from autonomia.middleware import restore_underscore_headers  # noqa: E402
from inboxes.consumers_widget import WidgetConsumer  # noqa: E402
from inboxes.providers.whatsapp.asgi import with_provider_webhooks  # noqa: E402

websocket_urlpatterns = [
    path("ws/accounts/<int:account_id>/", AgentConsumer.as_asgi()),
]

agent_websockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
# The website widget's socket is opened from customers' sites: it checks the widget's allowed domains itself.
widget_websockets = URLRouter([path("ws/widget/", WidgetConsumer.as_asgi())])


async def websockets(scope, receive, send):
    app = widget_websockets if scope["path"] == "/ws/widget/" else agent_websockets
    return await app(scope, receive, send)


application = restore_underscore_headers(with_embedded_scheduler(ProtocolTypeRouter({
    "http": with_provider_webhooks(django_asgi_app),  # WhatsApp/Evolution webhooks skip the site's middleware
    "websocket": websockets,
})))
