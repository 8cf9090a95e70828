"""gunicorn on a free loopback port for `make bench` and `make loadtest`:
started with config/gunicorn.py and the run's settings, waited for, stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start(env, port, log):
    """gunicorn with `env` over this process's environment, its output in the file `log`."""
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env, "GUNICORN_BIND": f"{HOST}:{port}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited; see its log")
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer on port {port} within {timeout} s")


def stop(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
