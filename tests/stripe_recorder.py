"""A loopback stand-in for the two parts of Stripe that localstripe lacks:
Checkout Sessions and the Billing Portal.

localstripe answers customers, payment methods, subscriptions and invoices,
but has no Checkout or Billing Portal. Rather than patch the SDK, the tests
point it (settings.STRIPE_API_BASE) at this recorder, so the real SDK still
builds and sends real HTTP requests. The recorder

- answers the Checkout and Billing Portal calls itself: it records the
  parameters the SDK sent and returns objects shaped like Stripe's;
- forwards every other request unchanged (method, path, query, body and
  headers) to localstripe and relays the answer, so customers and
  subscriptions stay real.

    recorder = StripeRecorder(upstream=localstripe_url).start()
    ...                          # the site creates a Checkout Session
    recorder.calls("POST", "/v1/checkout/sessions")  # -> [params, ...]
    recorder.complete_checkout(session_id, subscription="sub_...")
    recorder.stop()
"""

import http.client
import json
import re
import secrets
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

CHECKOUT = "/v1/checkout/sessions"
PORTAL = "/v1/billing_portal/sessions"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def decode_form(body):
    """Stripe's form encoding (`line_items[0][price]=x`) back into dicts and lists."""
    root = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        *parents, last = re.findall(r"[^\[\]]+", key)
        node = root
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = value
    return _with_lists(root)


def _with_lists(node):
    """{"0": a, "1": b} -> [a, b], all the way down."""
    if not isinstance(node, dict):
        return node
    node = {key: _with_lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


class StripeRecorder:
    def __init__(self, *, upstream):
        self.upstream = urlsplit(upstream)
        self.sessions = {}  # Checkout Sessions by id, as we would return them
        self._calls = []  # (method, path, params) of every answered Checkout/Portal call
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def calls(self, method, path):
        """The params of each recorded call to `method path`, oldest first."""
        with self._lock:
            return [params for m, p, params in self._calls if (m, p) == (method, path)]

    def complete_checkout(self, session_id, *, subscription):
        """What paying on the Checkout page does to the session."""
        with self._lock:
            self.sessions[session_id].update(status="complete", payment_status="paid", subscription=subscription)

    # What Stripe would answer

    def create_checkout_session(self, params):
        session_id = f"cs_test_{secrets.token_hex(16)}"
        now = int(time.time())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "customer": params.get("customer"),
            "client_reference_id": params.get("client_reference_id"),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "metadata": params.get("metadata", {}),
            "status": "open",
            "payment_status": "unpaid",
            "subscription": None,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "livemode": False,
            "created": now,
            "expires_at": now + 24 * 3600,
        }
        with self._lock:
            self._calls.append(("POST", CHECKOUT, params))
            self.sessions[session_id] = session
        return 200, session

    def retrieve_checkout_session(self, session_id):
        with self._lock:
            self._calls.append(("GET", f"{CHECKOUT}/{session_id}", {}))
            session = self.sessions.get(session_id)
        if session is None:
            message = f"No such checkout.session: '{session_id}'"
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": message}}
        return 200, dict(session)

    def create_portal_session(self, params):
        session_id = f"bps_{secrets.token_hex(12)}"
        with self._lock:
            self._calls.append(("POST", PORTAL, params))
        return 200, {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": params.get("customer"),
            "return_url": params.get("return_url"),
            "livemode": False,
            "created": int(time.time()),
            "url": f"https://billing.stripe.com/p/session/test_{secrets.token_hex(16)}",
        }

    def forward(self, method, target, headers, body):
        """Relay a request to localstripe as it came; return its answer as it came."""
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


@contextmanager
def serving(stripe_settings, localstripe, kind=StripeRecorder, *, real_checkout=True):
    """The site's SDK talks to a recorder of `kind` (a StripeRecorder, or one
    that answers some calls its own way), which passes the rest to localstripe."""
    recorder = kind(upstream=localstripe).start()
    stripe_settings.STRIPE_API_BASE = recorder.url
    if real_checkout:
        stripe_settings.STRIPE_OFFLINE_CHECKOUT = False  # the real Checkout path, which the recorder answers
    try:
        yield recorder
    finally:
        recorder.stop()


def _handler_for(recorder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.handle_any()

        def do_POST(self):
            self.handle_any()

        def do_DELETE(self):
            self.handle_any()

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            if self.command == "POST" and path == CHECKOUT:
                self.send_json(*recorder.create_checkout_session(decode_form(body.decode())))
            elif self.command == "GET" and path.startswith(CHECKOUT + "/") and path.count("/") == 4:
                self.send_json(*recorder.retrieve_checkout_session(path.rsplit("/", 1)[1]))
            elif self.command == "POST" and path == PORTAL:
                self.send_json(*recorder.create_portal_session(decode_form(body.decode())))
            else:
                headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP}
                status, response_headers, content = recorder.forward(self.command, self.path, headers, body)
                self.send_response(status)
                for key, value in response_headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        def send_json(self, status, payload):
            content = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format, *args):
            pass  # keep pytest's output clean

    return Handler
