"""Cross-tenant isolation generated from the URL conf, security headers, and the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def account_routes():
    """Every URL pattern that takes an account_id, with its full route string."""
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<int:account_id>" in route:
                found.append(route)

    walk(get_resolver().url_patterns)
    return found


def fill(route: str, account_id: int, object_id: int) -> str:
    import re

    path = route.replace("<int:account_id>", str(account_id))
    path = re.sub(r"<int:\w+>", str(object_id), path)
    path = re.sub(r"<(?:str|slug):\w+>", "x", path)
    return "/" + path


def test_the_app_has_account_routes():
    assert len(account_routes()) > 20


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_every_account_url(method, outsider_client, account, conversation, admin):
    """T1: a user of another account gets 404 for every page and action of this account, and nothing changes."""
    from conversations.models import Conversation, Message

    before = (Message.objects.count(), Conversation.objects.get(pk=conversation.pk).status)
    for route in account_routes():
        url = fill(route, account.pk, conversation.display_id)
        response = getattr(outsider_client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} → {response.status_code}"
    assert (Message.objects.count(), Conversation.objects.get(pk=conversation.pk).status) == before


def test_anonymous_is_sent_to_login(client, account):
    for route in account_routes():
        url = fill(route, account.pk, 1)
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_html_responses_carry_a_strict_csp_and_nosniff(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'", "script-src 'self' 'nonce-"):
        assert directive in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_cross_site_post_without_csrf_token_is_refused(admin, conversation):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(f"/app/accounts/{conversation.account_id}/conversations/{conversation.display_id}/status/",
                           {"status": "resolved"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


def test_deploy_check_passes_with_production_settings(tmp_path):
    """T27: `check --deploy` is clean when configured for production by environment."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "autonomia.settings",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "REDIS_URL": "redis://127.0.0.1:6379/0",
           "SECRET_KEY": "x" * 30 + "-a-long-and-random-production-secret-key-value", "DEBUG": "0",
           "ALLOWED_HOSTS": "chat.example.com", "HTTPS": "1", "EMAIL_HOST": "smtp.example.com", "AUTONOMIA_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
