"""Faults in production: the site under gunicorn keeps serving, fails
cleanly and recovers by itself when Redis goes away, when PostgreSQL
restarts, and when a worker is killed in the middle of a request; and a
Stripe outage at checkout is told to the buyer with nothing recorded.

(A webhook whose processing fails answers 500 so that Stripe retries, and the
retry works once: tests/members/test_webhooks.py,
test_a_failing_handler_answers_500_and_the_retry_works_once. A support
checkout with Stripe unreachable: tests/members/test_checkout.py.)"""

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager

import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.urls import reverse

from config.cache import RETRY_AFTER
from courses.models import Course, Evaluation, EvaluationAnswer, Purchase
from members import billing
from members.models import StripeCustomer
from tests import processes, stripe_harness
from tests.anatomy import factories
from tests.conftest import PASSWORD, make_user
from tests.courses.evaluation_data import add_evaluation, complete, evaluation_post, make_course
from tests.services import require_postgres

REDIS_SERVER = shutil.which("redis-server")
PG_BIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or [""])[-1]


def wait_for(check, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.1)


def timed_get(browser, url):
    """(response, seconds it took)."""
    started = time.monotonic()
    response = browser.get(url, timeout=5)
    return response, time.monotonic() - started


# Redis down


class PrivateRedis:
    """A redis-server of the test's own, which it stops and starts again."""

    def __init__(self):
        self.port = stripe_harness.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def client(self):
        return redis.Redis(port=self.port, socket_connect_timeout=0.5)

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers():
            try:
                return self.client().ping()
            except redis.RedisError:
                return False

        wait_for(answers, "redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis():
    if not REDIS_SERVER:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_site_still_serves_and_recovers(tmp_path, member, private_redis):
    require_postgres()
    article = factories.article(factories.category("Hip Muscles"), "Gluteus Medius", body="Fan-shaped muscle.")
    page_path, account_path = article.get_absolute_url(), "/account/"
    with processes.gunicorn(media=tmp_path, REDIS_URL=private_redis.url) as app:
        member_browser = processes.Browser()
        member_browser.sign_in(app, member.email, PASSWORD)
        assert member.email in member_browser.get(f"{app.url}{account_path}").text

        private_redis.stop()
        for _ in range(2):  # the first request finds Redis gone, the next skip it
            page, seconds = timed_get(processes.Browser(), f"{app.url}{page_path}")
            assert page.status_code == 200 and "Fan-shaped muscle." in page.text
            assert seconds < 3
            account, seconds = timed_get(member_browser, f"{app.url}{account_path}")
            assert account.status_code == 200 and member.email in account.text  # still signed in
            assert seconds < 3
        newcomer = processes.Browser()
        newcomer.sign_in(app, member.email, PASSWORD)  # sessions are kept in the database too
        assert member.email in newcomer.get(f"{app.url}{account_path}").text
        assert "Redis cache unreachable" in app.log_text()

        private_redis.start()  # back, and empty
        time.sleep(RETRY_AFTER + 0.5)
        assert "Fan-shaped muscle." in processes.Browser().get(f"{app.url}{page_path}").text
        for browser in (member_browser, newcomer):
            assert member.email in browser.get(f"{app.url}{account_path}").text
        assert private_redis.client().dbsize() > 0  # the cache is in use again


# PostgreSQL restarted


def as_postgres(*command, **kwargs):
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=60, **kwargs
    )


