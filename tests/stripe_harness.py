"""Stripe for the tests: localstripe (a real, stateful fake Stripe from PyPI)
on a loopback port, reached by the real SDK, plus signing of webhook payloads
with the endpoint secret, exactly as Stripe signs them."""

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "whsec_test_suite_secret"
EVENTS = Path(__file__).resolve().parent / "members" / "events"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_localstripe():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "members.localstripe_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/v1/balance", timeout=1).close()
        except OSError as error:
            if getattr(error, "code", None):  # any HTTP answer means it is up
                return process, url
            time.sleep(0.1)
        else:
            return process, url
    process.kill()
    raise RuntimeError(f"localstripe did not start: {process.stderr.read().decode()}")


def register_webhook(api_base, url, name="site"):
    data = f"url={url}&secret={WEBHOOK_SECRET}".encode()
    urllib.request.urlopen(urllib.request.Request(f"{api_base}/_config/webhooks/{name}", data=data), timeout=5).close()


def sign(payload, secret=WEBHOOK_SECRET, timestamp=None):
    timestamp = int(timestamp or time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event(kind, obj, *, event_id=None, created=None):
    """A current-shape event around `obj`, as Stripe would send it."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2025-09-30.clover",
            "created": int(created or time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
            "data": {"object": obj},
        }
    )


def event_from_file(name, **replacements):
    """A stored event payload (tests/members/events/NAME.json) with ids filled in."""
    text = (EVENTS / f"{name}.json").read_text()
    for key, value in replacements.items():
        text = text.replace("{{" + key + "}}", str(value))
    return text
