"""WSGI entry for bench_api's gunicorn: the shop with bench/api_urls.py as its URLconf."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.test")
application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.api_urls"
