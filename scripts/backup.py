"""`make backup` and `make restore`: the database and the uploaded files.

    python scripts/backup.py backup [--dest DIR]
    python scripts/backup.py restore FOLDER [--force]

A backup is one folder named for the time it was taken (UTC), holding:
- database.dump (PostgreSQL, pg_dump's custom format) or database.sqlite3
  (SQLite, copied with SQLite's online backup API, so the site can keep
  running);
- media.tar and protected.tar: MEDIA_ROOT and PROTECTED_MEDIA_ROOT (left out
  when media is in an S3 bucket: the bucket's versioning keeps it);
- manifest.json: what each file is, with its size and SHA-256.

Restore checks every checksum first, then loads into the database that the
settings name, which must be empty (create it fresh), and the media folders,
which must be empty or absent. --force restores over existing ones instead.
Settings come from the environment, as for the site (DATABASE_URL, MEDIA_ROOT,
PROTECTED_MEDIA_ROOT, ...).
"""

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402 (after the path and settings module are set)

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

MANIFEST = "manifest.json"


class Refused(Exception):
    """Restore would overwrite data, or the backup is damaged."""


def backup(dest):
    folder = Path(dest) / datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    folder.mkdir(parents=True)
    files = {"database": _dump_database(folder)}
    if not settings.AWS_STORAGE_BUCKET_NAME:
        for name, path in _media_folders().items():
            with tarfile.open(folder / f"{name}.tar", "w") as archive:
                if path.is_dir():
                    archive.add(path, arcname=".")
            files[name] = f"{name}.tar"
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database_vendor": connection.vendor,
        "media": "in the S3 bucket" if settings.AWS_STORAGE_BUCKET_NAME else "media.tar, protected.tar",
        "files": {role: {"name": name, **_fingerprint(folder / name)} for role, name in files.items()},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def restore(folder, *, force=False):
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    for entry in manifest["files"].values():
        if _fingerprint(folder / entry["name"]) != {"size": entry["size"], "sha256": entry["sha256"]}:
            raise Refused(f"{entry['name']} does not match the manifest: the backup is damaged.")
    if manifest["database_vendor"] != connection.vendor:
        raise Refused(f"This is a {manifest['database_vendor']} backup; the settings name a {connection.vendor} one.")
    targets = {name: path for name, path in _media_folders().items() if name in manifest["files"]}
    if not force:
        if connection.introspection.table_names():
            raise Refused(f"The database {_database_name()} is not empty; restore into a fresh one, or use --force.")
        for path in targets.values():
            if path.is_dir() and any(path.iterdir()):
                raise Refused(f"{path} is not empty; restore into a fresh folder, or use --force.")
    _load_database(folder / manifest["files"]["database"]["name"], force=force)
    for name, path in targets.items():
        if force and path.is_dir():
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / f"{name}.tar") as archive:
            archive.extractall(path, filter="data")


def _media_folders():
    return {"media": Path(settings.MEDIA_ROOT), "protected": Path(settings.PROTECTED_MEDIA_ROOT)}


def _fingerprint(path):
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _database_name():
    return connection.settings_dict["NAME"]


def _dump_database(folder):
    if connection.vendor == "sqlite":
        name = "database.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(folder / name)) as copy:
            connection.connection.backup(copy)
    elif connection.vendor == "postgresql":
        name = "database.dump"
        _pg("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={folder / name}")
    else:
        raise Refused(f"Backups of {connection.vendor} databases are not supported.")
    return name


def _load_database(path, *, force):
    if connection.vendor == "sqlite":
        connection.close()
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(_database_name())) as target:
            source.backup(target)  # replaces every page of the target: the whole database
    else:
        clean = ["--clean", "--if-exists"] if force else []
        _pg("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *clean, str(path))


def _pg(program, *args):
    """Runs a PostgreSQL client program on the settings' database; the password goes by environment."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    target = [f"--dbname={db['NAME']}", f"--username={db['USER']}"]
    target += [f"--host={db['HOST']}"] if db.get("HOST") else []
    target += [f"--port={db['PORT']}"] if db.get("PORT") else []
    subprocess.run([program, *target, *args], env=env, check=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("backup", help="take a backup")
    take.add_argument("--dest", default=os.environ.get("BACKUP_DIR", ROOT / "backups"), help="folder for backups")
    back = commands.add_parser("restore", help="restore a backup into a fresh database and media folders")
    back.add_argument("folder", help="a folder made by `backup`")
    back.add_argument("--force", action="store_true", help="overwrite a database and media folders that have data")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            print(backup(args.dest))
        else:
            restore(args.folder, force=args.force)
            print(f"Restored {args.folder} into {_database_name()}.")
    except (Refused, subprocess.CalledProcessError) as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
