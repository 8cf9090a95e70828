"""`make bench`: how fast the site's pages are with a large library, as ratios
to a bare Django view measured in the same run.

1. A separate database: SQLite in a temporary folder, or, when DATABASE_URL
   names PostgreSQL, a database called `anatomy_bench` on that server
   (dropped and made again; the database DATABASE_URL names is not touched).
   With REDIS_URL, Redis database 14 of that server (flushed) holds the
   cache and sessions.
2. migrate, `seed_bench` (10,000 articles by default), collectstatic.
3. gunicorn with 2 workers on a free 127.0.0.1 port, production settings
   (DEBUG off, a throwaway SECRET_KEY, no HTTPS redirect on loopback) plus
   one bare view (config/bench_settings.py).
4. SQL queries per request, counted in this process with Django's test
   client against the same database: first request (cold cache) and steady
   state. Search timings in this process for a set of realistic queries.
5. wrk (`--latency`) drives each page for --duration seconds, and the bare
   view for half that before and after each page (its ratio is to the mean
   of the two); its keep-alive connections are spread over the workers
   (see run_wrk). Signed-in pages are measured twice: as they come (a page
   cache may answer) and "rendered", each request with a query string of
   its own.
   Then signed Stripe events go to the webhook from 8 threads, with some
   sent twice.
6. A table; gunicorn's memory (RSS, PSS and USS from /proc) after startup
   and after the run.

    .venv/bin/python scripts/bench.py [--duration 10] [--articles 10000] [--only pages|webhook] ...
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import queue
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import gunicorn_server  # beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_DB = "anatomy_bench"
BENCH_REDIS_DB = 14
HOST = "127.0.0.1"
SEARCH_QUERIES = {
    "common word": "muscle",
    "word in half": "tendon",
    "rare word": "fabella",
    "muscle name": "gluteus medius",
    "two words": "hip abduction",
    "phrase": '"trigger points"',
}
# Seconds into a wrk run when the connections each worker holds are counted.
SPREAD_CHECK_AFTER = 1.0
# wrk runs one thread (-t1), so one counter makes every URL unique.
UNIQUE_QUERY_SCRIPT = """\
-- Every request asks for the page with a query string of its own: no page cache can answer it.
local counter = 0
request = function()
  counter = counter + 1
  local separator = wrk.path:find("?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. separator .. "bench=" .. counter)
end
"""


@dataclass
class Page:
    name: str
    url: str
    cookie: str = ""
    must_contain: str = ""  # proves a signed-in page really was served signed in
    must_not_contain: str = ""
    unique_query: bool = False  # each request has a query string of its own, so a page cache always misses
    size: int = 0
    queries_first: int | None = None
    queries_steady: int | None = None
    result: dict = field(default_factory=dict)
    yardstick: float = 0.0  # the bare view's req/s around this page's run: the mean of the runs before and after
    runs: list = field(default_factory=list)  # the bare view: req/s of each of its runs

    def url_for(self, request):
        """The URL of one request: `url`, or for a unique-query page `url` with `bench=<request>` added."""
        if not self.unique_query:
            return self.url
        return f"{self.url}{'&' if '?' in self.url else '?'}bench={request}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per page (default 8)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--evaluations", type=int, default=2_000)
    parser.add_argument("--webhook-events", type=int, default=3_000, help="distinct events (10%% are also resent)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--only", choices=["pages", "webhook"], help="only the pages and search, or the webhook")
    args = parser.parse_args()
    measure_pages, measure_webhook = args.only != "webhook", args.only != "pages"
    wrk = find_wrk() if measure_pages else None
    started = time.monotonic()
    pages, bare, search, webhook = [], None, {}, None
    with tempfile.TemporaryDirectory(prefix="anatomy-bench-") as tmp:
        env = bench_environment(Path(tmp))
        os.environ.update(env)
        step("Preparing the database", prepare_database, env)
        manage(env, "migrate", "--no-input", "-v0")
        step(
            "Seeding",
            manage,
            env,
            "seed_bench",
            f"--articles={args.articles}",
            f"--members={args.members}",
            f"--evaluations={min(args.evaluations, args.members)}",
        )
        step("Settling the database", settle_database, env)
        manage(env, "collectstatic", "--no-input", "-v0")
        # The site's bytecode, as production has it once its first workers
        # wrote it: a worker compiling every module from source (as where
        # PYTHONDONTWRITEBYTECODE is set) holds about 1 MB more.
        packages = [str(path) for path in ROOT.iterdir() if (path / "__init__.py").exists()]
        subprocess.run([PYTHON, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)

        import django

        django.setup()
        if measure_pages:
            pages = step("Counting queries", pages_to_measure, args)
            search = step("Timing search", time_search)
        if measure_webhook:
            webhook_queries = count_webhook_queries(env)
        port = gunicorn_server.free_port()
        # No recycling during the run: the memory read afterwards is what the workers grew to.
        server_env = {
            **env,
            "GUNICORN_WORKERS": "2",
            "GUNICORN_MAX_REQUESTS": "0",
            # One more than an even share of wrk's connections: see run_wrk.
            "GUNICORN_WORKER_CONNECTIONS": str(args.connections // 2 + 1),
        }
        server = gunicorn_server.start(server_env, port, Path(tmp) / "gunicorn.log")
        try:
            gunicorn_server.wait_until_up(port, server)
            memory = {"after startup": worker_memory(server.pid)}
            if measure_pages:
                sign_in(pages)
                check_pages(port, pages)
                bare = Page("bare view", f"/bench/bare/{int(statistics.median(page.size for page in pages))}/")
                check_pages(port, [bare])
                script = Path(tmp) / "unique_query.lua"
                script.write_text(UNIQUE_QUERY_SCRIPT)
                # The yardstick runs before and after every page, and each page is
                # held to the mean of the two: the machine's speed drifts (by a
                # third in some runs here), and a yardstick measured once, at one
                # end, made the pages measured far from it read high or low.
                bare_seconds = max(2, args.duration // 2)

                def measure(page, seconds):
                    print(f"  load: {page.name} ({seconds} s)", flush=True)
                    return run_wrk(wrk, port, page, seconds, args.connections, server.pid, script)

                bare_runs = [measure(bare, bare_seconds)]
                for page in pages:
                    page.result = measure(page, args.duration)
                    bare_runs.append(measure(bare, bare_seconds))
                    page.yardstick = statistics.mean(run["requests_per_s"] for run in bare_runs[-2:])
                bare.runs = [run["requests_per_s"] for run in bare_runs]
                bare.result = min(bare_runs, key=lambda run: abs(run["requests_per_s"] - statistics.median(bare.runs)))
                bare.yardstick = bare.result["requests_per_s"]
            if measure_webhook:
                print("  load: Stripe webhook", flush=True)
                webhook = drive_webhook(port, env["STRIPE_WEBHOOK_SECRET"], args.webhook_events, customers())
            memory["after the run"] = worker_memory(server.pid)
        finally:
            gunicorn_server.stop(server)
        if measure_webhook:
            webhook |= check_webhook_rows(args.webhook_events, webhook["sent_ids"])
            webhook["queries"] = webhook_queries
        report(pages, bare, webhook, search, memory, env, time.monotonic() - started)
        if args.json:
            args.json.write_text(json.dumps(results_dict(pages, bare, webhook, search, memory), indent=2))
    failures = [page.name for page in [*pages, *([bare] if bare else [])] if page.result["errors"]]
    if webhook and (webhook["errors"] or webhook["duplicates"] or webhook["missing"]):
        failures.append("webhook")
    if failures:
        sys.exit(f"Errors in: {', '.join(failures)}")


def step(title, function, *args):
    print(f"{title} …", flush=True)
    began = time.monotonic()
    result = function(*args)
    print(f"  {title.lower()}: {time.monotonic() - began:.1f} s", flush=True)
    return result


# The separate database, cache and settings


def bench_environment(tmp):
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = urllib.parse.urlsplit(database_url)._replace(path=f"/{BENCH_DB}").geturl()
    else:
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.bench_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; everything else as in production
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        # Persistent connections, as production should run: a new PostgreSQL
        # connection per request costs more than most pages.
        "DB_CONN_MAX_AGE": "60",
        "MEDIA_ROOT": str(tmp / "media"),
        "CACHE_DIR": str(tmp / "cache"),
        "PROTECTED_MEDIA_ROOT": str(tmp / "protected"),
        "BENCH_STATIC_ROOT": str(tmp / "static"),
        "STRIPE_WEBHOOK_SECRET": f"whsec_bench_{secrets.token_hex(16)}",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_API_BASE": "",
        "STRIPE_OFFLINE_CHECKOUT": "false",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = urllib.parse.urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{BENCH_REDIS_DB}").geturl()
    return env


def prepare_database(env):
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        server = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {BENCH_DB}")
    if env["REDIS_URL"]:
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    print(f"  database: {redacted(url)}; cache: {redacted(env['REDIS_URL']) or 'local memory'}")


def settle_database(env):
    """Left alone after the bulk load, PostgreSQL vacuums the new tables and
    writes their pages out during the first minute of load, and the rows
    measured first paid for it (the bare view measured first answered a
    third slower than the same view at the end). Done before measuring."""
    url = env["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        try:
            connection.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pass  # a role without it: the checkpointer writes them out in its own time


def redacted(url):
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    return url


def manage(env, *arguments):
    subprocess.run([PYTHON, "manage.py", *arguments], cwd=ROOT, env={**os.environ, **env}, check=True)


# In-process measurements: SQL queries per request, search timings


def pages_to_measure(args):
    from anatomy.bench_seed import COURSE_SLUG, member_email
    from anatomy.models import Article, Category
    from members.models import User, Visibility

    live = Article.objects.live().select_related("category").order_by("pk")
    public = live.filter(visibility=Visibility.PUBLIC, facts__isnull=False).first()
    locked = live.filter(visibility=Visibility.TIER, facts__isnull=False).first()
    category = Category.objects.filter(children=None, articles__isnull=False).order_by("pk").first()
    supporter = User.objects.get(email=member_email(0))  # a Champion: every locked article opens
    # A student halfway: watched the first three lessons (see seed_bench's help).
    student_number = args.evaluations if args.evaluations < args.members else 3
    student = User.objects.get(email=member_email(student_number))
    locked_words = locked.facts.origin  # in the muscle facts box, which only readers who may open it see
    course = f"/courses/{COURSE_SLUG}/"
    pages = [
        Page("home", "/"),
        Page("category", category.get_absolute_url()),
        Page("article (public)", public.get_absolute_url()),
        Page("article (locked, anonymous)", locked.get_absolute_url(), must_not_contain=locked_words),
        Page(
            "article (locked, supporter)", locked.get_absolute_url(), cookie=supporter.email, must_contain=locked_words
        ),
        Page("search", "/search/?q=gluteus+medius"),
        Page("course page", course),
        Page("lesson (signed in)", f"{course}lessons/part-2/", cookie=student.email, must_contain="<video"),
        Page("account (signed in)", "/account/", cookie=supporter.email, must_contain=supporter.email),
    ]
    # The same signed-in pages with every request a miss of any page cache: what rendering one costs.
    pages = [variant for page in pages for variant in [page, *([rendered(page)] if page.cookie else [])]]
    for page in pages:
        page.queries_first, page.queries_steady = count_queries(page)
    return pages


def rendered(page):
    return Page(
        f"{page.name}, rendered",
        page.url,
        cookie=page.cookie,
        must_contain=page.must_contain,
        must_not_contain=page.must_not_contain,
        unique_query=True,
    )


def client_for(email):
    from django.core.cache import cache
    from django.test import Client

    from members.models import User

    client = Client(HTTP_HOST=HOST)
    cache.clear()  # cold: nothing cached from earlier requests
    if email:
        client.force_login(User.objects.get(email=email))
    return client


def count_queries(page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(page.cookie)
    counts = []
    for request in range(3):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.url_for(request))
        if response.status_code != 200:
            raise SystemExit(f"{page.name} {page.url} answered {response.status_code} in process")
        counts.append(len(captured))
    return counts[0], counts[-1]


def time_search():
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from anatomy import search
    from anatomy.models import Article
    from members import access

    timings = {}
    rounds = 30 if connection.vendor == "postgresql" else 5  # the target is PostgreSQL's; SQLite scans every row
    # As the search view asks for an anonymous reader: locked articles found by their public parts.
    live, readable = Article.objects.live(), access.visible_q(AnonymousUser())
    for label, text in SEARCH_QUERIES.items():
        query = search.parse(text)
        page = search.results_page(query, articles=live, readable=readable)  # warm-up
        samples = []
        for _ in range(rounds):
            began = time.perf_counter()
            search.results_page(query, articles=live, readable=readable)
            samples.append((time.perf_counter() - began) * 1000)
        samples.sort()
        timings[label] = {
            "query": text,
            "matches": page.paginator.count,
            "p50_ms": statistics.median(samples),
            "p95_ms": samples[int(len(samples) * 0.95) - 1],
        }
    return timings


def count_webhook_queries(env):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    payload, signature = signed_event(env["STRIPE_WEBHOOK_SECRET"], "count", 0, customers()[0])
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/stripe/webhook/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
    assert response.status_code == 200, response.status_code
    return len(captured)


# gunicorn and wrk


def sign_in(pages):
    """Session cookies for the load generator, made in the shared session store,
    and a CSRF cookie, which a browser sends back once a page has set it."""
    from django.conf import settings
    from django.test import Client
    from django.utils.crypto import get_random_string

    from members.models import User

    cookies = {}
    for page in pages:
        if page.cookie and page.cookie not in cookies:
            client = Client(HTTP_HOST=HOST)
            client.force_login(User.objects.get(email=page.cookie))
            cookies[page.cookie] = (
                f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
                f"{settings.CSRF_COOKIE_NAME}={get_random_string(32)}"
            )
        if page.cookie:
            page.cookie = cookies[page.cookie]


def fetch(port, url, cookie="", method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(
            method, url, body=body, headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check_pages(port, pages):
    """Each page answers 200 (not a redirect to sign in) and shows what it should."""
    for page in pages:
        status, body = fetch(port, page.url_for("check"), page.cookie)
        text = body.decode()
        if status != 200:
            raise SystemExit(f"{page.name} {page.url} answered {status}")
        if page.must_contain and page.must_contain not in text:
            raise SystemExit(f"{page.name} {page.url} lacks {page.must_contain!r}: not signed in?")
        if page.must_not_contain and page.must_not_contain in text:
            raise SystemExit(f"{page.name} {page.url} shows {page.must_not_contain!r}")
        page.size = len(body)


def find_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk with apt-get …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    raise SystemExit("make bench needs wrk, the HTTP load generator: install it (Debian/Ubuntu: apt-get install wrk).")


def run_wrk(wrk, port, page, duration, connections, master_pid, script):
    """wrk's figures for one page, and how its connections were spread over the workers.

    wrk opens its connections once and keeps them alive, and which worker
    accepts each one is up to the kernel and the workers' race to accept: left
    to that, most or all of them often landed on one worker, which saturated
    while the other idled, and the page answered at about half speed. (Behind
    nginx, which opens a connection per request, the workers share the load.)
    So each worker holds at most one more than an even share
    (GUNICORN_WORKER_CONNECTIONS) and leaves the rest to the other; the
    spread a second in is reported, and a worker left with less than a
    quarter marks the row."""
    command = [wrk, "--latency", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s"]
    if page.cookie:
        command += ["-H", f"Cookie: {page.cookie}"]
    if page.unique_query:
        command += ["-s", str(script)]
    command.append(f"http://{HOST}:{port}{page.url}")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(min(SPREAD_CHECK_AFTER, duration / 3))
    spread = connection_spread(port, worker_pids(master_pid))
    # Each worker holds at least a quarter: with 7 of 8 on one, it saturates while the other waits on one client.
    balanced = min(spread) >= max(1, sum(spread) // 4)
    try:
        output, errors = process.communicate(timeout=duration + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise SystemExit(f"wrk did not finish {page.name} in time") from None
    if process.returncode:
        raise SystemExit(f"wrk failed on {page.name}: {errors.strip()}")
    print(f"    connections per worker {spread_text(spread)}", flush=True)
    return parse_wrk(output) | {"connections_per_worker": spread, "balanced": balanced}


def connection_spread(port, workers):
    """How many established connections to `port` each worker process holds:
    the connections' socket inodes from /proc/net/tcp, matched with the
    sockets among each worker's open files."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
        if local_port == port and state == "01":  # ESTABLISHED, on the server's side
            inodes.add(f"socket:[{inode}]")
    spread = []
    for pid in workers:
        held = 0
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            try:
                held += os.readlink(descriptor) in inodes
            except OSError:  # closed since the listing
                pass
        spread.append(held)
    return spread


def spread_text(spread):
    return "/".join(str(count) for count in spread)


def parse_wrk(output):
    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    )
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": errors,
    }


