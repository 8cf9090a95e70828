"""`make run`'s server. With no STRIPE_SECRET_KEY, it also runs localstripe on
127.0.0.1:8420 as the site's Stripe, so the clearly labelled offline test
checkout works with no network; its state is kept in .offline-stripe.pickle."""

import os
import signal
import socket
import subprocess
import sys
import time

PORT = 8420


def wait_for(port):
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"localstripe did not start on port {port}")


def main():
    env = {**os.environ, "DEBUG": "true"}
    manage = [sys.executable, "manage.py"]
    localstripe = None
    if not env.get("STRIPE_SECRET_KEY"):
        localstripe = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "members.localstripe_server",
                "--port",
                str(PORT),
                "--store",
                ".offline-stripe.pickle",
            ]
        )
        wait_for(PORT)
        env.update(
            STRIPE_SECRET_KEY="sk_test_offline",
            STRIPE_API_BASE=f"http://127.0.0.1:{PORT}",
            STRIPE_WEBHOOK_SECRET="whsec_offline_development",
            STRIPE_OFFLINE_CHECKOUT="true",
        )
        subprocess.run([*manage, "offline_stripe"], env=env, check=True)
    # Stopped by Ctrl-C or by `kill`: either way, stop the servers it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = None
    try:
        print("Serving http://127.0.0.1:8000 (Ctrl-C stops it)", flush=True)
        server = subprocess.Popen([*manage, "runserver", "127.0.0.1:8000"], env=env)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in (server, localstripe):
            if child and child.poll() is None:
                child.terminate()
                child.wait(timeout=10)


if __name__ == "__main__":
    main()
