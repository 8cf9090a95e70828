"""`make loadtest`: 200 concurrent visitors for 2 minutes against the site
under gunicorn on PostgreSQL and Redis, on loopback only.

1. A database of its own, `anatomy_load`, on the PostgreSQL server of
   DATABASE_URL (default: postgres@127.0.0.1:5432; dropped and made again),
   filled by `seed_bench` with modest counts; Redis from REDIS_URL (default
   127.0.0.1:6379), database 13, under a key prefix of this run's own.
2. gunicorn with config/gunicorn.py and production settings (DEBUG off, a
   throwaway SECRET_KEY, plain HTTP on 127.0.0.1).
3. locust, headless, with the journeys of loadtest/locustfile.py.
4. A table per journey step (requests, failures, p50, p95, p99) and the
   server errors gunicorn logged; both saved under test-artifacts/loadtest/.
   Exit status 1 on any failure or server error.

    .venv/bin/python scripts/loadtest.py [--users 200] [--duration 120] [--articles 2000] ...
"""

import argparse
import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import gunicorn_server  # beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOAD_DB = "anatomy_load"
LOAD_REDIS_DB = 13


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--evaluations", type=int, default=200)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--lessons", type=int, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="anatomy-load-"))
    out = ROOT / "test-artifacts" / "loadtest" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    env = environment(tmp)
    server = None
    try:
        print(f"Seeding {LOAD_DB} ({args.articles} articles, {args.members} members) ...", flush=True)
        recreate_database(env)
        manage(env, "migrate", "--no-input", "-v0")
        manage(
            env,
            "seed_bench",
            f"--articles={args.articles}",
            f"--members={args.members}",
            f"--evaluations={args.evaluations}",
            f"--posts={args.posts}",
            f"--lessons={args.lessons}",
        )
        manage(env, "collectstatic", "--no-input", "-v0")
        plan = tmp / "plan.json"
        plan.write_text(json.dumps(make_plan(env, args)))

        port = gunicorn_server.free_port()
        log = out / "gunicorn.log"
        server = gunicorn_server.start(env, port, log)
        gunicorn_server.wait_until_up(port, server)
        print(f"Load: {args.users} users for {args.duration} s against 127.0.0.1:{port} ...", flush=True)
        locust = subprocess.run(
            [
                PYTHON, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
                "--host", f"http://127.0.0.1:{port}", "-u", str(args.users), "-r", str(args.spawn_rate),
                "-t", f"{args.duration}s", "--stop-timeout", "10", "--csv", str(out / "locust"), "--only-summary",
            ],
            cwd=ROOT,
            env={**os.environ, "LOADTEST_PLAN": str(plan)},
            capture_output=True,
            text=True,
            timeout=args.duration + 120,
        )  # fmt: skip
        (out / "locust.txt").write_text(locust.stdout + locust.stderr)
        gunicorn_server.stop(server)
        server = None
        server_errors = log.read_text(errors="replace").count('" 50')
        summary = report(out / "locust_stats.csv", server_errors, args)
        (out / "summary.txt").write_text(summary)
        print(summary)
        print(f"Saved in {out.relative_to(ROOT)}/")
        failures = sum(
            int(row["Failure Count"]) for row in rows(out / "locust_stats.csv") if row["Name"] != "Aggregated"
        )
        return 1 if failures or server_errors or locust.returncode not in (0, 1) else 0
    finally:
        if server:
            gunicorn_server.stop(server)
        forget_redis_keys(env)
        drop_database(env)
        shutil.rmtree(tmp, ignore_errors=True)