def worker_memory(master_pid):
    """The memory of gunicorn's master and of each worker, in MB. RSS counts in
    full the pages a worker shares with the master and the other workers (with
    preload_app, most of the code); PSS splits each shared page among its
    sharers, so the processes' PSS adds up to what they cost together; USS is
    what only that process holds, what ending it would free."""
    return {"master": process_memory(master_pid), "workers": [process_memory(pid) for pid in worker_pids(master_pid)]}


def worker_pids(master_pid):
    return [int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]


def process_memory(pid):
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kb = {key: int(value) for key, value in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.MULTILINE)}
    uss = kb["Private_Clean"] + kb["Private_Dirty"]
    return {"rss": kb["Rss"] / 1024, "pss": kb["Pss"] / 1024, "uss": uss / 1024}


# The Stripe webhook


def customers():
    """The supporters' Stripe customer ids, which the events name."""
    from members.models import StripeCustomer

    return list(StripeCustomer.objects.order_by("pk").values_list("stripe_id", flat=True)[:100])


def signed_event(secret, run, number, customer):
    """An invoice.paid event for a one-off invoice of a supporter: the app
    records a Payment and asks Stripe nothing (no subscription to fetch)."""
    now = int(time.time())
    event = {
        "id": f"evt_bench_{run}_{number}",
        "object": "event",
        "type": "invoice.paid",
        "created": now,
        "data": {
            "object": {
                "id": f"in_benchhook_{run}_{number}",
                "object": "invoice",
                "customer": customer,
                "status": "paid",
                "amount_paid": 1500,
                "currency": "usd",
                "created": now,
                "status_transitions": {"paid_at": now},
                "charge": f"ch_benchhook_{run}_{number}",
            }
        },
    }
    payload = json.dumps(event).encode()
    mac = hmac.new(secret.encode(), f"{now}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={now},v1={mac}"


def drive_webhook(port, secret, count, customer_ids, senders=8, timeout=120):
    """`count` distinct signed events from `senders` threads; every tenth is
    sent a second time soon after, as Stripe does when a reply is slow."""
    events = [signed_event(secret, "load", n, customer_ids[n % len(customer_ids)]) for n in range(count)]
    deliveries = queue.Queue()
    for n, event in enumerate(events):
        deliveries.put((n, event))
        if n % 10 == 5:
            deliveries.put((n - 3, events[n - 3]))
    statuses, lock = [], threading.Lock()
    deadline = time.monotonic() + timeout

    def sender():
        while time.monotonic() < deadline:
            try:
                n, (payload, signature) = deliveries.get_nowait()
            except queue.Empty:
                return
            headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
            try:
                status, _ = fetch(port, "/stripe/webhook/", method="POST", body=payload, headers=headers)
            except OSError:
                status = 0
            with lock:
                statuses.append((n, status))

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {
        "deliveries": len(statuses),
        "resent": len(statuses) - len({n for n, _ in statuses}),
        "events_per_s": len(statuses) / elapsed,
        "errors": sum(1 for _, status in statuses if status != 200),
        "sent_ids": sorted({n for n, _ in statuses}),
    }


def check_webhook_rows(count, sent_ids):
    from django.db.models import Count

    from members.models import Payment, WebhookEvent

    events = WebhookEvent.objects.filter(stripe_id__startswith="evt_bench_load_")
    payments = Payment.objects.filter(stripe_invoice_id__startswith="in_benchhook_load_")
    duplicates = sum(
        row["n"] - 1
        for rows in (events.values("stripe_id"), payments.values("stripe_invoice_id"))
        for row in rows.annotate(n=Count("pk")).filter(n__gt=1)
    )
    return {
        "event_rows": events.count(),
        "payment_rows": payments.count(),
        "duplicates": duplicates,
        "missing": len(sent_ids) - min(events.count(), payments.count()),
    }


# The report


def report(pages, bare, webhook, search, memory, env, elapsed):
    from django.db import connection

    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"\nResults ({database}, cache: {'Redis' if env['REDIS_URL'] else 'local memory'}; {elapsed:.0f} s in all)")
    if pages:
        width = max(len(page.name) for page in pages)
        header = f"{'page':<{width}} {'size':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
        header += f" {'SQL 1st/steady':>14} {'ratio':>6} {'workers':>8}"
        print(header)
        print("-" * len(header))
        for page in [*pages, bare]:
            result = page.result
            queries = "" if page.queries_first is None else f"{page.queries_first}/{page.queries_steady}"
            spread = spread_text(result["connections_per_worker"]) + ("" if result["balanced"] else "!")
            print(
                f"{page.name:<{width}} {page.size / 1024:>6.1f}K {result['requests_per_s']:>8.0f} "
                f"{result['p50_ms']:>7.1f} {result['p99_ms']:>7.1f} {result['errors']:>6} {queries:>14} "
                f"{result['requests_per_s'] / page.yardstick:>6.2f} {spread:>8}"
            )
        print(
            f"(bare view: the median page size, {bare.size / 1024:.1f} KB, through the same middleware, measured "
            f"before and after each page, {min(bare.runs):.0f}–{max(bare.runs):.0f} req/s in its {len(bare.runs)} runs "
            "(the median run shown); each page's ratio is to the mean of the runs before and after it)"
        )
        print(
            "(workers: wrk's keep-alive connections held by each gunicorn worker a second into the run, "
            "each capped at one more than an even share)"
        )
        unbalanced = [page.name for page in [*pages, bare] if not page.result["balanced"]]
        if unbalanced:
            print(f"! a worker held under a quarter of the connections: {', '.join(unbalanced)}; these read low")
    if webhook:
        print(
            f"\nStripe webhook (invoice.paid, 8 senders): {webhook['events_per_s']:.0f} events/s, "
            f"{webhook['deliveries']} deliveries ({webhook['resent']} resent), {webhook['errors']} errors, "
            f"{webhook['event_rows']} event rows, {webhook['payment_rows']} payments, "
            f"{webhook['duplicates']} duplicates, {webhook['missing']} missing; "
            f"{webhook['queries']} SQL queries per event"
        )
    if search:
        print(f"\nSearch in process ({database}, {len(search)} queries, results page with snippets):")
        for label, timing in search.items():
            print(
                f"  {label:<13} {timing['query']!r:<18} {timing['matches']:>6} matches  "
                f"p50 {timing['p50_ms']:6.1f} ms  p95 {timing['p95_ms']:6.1f} ms"
            )
        worst = max(timing["p95_ms"] for timing in search.values())
        print(f"  worst p95: {worst:.1f} ms")
    print("\ngunicorn's memory in MB (RSS counts shared pages in full, PSS shares them out, USS is unshared):")
    for moment, processes in memory.items():
        workers = ", ".join(f"{w['rss']:.1f} / {w['pss']:.1f} / {w['uss']:.1f}" for w in processes["workers"])
        master = processes["master"]
        print(f"  {moment:<14} workers RSS/PSS/USS {workers}; master PSS {master['pss']:.0f}")


def results_dict(pages, bare, webhook, search, memory):
    return {
        "pages": [
            {
                "name": page.name,
                "url": page.url,
                "bytes": page.size,
                **page.result,
                "queries_first": page.queries_first,
                "queries_steady": page.queries_steady,
                "ratio": page.result["requests_per_s"] / page.yardstick,
            }
            for page in ([*pages, bare] if pages else [])
        ],
        "webhook": {key: value for key, value in (webhook or {}).items() if key != "sent_ids"},
        "search": search,
        "worker_memory_mb": memory,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
