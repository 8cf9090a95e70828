"""gunicorn's settings, read from the environment like the site's own:
`gunicorn -c config/gunicorn.py config.wsgi`. Every variable is optional.

Each worker runs a few threads (gthread): much of a request is waiting on
PostgreSQL (a commit's flush to disk), Redis or Stripe, and with threads
another request runs meanwhile; Django is thread-safe. The slow transfers
(static files from WhiteNoise aside, locked media and video) are handed to
nginx or object storage, so no thread waits on a slow client for long."""

import ctypes
import gc
import os
import time

# Address: host:port, or unix:/run/anatomy/gunicorn.sock behind nginx on the same machine.
bind = (os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000").split(",")
# gunicorn's rule of thumb: two per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS") or (os.cpu_count() or 1) * 2 + 1)
# Threads per worker. 2 served pages and the webhook as fast as 4 on the
# bench, with 2 to 3 MB less memory per worker; a second thread keeps a
# worker answering while one request waits on Stripe or the mail server.
# Each thread keeps its own database connection, so PostgreSQL sees up to
# workers x threads of them per instance. 1 means sync workers.
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
worker_class = "gthread" if threads > 1 else "sync"
# Connections a threaded worker holds at once (open keep-alive ones
# included); past it, it stops accepting and the other workers take them.
# gunicorn's default is 1000. The bench sets it low: see scripts/bench.py.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or 1000)
# A worker silent this long is killed and replaced. With threads this catches
# a hung worker, not a slow request: those are bounded by the timeouts of the
# clients they wait on (Stripe 15 s, Redis 1 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
# On restart or reload, requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
# Workers are recycled after about this many requests (jitter spreads the
# restarts), which bounds any slow growth of memory.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 1000)
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER") or 100)
# Only these proxies may set X-Forwarded-Proto (read by SECURE_PROXY_SSL_HEADER):
# nginx on this machine by default; the load balancer's addresses when scaled out.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
# Seconds an idle keep-alive connection stays open (threaded workers keep
# them). Longer than the client's or load balancer's idle time, so the client
# side closes first: when the server closes a connection just as a client
# reuses it, that request fails with no response at all (seen under load with
# gunicorn's 2 s default).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 75)
# Access and error logs to stdout/stderr: the journal (or the platform) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
# gunicorn 25's control socket lives at one path per user, so two instances
# would fight over it; it is off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Load the site once in the master and fork the workers from it, so they share
# its code and imported modules (copy-on-write) instead of each holding its own
# copy. The catch: HUP then restarts workers with the code the master loaded,
# so a deploy must restart gunicorn rather than reload it. Off by default.
preload_app = (os.environ.get("GUNICORN_PRELOAD") or "false").lower() in {"1", "true", "yes", "on"}


def when_ready(server):
    if preload_app:
        from importlib import import_module

        from django.conf import settings

        import_module(settings.ROOT_URLCONF)  # and with it every view, which workers would import on first request
        # Moves what is loaded out of the collector's reach: a collection in a
        # worker would otherwise write to every object and unshare its page.
        gc.freeze()


# glibc keeps memory that Python has freed (after a burst of requests, a few
# MB per worker) until it is asked to give it back. A worker asks at most
# once every this many seconds, after a request: about a millisecond each
# time. 0 turns it off.
trim_seconds = float(os.environ.get("GUNICORN_TRIM_SECONDS") or 1)
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's only
_trimmed_at = 0.0


def post_request(worker, req, environ, resp):
    global _trimmed_at
    if trim_seconds and _malloc_trim and time.monotonic() - _trimmed_at >= trim_seconds:
        _trimmed_at = time.monotonic()
        _malloc_trim(0)
