"""WSGI entry for bench_api's gunicorn: the shop with bench/api_urls.py as its URLconf, and
the order's lock-to-commit time recorded when BENCH_LOCK_TIMES_DIR is set."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.test")
application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.api_urls"
if os.environ.get("BENCH_LOCK_TIMES_DIR"):
    from bench import lock_times

    lock_times.install()
