"""The embedded default: SQLite, no Redis, periodic jobs running inside the web process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import datetime as dt
from django.utils import timezone
from autonomia.actions import create_account
from conversations import actions
from conversations.models import Conversation
from contacts.models import Contact
from inboxes.actions import create_inbox
p = create_account(name="Embutida", email="e@example.com", password="x-secret-123")
inbox = create_inbox(p.account, actor=p.user, name="Site")
c = actions.create_conversation(inbox, contact=Contact.objects.create(account=p.account, name="Zé"))
actions.change_status(c, actor=p.user, status=Conversation.Status.SNOOZED,
                      snoozed_until=timezone.now() + dt.timedelta(seconds=2))
print(c.pk)
"""


def embedded_env(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DJANGO_SETTINGS_MODULE": "autonomia.settings", "AUTONOMIA_VAR_DIR": str(var_dir)})
    return env


def manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120, **kwargs)


def test_snoozed_conversation_wakes_up_without_redis_or_celery(tmp_path):
    env = embedded_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v0")
    conversation_id = int(manage(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "autonomia.asgi:application", "--port", str(port),
                               "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        check = (f"from conversations.models import Conversation; "
                 f"print(Conversation.objects.get(pk={conversation_id}).status)")
        deadline = time.monotonic() + 40
        status = None
        while time.monotonic() < deadline:
            time.sleep(2)
            status = manage(env, "shell", "-c", check).stdout.strip().splitlines()[-1]
            if status == "0":
                break
        assert status == "0", "the embedded scheduler did not reopen the snoozed conversation"
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=10)
