"""`make backup` / `make restore` (scripts/backup.py): a backup of the database
and of the public and locked media restores into a fresh database and fresh
folders with every table's rows and every file's bytes; restore refuses to
overwrite data or to load a damaged backup."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from anatomy.forms import IllustrationForm
from anatomy.models import Illustration
from courses import certificates
from courses.models import Certificate
from members.models import ExclusivePost, PostFile, Subscription, Tier, Visibility
from tests.anatomy import factories
from tests.anatomy.test_images import image_bytes
from tests.conftest import make_user
from tests.courses.conftest import make_course
from tests.services import require_postgres

ROOT = Path(__file__).resolve().parents[2]
# Backup and restore run as their own processes, which see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def run_script(*args, database_url, media, protected):
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
        "PROTECTED_MEDIA_ROOT": str(protected),
    }
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    return subprocess.run(
        [sys.executable, "scripts/backup.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def content(settings):
    """Articles, an illustration with its renditions, a locked chapter, a
    supporter, a course with its video and handout, and a certificate."""
    category = factories.category("Hip Muscles")
    article = factories.muscle(category, "gluteus medius", actions=["abduction"], levels=["L4", "S1"])
    factories.article(category, "Piriformis")
    form = IllustrationForm(
        data={"alt_text": "The lateral hip.", "caption": "", "position": 0},
        files={"image": SimpleUploadedFile("diagram.jpg", image_bytes())},
        instance=Illustration(article=article),
    )
    assert form.is_valid(), form.errors
    form.save()
    tier = Tier.objects.create(name="Patron", slug="patron", rank=1, monthly_price=1500, stripe_price_id="price_p")
    post = ExclusivePost.objects.create(
        title="Chapter 4", slug="chapter-4", body="Locked.", visibility=Visibility.TIER, min_tier=tier
    )
    PostFile.objects.create(post=post, title="PDF", file=ContentFile(b"%PDF-1.4 chapter", name="chapter.pdf"))
    supporter = make_user("patron@test.example", first_name="Pat")
    Subscription.objects.create(user=supporter, stripe_id="sub_1", tier=tier, status="active")
    course = make_course("framing-a-session")
    Certificate.objects.create(
        user=supporter,
        course=course,
        code=certificates.new_code(),
        **certificates.printed_fields(supporter, course, date(2026, 11, 1)),
    )
    return {"media": Path(settings.MEDIA_ROOT), "protected": Path(settings.PROTECTED_MEDIA_ROOT)}


def checksums(folder):
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def row_counts(cursor, tables):
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def back_up_and_restore(content, tmp_path, *, source_url, fresh_url):
    taken = run_script("backup", "--dest", str(tmp_path / "backups"), database_url=source_url, **content)
    assert taken.returncode == 0, taken.stderr
    folder = Path(taken.stdout.strip())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"database", "media", "protected"}

    fresh = {"media": tmp_path / "restored-media", "protected": tmp_path / "restored-protected"}
    restored = run_script("restore", str(folder), database_url=fresh_url, **fresh)
    assert restored.returncode == 0, restored.stderr

    for name in ("media", "protected"):
        assert checksums(fresh[name]) == checksums(content[name])
    assert any(path.startswith("CACHE/images/") for path in checksums(fresh["protected"]))  # illustration renditions
    assert any(path.startswith("posts/chapter") for path in checksums(fresh["protected"]))
    assert any(path.startswith("videos/") for path in checksums(fresh["protected"]))

    # Restoring again over the data now there is refused.
    again = run_script("restore", str(folder), database_url=fresh_url, **fresh)
    assert again.returncode == 1
    assert "is not empty; restore into a fresh one, or use --force" in again.stderr
    return folder


def source_counts():
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        counts = row_counts(cursor, tables)
    assert counts["members_subscription"] == counts["courses_certificate"] == counts["members_postfile"] == 1
    assert counts["anatomy_article"] == 2
    return tables, counts


def test_a_sqlite_backup_restores_into_a_fresh_database_and_folders(content, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass")
    tables, counts = source_counts()
    fresh_db = tmp_path / "restored.sqlite3"
    back_up_and_restore(
        content, tmp_path, source_url=f"sqlite:///{connection.settings_dict['NAME']}", fresh_url=f"sqlite:///{fresh_db}"
    )
    with sqlite3.connect(fresh_db) as restored:
        assert row_counts(restored.cursor(), tables) == counts
    restored.close()


def test_a_postgresql_backup_restores_into_a_new_database(content, tmp_path):
    require_postgres()
    tables, counts = source_counts()
    db = connection.settings_dict
    server = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    fresh_name = f"anatomy_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh_name}"')
    try:
        back_up_and_restore(content, tmp_path, source_url=f"{server}/{db['NAME']}", fresh_url=f"{server}/{fresh_name}")
        with psycopg.connect(f"{server}/{fresh_name}") as restored:
            assert row_counts(restored.cursor(), tables) == counts
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh_name}" WITH (FORCE)')


def test_a_damaged_backup_is_refused_before_anything_is_restored(content, tmp_path):
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}" if connection.vendor == "sqlite" else None
    if source is None:
        pytest.skip("the SQLite pass")
    with sqlite3.connect(tmp_path / "source.sqlite3") as db:
        db.execute("CREATE TABLE note (text)")
    db.close()
    folder = Path(run_script("backup", "--dest", str(tmp_path), database_url=source, **content).stdout.strip())
    with (folder / "protected.tar").open("r+b") as archive:
        archive.seek(600)
        archive.write(b"tampered")
    fresh = {"media": tmp_path / "m", "protected": tmp_path / "p"}
    refused = run_script("restore", str(folder), database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}", **fresh)
    assert refused.returncode == 1
    assert "protected.tar does not match the manifest" in refused.stderr
    assert not fresh["media"].exists() and not (tmp_path / "fresh.sqlite3").exists()
