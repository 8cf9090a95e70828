"""The production settings with one extra URL for `make bench` (scripts/bench.py):
a bare view that answers a page-sized response through the same middleware."""

import os

from .settings import *  # noqa: F403 (these are the production settings, unchanged)
from .settings import STATIC_ROOT

ROOT_URLCONF = "config.bench_urls"
# The bench collects static files into its own folder, not the checkout's.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT)
