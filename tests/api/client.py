"""A one-call JSON API client for the fast (in-process) API tests."""

import json

from django.test import Client

from autonomia.queries import api_token_for


def call(user, method: str, path: str, body=None, *, bearer: bool = False, raw: str | None = None):
    """`method path` as `user` with their API token (header `api_access_token`, or Bearer); `raw` sends bytes as-is."""
    token = api_token_for("User", user.pk)
    return call_with_token(token, method, path, body, bearer=bearer, raw=raw)


def call_with_token(token: str, method: str, path: str, body=None, *, bearer: bool = False, raw: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if bearer else {"HTTP_API_ACCESS_TOKEN": token}
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    kwargs = {"data": data, "content_type": "application/json"} if data is not None else {}
    return getattr(Client(), method.lower())(path, **kwargs, **headers)