@contextmanager
def private_postgres():
    """A PostgreSQL cluster of the test's own, on a free port, which it may restart."""
    if os.geteuid() != 0 or not PG_BIN or not shutil.which("runuser"):
        pytest.skip("needs root and PostgreSQL's server binaries to run a private cluster")
    folder = tempfile.mkdtemp(prefix="anatomy-pg-")
    shutil.chown(folder, "postgres", "postgres")
    data, port = f"{folder}/data", stripe_harness.free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [f"{PG_BIN}/pg_ctl", "-D", data, "-o", options, "-l", f"{folder}/log", "-w", "-t", "30"]
    try:
        made = as_postgres(f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        assert made.returncode == 0, made.stderr
        started = as_postgres(*ctl, "start")
        assert started.returncode == 0, started.stderr
        yield {"port": port, "ctl": ctl, "url": f"postgres://postgres@127.0.0.1:{port}/site"}
    finally:
        as_postgres(*ctl, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def copy_test_database(to_port):
    """The test database (schema and rows) into the private cluster's `site`."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    source = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    target = ["-h", "127.0.0.1", "-p", str(to_port), "-U", "postgres"]
    subprocess.run([f"{PG_BIN}/createdb", *target, "site"], check=True, timeout=30)
    dump = subprocess.run(
        [f"{PG_BIN}/pg_dump", *source, "--no-owner", "--no-acl", db["NAME"]],
        capture_output=True,
        env=env,
        check=True,
        timeout=60,
    )
    subprocess.run(
        [f"{PG_BIN}/psql", *target, "-q", "-v", "ON_ERROR_STOP=1", "-d", "site"],
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=60,
    )


RECOVERY_SECONDS = 3
IN_FLIGHT = 1  # seconds a request sent before the restart may still be running when it begins


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_restart_fails_requests_cleanly_and_the_site_recovers_by_itself(tmp_path):
    require_postgres()
    with private_postgres() as postgres:
        copy_test_database(postgres["port"])
        with processes.gunicorn(media=tmp_path, workers=2, DATABASE_URL=postgres["url"]) as app:
            master = app.process.pid
            answers, stop = [], threading.Event()

            def readers_keep_coming():
                browser, n = processes.Browser(), 0
                while not stop.is_set():
                    n += 1
                    # A search nobody made before: never from the page cache, always the database.
                    for path in ("/healthz", f"/search/?q=muscle{n}"):
                        started = time.monotonic()
                        try:
                            response = browser.get(f"{app.url}{path}", timeout=5)
                            answers.append((started, response.status_code, response.text))
                        except requests.RequestException as error:
                            answers.append((started, type(error).__name__, ""))
                    time.sleep(0.02)

            reader = threading.Thread(target=readers_keep_coming)
            reader.start()
            try:
                time.sleep(1)
                restart_began = time.monotonic()
                restarted = as_postgres(*postgres["ctl"], "-m", "fast", "restart")
                assert restarted.returncode == 0, restarted.stderr
                restart_ended = time.monotonic()
                time.sleep(5)
            finally:
                stop.set()
                reader.join(timeout=15)

            statuses = {status for _, status, _ in answers}
            assert statuses <= {200, 500, 503}, f"hung or dropped requests: {statuses}"
            failed = [(at, status, text) for at, status, text in answers if status != 200]
            # Errors only for requests in flight when the database went down, or sent while
            # it restarted or just after (until each of the workers' threads has found its
            # connection closed and opened a new one), and a clean page for each.
            recovered = restart_ended + RECOVERY_SECONDS
            outside = [(at, code) for at, code, _ in failed if not restart_began - IN_FLIGHT <= at <= recovered]
            late = [(round(at - restart_ended, 2), code) for at, code in outside]
            assert not late, f"errors outside the restart, seconds after it ended: {late}\n{app.log_text()[-3000:]}"
            for _, status, text in failed:
                assert "Something went wrong on our side" in text if status == 500 else '"unreachable"' in text
            after = [status for at, status, _ in answers if at > recovered]
            assert after and set(after) == {200}
            assert app.process.pid == master and app.process.poll() is None  # no restart of gunicorn


# A worker killed in the middle of a request


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_request_leaves_no_half_written_evaluation(tmp_path, member):
    require_postgres()
    course = make_course()
    questions = add_evaluation(course)
    complete(member, course)
    path = reverse("courses:evaluation", args=[course.slug])
    db = connection.settings_dict
    dsn = processes.database_url().replace("postgres://", "postgresql://")

    with processes.gunicorn(media=tmp_path) as app, psycopg.connect(dsn) as blocker:
        browser = processes.Browser()
        browser.cookies.set(settings.SESSION_COOKIE_NAME, processes.session_cookie(member))
        token = processes.csrf_token(browser.get(f"{app.url}{path}").text)
        form = {"csrfmiddlewaretoken": token, **evaluation_post(questions)}
        # The answers' table is held, so the request stops after storing the
        # evaluation and before its answers: in the middle of its transaction.
        blocker.execute("LOCK TABLE courses_evaluationanswer IN ACCESS EXCLUSIVE MODE")
        outcome = []
        sender = threading.Thread(target=lambda: outcome.append(send(browser, f"{app.url}{path}", form)))
        sender.start()
        with psycopg.connect(dsn, autocommit=True) as watcher:

            def request_waiting_with_the_evaluation_written():
                """The backend of a request waiting for a lock while it holds a new evaluation row."""
                row = watcher.execute(
                    "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE a.datname = %s AND a.wait_event_type = 'Lock' AND l.granted"
                    " AND l.relation = 'courses_evaluation'::regclass AND l.mode = 'RowExclusiveLock'",
                    [db["NAME"]],
                ).fetchone()
                return row and row[0]

            wait_for(request_waiting_with_the_evaluation_written, "the request did not reach the answers")
            backend = request_waiting_with_the_evaluation_written()
            [worker] = app.workers()
            os.kill(worker, signal.SIGKILL)
            blocker.rollback()  # the lock goes; the killed worker's transaction can never commit
            sender.join(timeout=15)

            def backend_gone():
                return not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]).fetchone()

            wait_for(backend_gone, "the killed worker's transaction did not end")

        assert outcome == ["ConnectionError"]
        assert not Evaluation.objects.exists() and not EvaluationAnswer.objects.exists()
        wait_for(lambda: app.workers() not in ([], [worker]), "gunicorn did not replace the worker")
        # The replacement takes the same form in full.
        token = processes.csrf_token(browser.get(f"{app.url}{path}").text)
        response = browser.post(f"{app.url}{path}", data={**form, "csrfmiddlewaretoken": token})
        assert response.status_code == 302
        assert EvaluationAnswer.objects.filter(evaluation__user=member).count() == 4


def send(browser, url, form):
    try:
        return browser.post(url, data=form, timeout=20).status_code
    except requests.ConnectionError:
        return "ConnectionError"


# Stripe unreachable when buying a course


@pytest.mark.django_db
def test_buying_a_course_with_stripe_unreachable_says_so_and_records_nothing(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_OFFLINE_CHECKOUT = False
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_harness.free_port()}"  # nothing listens there
    buyer = make_user("buyer@test.example")
    course = make_course("paid-course", access=Course.Access.PURCHASE, price=4900, stripe_price_id="price_course_49")
    client.force_login(buyer)
    response = client.post(reverse("courses:buy", args=[course.slug]), follow=True)
    assert response.redirect_chain == [(course.get_absolute_url(), 302)]
    assert billing.UNREACHABLE in response.text
    assert not StripeCustomer.objects.exists() and not Purchase.objects.exists()

    # A buyer Stripe already knows: the Checkout Session itself cannot be made.
    StripeCustomer.objects.create(user=buyer, stripe_id="cus_known")
    response = client.post(reverse("courses:buy", args=[course.slug]), follow=True)
    assert billing.UNREACHABLE in response.text
    assert not Purchase.objects.exists()
