"""Runs localstripe, a fake Stripe server from PyPI, on 127.0.0.1 only.

For the offline test checkout of `make run` and for the test suite: the real
Stripe SDK talks to it over loopback. localstripe itself binds every
interface and saves its state to /tmp/localstripe.pickle; this runner binds
loopback and keeps state in memory, or in the file given with --store.

    python -m members.localstripe_server --port 8420 [--store .offline-stripe.pickle]
"""

import argparse
import logging
import pickle
from pathlib import Path

from aiohttp import web
from localstripe import resources, server


def keep_store_in(path):
    store = resources.store
    if path is None:
        type(store).dump_to_disk = lambda self: None
        return
    path = Path(path)
    if path.exists():
        store.update(pickle.loads(path.read_bytes()))  # noqa: S301 (our own file, written below)
    type(store).dump_to_disk = lambda self: path.write_bytes(pickle.dumps(dict(self)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--store", help="file to keep state in between runs (default: memory only)")
    args = parser.parse_args()
    keep_store_in(args.store)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
