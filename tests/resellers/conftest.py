"""Reseller API fixtures: a funded reseller with a key, a client that sends it, and a
stand-in for the reseller's callback receiver (a real HTTP server on 127.0.0.1)."""

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from catalog.services import catalog_reprice_product
from resellers.services import api_key_create
from tests.orders.fixtures import fund, make_user

GAME_BODY = {"user_id": "12345678"}


class ApiClient:
    """django.test.Client that sends `Authorization: Bearer <key>` and JSON."""

    def __init__(self, key: str = "", **extra):
        self.client = Client()
        self.key = key
        self.extra = extra

    def _headers(self, key):
        key = self.key if key is None else key
        headers = dict(self.extra)
        if key:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        return headers

    def get(self, path, params=None, *, key=None):
        return self.client.get(path, params or {}, **self._headers(key))

    def post(self, path, body, *, key=None):
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.client.post(path, raw, content_type="application/json", **self._headers(key))


@pytest.fixture
def priced_product(product):
    return catalog_reprice_product(product=product)


@pytest.fixture
def funded_reseller(reseller):
    fund(reseller, Decimal("50000"))
    return reseller


@pytest.fixture
def api(funded_reseller, priced_product) -> ApiClient:
    _key, raw = api_key_create(user=funded_reseller, name="test")
    return ApiClient(raw)


@pytest.fixture
def other_api(priced_product) -> ApiClient:
    other = make_user("other", reseller=True)
    fund(other, Decimal("50000"))
    _key, raw = api_key_create(user=other, name="other")
    return ApiClient(raw)


class Receiver:
    """Records each POST; answers with the scripted statuses in turn (then the last one)."""

    def __init__(self, ssl_context=None):
        self.requests: list[dict] = []
        self.statuses = [200]
        self.delay = 0.0
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        scheme = "http"
        if ssl_context is not None:  # https: the handshake runs on accept
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                index = min(len(receiver.requests), len(receiver.statuses)) - 1
                time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.statuses[index])
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
