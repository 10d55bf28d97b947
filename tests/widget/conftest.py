import hashlib
import hmac

import pytest

from inboxes import widget_actions


@pytest.fixture
def widget_inbox(account, agent):
    """A website inbox with its widget (any site may embed it) and the agent as member."""
    return widget_actions.create_web_widget_inbox(account, actor=None, name="Site", website_url="https://loja.com.br",
                                                  welcome_title="Olá!", member_ids=[agent.pk])


@pytest.fixture
def widget(widget_inbox):
    return widget_inbox.web_widget


def identifier_hash(channel, identifier: str) -> str:
    return hmac.new(channel.hmac_token.encode(), identifier.encode(), hashlib.sha256).hexdigest()


class WidgetClient:
    """The widget's calls through Django's test client, keeping the identity token like the frame does."""

    def __init__(self, client, channel, token: str = ""):
        self.client, self.channel, self.token = client, channel, token

    def call(self, method: str, path: str, data=None, *, multipart: bool = False, origin: str | None = None,
             query: str = ""):
        url = f"/api/v1/widget/{path}?website_token={self.channel.website_token}{query}"
        headers = {}
        if self.token:
            headers["X-Auth-Token"] = self.token
        if origin:
            headers["Origin"] = origin
        kwargs = {"headers": headers}
        if data is not None:
            if multipart:
                kwargs["data"] = data
            else:
                import json

                kwargs.update(data=json.dumps(data), content_type="application/json")
        response = getattr(self.client, method.lower())(url, **kwargs)
        if response.get("X-Auth-Token"):
            self.token = response["X-Auth-Token"]
        return response


@pytest.fixture
def visitor(client, widget):
    return WidgetClient(client, widget)
