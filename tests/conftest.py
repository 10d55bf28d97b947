"""Personas (admin, agent-in-inbox, outsider-in-another-account) and live-server fixtures."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from autonomia.models import AccountUser
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Each test starts with no cached keys (rate-limit counters, presence) of its own process.

    Only this process's prefix is deleted: cache.clear() would FLUSHDB the Redis that other xdist
    workers and the channel layer are using at the same time.
    """
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture
def account(db):
    return factories.make_account("Loja Exemplo")


@pytest.fixture
def other_account(db):
    return factories.make_account("Outra Empresa")


@pytest.fixture
def admin(account):
    return factories.make_member(account, factories.make_user("admin@example.com", "Ana Admin"),
                                 role=AccountUser.Role.ADMINISTRATOR)


@pytest.fixture
def agent(account):
    return factories.make_member(account, factories.make_user("agent@example.com", "Bruno Agente"))


@pytest.fixture
def outsider(other_account):
    return factories.make_member(other_account, factories.make_user("outsider@example.com", "Olga Fora"),
                                 role=AccountUser.Role.ADMINISTRATOR)


@pytest.fixture
def inbox(account, agent):
    return factories.make_inbox(account, name="Suporte", members=[agent])


@pytest.fixture
def other_inbox(account):
    return factories.make_inbox(account, name="Financeiro")


@pytest.fixture
def contact(account):
    return factories.make_contact(account, name="Carla Cliente", email="carla@cliente.com",
                                  phone_number="+5511912345678")


@pytest.fixture
def conversation(inbox, contact):
    return factories.make_conversation(inbox, contact=contact)


def _client_for(client_class, user):
    c = client_class()
    c.force_login(user)
    return c


@pytest.fixture
def admin_client(admin):
    from django.test import Client

    return _client_for(Client, admin)


@pytest.fixture
def agent_client(agent):
    from django.test import Client

    return _client_for(Client, agent)


@pytest.fixture
def outsider_client(outsider):
    from django.test import Client

    return _client_for(Client, outsider)


# --- Live ASGI servers (uvicorn subprocesses on the test database) ----------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"


def start_asgi_server(extra_env: dict | None = None) -> LiveServer:
    """Start `uvicorn autonomia.asgi:application` against this test run's database and Redis."""
    db = settings.DATABASES["default"]
    port = free_port()
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "autonomia.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATELIMIT_ENABLE": "0",
        "TEST_REDIS_NAMESPACE": settings.CACHES["default"]["KEY_PREFIX"],
        **(extra_env or {}),
    })
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "autonomia.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--ws-per-message-deflate", "false", "--log-level", "warning", "--lifespan", "off"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return LiveServer(process, port)
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the ASGI server did not start")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def live_server_asgi(transactional_db):
    """One uvicorn process serving HTTP and websockets on the test database (data must be committed)."""
    server = start_asgi_server()
    yield server
    stop_server(server)


@pytest.fixture
def session_cookie_for():
    """Make a logged-in session cookie for a user, usable by browsers and websocket clients."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    def make(user) -> dict:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key}

    return make


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (the machine cannot download Playwright's own browsers)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()
