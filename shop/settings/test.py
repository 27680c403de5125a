"""Test settings: real PostgreSQL and Redis on localhost.

`TEST_DATABASE_URL` and `TEST_REDIS_URL` point elsewhere when needed. The environment is
filled in before the shared settings read it, so tests run the same code paths as production.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop"),
)
os.environ.setdefault("REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
# Threaded tests open one connection per thread: the pool would make them queue.
os.environ.setdefault("DATABASE_POOL", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SIMULATORS_ENABLED", "true")
os.environ.setdefault("SIMULATOR_PENDING_SECONDS", "1")
os.environ.setdefault("SIMULATOR_SLOW_SECONDS", "3")
os.environ.setdefault("PROVIDER_READ_TIMEOUT", "1.5")
# Every test calls the callbacks from 127.0.0.1: the bucket stays on (the same code path),
# wide enough for the fuzz runs; tests of the limit set their own.
os.environ.setdefault("WEBHOOK_UNVERIFIED_PER_MINUTE", "1000000")
# Account checks ask a provider before every sale of a brand with a lookup: off for the
# suite (no stray calls to a simulator that is not served); the tests of the checks turn
# them on (tests/providers/account_check/), and set their own rate limits.
os.environ.setdefault("ACCOUNT_CHECKS_ENABLED", "false")
os.environ.setdefault("ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE", "1000000")
os.environ.setdefault("ACCOUNT_CHECKS_PER_KEY_PER_MINUTE", "1000000")

from shop.settings.base import *  # noqa: F403
from shop.settings.base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run in the test's own process unless a test starts a real worker (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
