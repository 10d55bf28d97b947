"""Test settings: PostgreSQL and Redis as in production, with the few overrides tests need."""

import os
import tempfile
from pathlib import Path

# Tests run against the real services; the test command starts them when they are stopped.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/autonomia")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("CELERY_TASK_EAGER_PROPAGATES", "1")
os.environ.setdefault("HTTPS", "0")
# Each test process (xdist worker) gets its own channel-layer and cache namespace on the shared Redis.
# The pid, not the inherited environment: workers inherit the controller's variables. Live servers
# started by a test are handed their parent's namespace in TEST_REDIS_NAMESPACE.
_worker = os.environ.get("TEST_REDIS_NAMESPACE") or f"test-{os.getpid()}"
os.environ["CHANNEL_LAYER_PREFIX"] = _worker

from autonomia.settings import *  # noqa: E402,F403

DATABASES["default"]["OPTIONS"] = {}  # noqa: F405  (no pool: pytest-django manages connections)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CACHES["default"]["KEY_PREFIX"] = _worker  # noqa: F405
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"autonomia-{_worker}-media"
