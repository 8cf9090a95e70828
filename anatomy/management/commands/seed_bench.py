"""Fill an EMPTY database with a large, realistic site for benchmarks and load tests.

    manage.py seed_bench [--articles 10000] [--members 5000] [--posts 50] [--lessons 20] [--evaluations 2000]

Accounts (every one signs in with the password `bench-passphrase-123`):
- staff@bench.example: staff and superuser, the author of every article
  (the staff pages will ask it to set up two-factor authentication).
- member{i}@bench.example for i = 0 … members-1, all with a verified email:
  i % 10 == 0 supports the Champion tier (rank 3, every locked thing opens),
  i % 10 == 1 Patron (rank 2), i % 10 == 2 Friend (rank 1); the rest are free
  members. So member0 is a Champion, member1 a Patron, member2 a Friend and
  member3 a free member.
- Every member is enrolled in the course (/courses/how-to-frame-a-bodywork-session/).
  member0 … member{evaluations-1} have completed it: every lesson watched,
  post-test passed, evaluation submitted, certificate issued. Of the others,
  every fourth (counting from member{evaluations}) has watched the first
  three lessons; the rest have started nothing.

Library: about 60 nested categories; a tenth of the articles are muscle
articles with muscle facts; a tenth are locked to a tier, a twentieth to
members; one in a hundred is scheduled and one in a hundred is a draft.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from anatomy import bench_seed
from anatomy.models import Article
from members.models import User


class Command(BaseCommand):
    help = "Fill an empty database with a large site for benchmarks (see the module docstring for the accounts)."

    def add_arguments(self, parser):
        defaults = bench_seed.Counts()
        for name in ("articles", "members", "posts", "lessons", "evaluations"):
            parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same site.")

    def handle(self, *args, **options):
        if User.objects.exists() or Article.objects.exists():
            raise CommandError("seed_bench fills an empty database; this one has users or articles already.")
        counts = bench_seed.Counts(
            articles=options["articles"],
            members=options["members"],
            posts=options["posts"],
            lessons=options["lessons"],
            evaluations=min(options["evaluations"], options["members"]),
        )
        started = time.monotonic()
        with transaction.atomic():
            made = bench_seed.seed(counts, seed=options["seed"])
        # Fresh statistics, so the planner sees 10,000 articles and not an empty table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summary = ", ".join(f"{count:,} {what}" for what, count in made.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded in {time.monotonic() - started:.1f} s: {summary}."))
        self.stdout.write(f"Every account's password: {bench_seed.PASSWORD} (see `manage.py help seed_bench`).")
