"""`make test`: lint, then the whole suite on SQLite and again on PostgreSQL.

The browser tests (marked `browser`) drive the same pages whichever database
is behind them, so they run once, in the PostgreSQL pass (or in the SQLite
pass when there is no PostgreSQL), which keeps the two passes under ten
minutes on two cores. Every other test runs on both databases.

PostgreSQL is used when it answers at PG_TEST_URL (default: the local server
on 127.0.0.1:5432); with CI=true it must answer, so a missing service fails
CI instead of being skipped. Extra arguments go to pytest.
"""

import os
import subprocess
import sys
import time

import psycopg

PG_TEST_URL = os.environ.get("PG_TEST_URL", "postgres://postgres@127.0.0.1:5432/anatomy")
CI = os.environ.get("CI", "").lower() == "true"


def postgres_answers():
    try:
        psycopg.connect(PG_TEST_URL.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        print(f"PostgreSQL at {PG_TEST_URL} does not answer: {error}".strip())
        return False
    return True


def run(label, env, args):
    print(f"\n=== {label} ===", flush=True)
    started = time.monotonic()
    # Two workers (this machine has two cores); a test file stays on one worker.
    code = subprocess.call([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", *args], env=env)
    print(f"=== {label}: {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f}s ===")
    return code


def main(args):
    if subprocess.call([sys.executable, "-m", "ruff", "check", "--quiet", "."]) != 0:
        return 1
    env = {**os.environ, "DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    with_postgres = postgres_answers()
    failed = run("SQLite", env, ["-m", "not browser", *args] if with_postgres else args) != 0

    if with_postgres:
        failed |= run("PostgreSQL", {**env, "DATABASE_URL": PG_TEST_URL}, args) != 0
    elif CI:
        print("CI=true requires PostgreSQL; failing.")
        failed = True
    else:
        print("Skipping the PostgreSQL pass (set CI=true to require it).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