def environment(tmp):
    database = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not database.startswith("postgres"):
        sys.exit(
            "make loadtest runs on PostgreSQL: set DATABASE_URL to a PostgreSQL server (its database is untouched)."
        )
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; everything else as in production
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": urllib.parse.urlsplit(database)._replace(path=f"/{LOAD_DB}").geturl(),
        "DB_CONN_MAX_AGE": "60",
        "REDIS_URL": urllib.parse.urlsplit(redis_url)._replace(path=f"/{LOAD_REDIS_DB}").geturl(),
        "CACHE_KEY_PREFIX": f"loadtest-{secrets.token_hex(6)}",
        "MEDIA_ROOT": str(tmp / "media"),
        "PROTECTED_MEDIA_ROOT": str(tmp / "protected"),
        "STATIC_ROOT": str(tmp / "static"),
        "STRIPE_SECRET_KEY": "",
        "STRIPE_API_BASE": "",
        "STRIPE_OFFLINE_CHECKOUT": "false",
        "LOG_LEVEL": "WARNING",
    }


def server_connection(env):
    import psycopg

    server = urllib.parse.urlsplit(env["DATABASE_URL"])._replace(path="/postgres").geturl()
    return psycopg.connect(server, autocommit=True)


def recreate_database(env):
    with server_connection(env) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {LOAD_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {LOAD_DB}")


def drop_database(env):
    with server_connection(env) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {LOAD_DB} WITH (FORCE)")


def forget_redis_keys(env):
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    for key in client.scan_iter(match=f"*{env['CACHE_KEY_PREFIX']}*"):
        client.delete(key)


def manage(env, *arguments):
    subprocess.run([PYTHON, "manage.py", *arguments], cwd=ROOT, env={**os.environ, **env}, check=True)


def make_plan(env, args):
    """Addresses the visitors go to, and sessions for signed-in members,
    read from the seeded database with the run's settings."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from anatomy.bench_seed import COURSE_SLUG, member_email
    from anatomy.models import Article, Category
    from courses.models import Course, EvaluationQuestion
    from members.models import ExclusivePost, User, Visibility

    def session_of(i):
        client = Client()
        client.force_login(User.objects.get(email=member_email(i)))
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    live = Article.objects.live().select_related("category")
    course = Course.objects.get(slug=COURSE_SLUG)
    form = {}
    for question in course.evaluation_questions.prefetch_related("choices"):
        first = str(question.choices.all()[0].pk) if question.kind in ("single", "multiple") else None
        form[f"q{question.pk}"] = {
            EvaluationQuestion.Kind.SCALE: "4",
            EvaluationQuestion.Kind.TEXT: "Clear and practical.",
            EvaluationQuestion.Kind.SINGLE: first,
            EvaluationQuestion.Kind.MULTIPLE: first,
        }[question.kind]
    students = min(args.evaluations, args.members, 100)
    return {
        "articles": [a.get_absolute_url() for a in live.filter(visibility=Visibility.PUBLIC).order_by("?")[:500]],
        "locked_articles": [a.get_absolute_url() for a in live.filter(visibility=Visibility.TIER).order_by("?")[:200]],
        "categories": [c.get_absolute_url() for c in Category.objects.all()],
        "search_words": ["muscle", "tendon", "hip", "gluteus medius", "abduction", "fascia", "nerve", "shoulder"],
        "locked_posts": [p.get_absolute_url() for p in ExclusivePost.objects.filter(is_published=True)],
        "course": course.get_absolute_url(),
        "lessons": [lesson.get_absolute_url() for lesson in course.lessons.all()],
        "evaluation": {"url": f"/courses/{course.slug}/evaluation/", "form": form},
        # Students have completed the course (their evaluation can still be corrected);
        # supporters are Champions (i % 10 == 0), who may open every locked thing.
        "students": [session_of(i) for i in range(students)],
        "supporters": [session_of(i) for i in range(0, min(args.members, 500), 10)],
    }


def rows(path):
    with open(path, newline="") as stats:
        return list(csv.DictReader(stats))


def report(stats_path, server_errors, args):
    lines = [
        f"{args.users} users, {args.duration} s, {args.articles} articles, {args.members} members",
        f"{'step':30} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}",
    ]
    for row in rows(stats_path):
        lines.append(
            f"{row['Name'][:30]:30} {row['Request Count']:>9} {row['Failure Count']:>9} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    lines.append(f"server errors (5xx) in gunicorn's log: {server_errors}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
