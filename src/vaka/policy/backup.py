"""Back up an instance into one archive, and restore an archive into an empty instance.

The archive is a gzip-compressed tar: Python's standard library writes and reads it with
no extra dependency, and any machine lists or unpacks it with ``tar``. (zstd packs faster
but is not in the standard library before Python 3.14.) It holds, in this order:

- the database: ``database.sqlite3``, copied with SQLite's online backup API (one read
  transaction, so the copy is consistent while the application writes), or
  ``database.pgdump``, ``pg_dump --format=custom`` run inside a snapshot this process
  exported, so the audit anchor and migration state read here are those of the dump;
- ``files/…``: every stored file (uploads, originals), read after the database, so every
  file the database names is there;
- ``manifest.json``, last (its sums are known only once every member is written): format
  version, Vaka version, creation time, database vendor, the last migration of each app,
  each member's SHA-256 and size, the audit chain's last entry and hash, and a check value
  of the secret key (an HMAC, which reveals nothing of the key).

Never the secret key file or any encryption key: an archive on a backup disk must not
carry what decrypts the credentials inside it. Restore with the same ``VAKA_SECRET_KEY``
(or the old data directory's ``secret_key`` file) and ``VAKA_ENCRYPTION_KEY``.
"""

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from vaka.policy import audit
from vaka.policy.models import AuditEntry
from vaka.policy.pg_tools import ToolError, find_tool, run

FORMAT = "vaka-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1 << 20
# Level 6 packs a SQLite store to about the size level 9 does, in half the time.
_GZIP_LEVEL = 6
_ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error)
_MANIFEST_KEYS = {"vaka_version": str, "created": str, "database": dict, "migrations": dict,
                  "audit": dict, "secret_key_check": str, "members": dict}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what was wrong in one line."""


def create_backup(target: Path) -> dict[str, Any]:
    """Write one archive of the database and the stored files to ``target``; return its
    manifest. The archive appears under its name only when complete (mode 0600)."""
    target = Path(target).absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the archive's file name.")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} does not exist.")
    if target.is_relative_to(_files_root().absolute()):
        raise BackupError(f"{target} is inside the stored files it would hold: write it elsewhere.")
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    if connection.in_atomic_block:
        # SQLite's copy would wait for this very transaction; a PostgreSQL snapshot must
        # be the first thing its transaction does.
        raise BackupError("A backup runs outside any transaction.")
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".vaka-backup-") as tmp:
            dump = Path(tmp) / DATABASE_MEMBERS[vendor]
            database = (_dump_sqlite(dump) if vendor == "sqlite" else _dump_postgresql(dump))
            return _write_archive(target, dump, database)
    except ToolError as error:
        raise BackupError(str(error)) from error
    except OSError as error:
        raise BackupError(f"Cannot write {target}: {error.strerror or error}.") from error


def restore_backup(archive: Path, *, other_secret_key: bool = False) -> dict[str, Any]:
    """Restore ``archive`` into this instance's empty database and files directory.

    Every member is checked against the manifest in a staging directory before anything
    is put in place; the database and files then move in together, and the audit chain
    must verify and end at the manifest's hash."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file.")
    manifest = read_manifest(archive)
    vendor = connection.vendor
    _check_manifest(manifest, vendor, other_secret_key=other_secret_key)
    _refuse_unless_empty(vendor)
    data_dir = Path(settings.DATA_DIR)
    staging = Path(tempfile.mkdtemp(dir=data_dir, prefix=".vaka-restore-"))
    try:
        _extract_verified(archive, manifest, staging)
        if vendor == "sqlite":
            _restore_sqlite(staging, manifest)
        else:
            _restore_postgresql(staging, manifest)
    except ToolError as error:
        raise BackupError(str(error)) from error
    except OSError as error:
        raise BackupError(f"Cannot restore into {data_dir}: {error.strerror or error}.") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


# --- Writing -----------------------------------------------------------------------------


def _files_root() -> Path:
    return Path(default_storage.location)


def _secret_key_check() -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"vaka-backup", "sha256").hexdigest()[:16]


def _anchor_and_migrations(cursor: Any) -> dict[str, Any]:
    """The audit chain's last entry and each app's last migration, read through ``cursor``
    (of the copy or of the dump's snapshot, so they describe exactly what is archived)."""
    table = AuditEntry._meta.db_table
    cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
    last = cursor.fetchone() or (None, None)
    cursor.execute("SELECT app, name FROM django_migrations")
    migrations: dict[str, str] = {}
    for app, name in cursor.fetchall():
        migrations[app] = max(name, migrations.get(app, name))
    return {"audit": {"last_seq": last[0], "last_hash": last[1]},
            "migrations": dict(sorted(migrations.items()))}


def _dump_sqlite(dump: Path) -> dict[str, Any]:
    connection.ensure_connection()
    with closing(sqlite3.connect(dump)) as copy:
        # pages=-1: the whole database in one step under one read transaction, a
        # consistent snapshot; in WAL mode writers go on meanwhile.
        connection.connection.backup(copy)
    with closing(sqlite3.connect(dump)) as copy:
        found = _anchor_and_migrations(copy.cursor())
    return {"vendor": "sqlite", "server_version": sqlite3.sqlite_version, **found}


def _dump_postgresql(dump: Path) -> dict[str, Any]:
    server = connection.pg_version // 10000
    pg_dump, tool_version = find_tool("pg_dump", server)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        found = _anchor_and_migrations(cursor)
        run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
              f"--file={dump}"], "pg_dump")
    return {"vendor": "postgresql", "server_version": str(server),
            "dump_version": tool_version, **found}


class _HashingReader:
    """Hands a file to ``tarfile`` while computing its SHA-256 on the way."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.sha256 = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(handle)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    return {"sha256": reader.sha256.hexdigest(), "size": info.size}


def _stored_files() -> Iterator[tuple[str, Path]]:
    root = _files_root()
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _write_archive(target: Path, dump: Path, database: dict[str, Any]) -> dict[str, Any]:
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=_GZIP_LEVEL) as tar:
                member = DATABASE_MEMBERS[database["vendor"]]
                members = {member: _add_file(tar, member, dump)}
                for name, path in _stored_files():
                    try:
                        members[f"{FILES}/{name}"] = _add_file(tar, f"{FILES}/{name}", path)
                    except FileNotFoundError:
                        continue  # removed since listed: a pending original whose review ended
                manifest = _manifest(database, members)
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o600
                tar.addfile(info, _BytesReader(data))  # type: ignore[arg-type]
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return manifest


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset:end], min(end, len(self.data))
        return chunk


def _manifest(database: dict[str, Any], members: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "vaka_version": version("vaka"),
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "database": {k: v for k, v in database.items() if k not in {"audit", "migrations"}},
        "migrations": database["migrations"],
        "audit": database["audit"],
        "secret_key_check": _secret_key_check(),
        "members": members,
    }


# --- Reading and checking ----------------------------------------------------------------


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest; reading it reads the whole archive, so a truncated or
    damaged one is refused here, before anything else."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            handle = tar.extractfile(tar.getmember(MANIFEST))
            manifest = json.load(handle) if handle else None
    except KeyError:
        raise BackupError(f"{archive} has no {MANIFEST}: not a Vaka backup, or truncated."
                          ) from None
    except (*_ARCHIVE_ERRORS, OSError) as error:
        raise BackupError(f"{archive} is truncated or not a .tar.gz archive ({error}).") from error
    except ValueError as error:
        raise BackupError(f"{archive}: {MANIFEST} is not valid JSON ({error}).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: {MANIFEST} is not a Vaka backup manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{archive}: unknown format version {manifest.get('format_version')!r} "
                          f"(this Vaka reads version {FORMAT_VERSION}).")
    for key, kind in _MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            raise BackupError(f"{archive}: {MANIFEST} lacks {key!r} or it is malformed.")
    return manifest


def _check_manifest(manifest: dict[str, Any], vendor: str, *, other_secret_key: bool) -> None:
    backed_up = manifest["database"].get("vendor")
    if backed_up != vendor:
        raise BackupError(f"The backup holds a {backed_up} database, but this instance is "
                          f"configured for {vendor} (VAKA_DATABASE_URL).")
    for name in manifest["members"]:
        path = PurePosixPath(name)
        if (name != DATABASE_MEMBERS[vendor] and path.parts[:1] != (FILES,)) or ".." in path.parts \
                or path.is_absolute():
            raise BackupError(f"The manifest lists {name!r}, which a Vaka backup never holds.")
    if DATABASE_MEMBERS[vendor] not in manifest["members"]:
        raise BackupError(f"The manifest lists no {DATABASE_MEMBERS[vendor]}.")
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = [f"{app}.{name}" for app, name in manifest["migrations"].items()
             if (app, name) not in known]
    if newer:
        raise BackupError(f"The backup is from a newer Vaka ({manifest['vaka_version']}; this "
                          f"one does not know migration {', '.join(newer)}): upgrade first.")
    if manifest["secret_key_check"] != _secret_key_check() and not other_secret_key:
        raise BackupError("This instance's secret key is not the backed-up instance's: set "
                          "VAKA_SECRET_KEY (or put the old secret_key file in VAKA_DATA_DIR), "
                          "or pass --other-secret-key to restore anyway.")


def _refuse_unless_empty(vendor: str) -> None:
    if vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        if path.exists():
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                tables = db.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise BackupError(f"{path} already holds a database ({tables} tables): restore "
                                  "only into an empty VAKA_DATA_DIR.")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables "
                           "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
            tables = cursor.fetchone()[0]
        if tables:
            raise BackupError(f"Database {connection.settings_dict['NAME']} already has {tables} "
                              "tables: restore only into an empty database.")
    files = _files_root()
    if files.is_dir() and any(files.iterdir()):
        raise BackupError(f"{files} is not empty: restore only into an empty VAKA_DATA_DIR.")


def _extract_verified(archive: Path, manifest: dict[str, Any], staging: Path) -> None:
    """Unpack every member into ``staging``, each checked against its SHA-256 and size."""
    expected, seen = manifest["members"], set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile():
                    raise BackupError(f"{archive}: member {member.name} is not in the manifest.")
                destination = staging / member.name
                destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                sha256, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with source, os.fdopen(fd, "wb") as out:  # type: ignore[union-attr]
                    while chunk := source.read(_CHUNK):  # type: ignore[union-attr]
                        sha256.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                wanted = expected[member.name]
                if not isinstance(wanted, dict) or (
                        sha256.hexdigest(), size) != (wanted.get("sha256"), wanted.get("size")):
                    raise BackupError(f"{archive}: member {member.name} does not match its "
                                      "SHA-256 in the manifest (damaged or altered).")
                seen.add(member.name)
    except _ARCHIVE_ERRORS as error:
        raise BackupError(f"{archive} is truncated or damaged ({error}).") from error
    if missing := sorted(set(expected) - seen):
        raise BackupError(f"{archive}: member {missing[0]} is in the manifest but not in the "
                          "archive (truncated?).")


def _check_chain(manifest: dict[str, Any]) -> None:
    """The restored audit chain verifies and ends exactly where the backup's did."""
    wanted = manifest["audit"].get("last_hash")
    if wanted is None:
        if AuditEntry.objects.exists():
            raise BackupError("The restored audit log has entries; the manifest says none.")
        return
    result = audit.verify()
    if not result.ok:
        raise BackupError(f"Restored database: {result.message()}")
    if result.last_hash != wanted:
        raise BackupError(f"The restored audit chain ends at {result.last_hash}, not at the "
                          f"manifest's {wanted}.")


def _move_files_in(staging: Path) -> Path | None:
    """Move the staged files directory into place; returns where it went, to undo."""
    staged, root = staging / FILES, _files_root()
    if not staged.is_dir():
        return None
    if root.is_dir():
        root.rmdir()  # checked empty before
    root.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(staged, root)
    return root


def _restore_sqlite(staging: Path, manifest: dict[str, Any]) -> None:
    staged = staging / DATABASE_MEMBERS["sqlite"]
    target = Path(connection.settings_dict["NAME"])
    # The chain is checked on the staged copy: a bad one leaves the target untouched.
    connection.close()
    connection.settings_dict["NAME"] = str(staged)
    try:
        _check_chain(manifest)
    finally:
        connection.close()
        connection.settings_dict["NAME"] = str(target)
    moved = _move_files_in(staging)
    try:
        # An empty database's write-ahead log must not be replayed onto the restored one.
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, target)
    except BaseException:
        if moved:
            shutil.move(moved, staging / FILES)
        raise


def _restore_postgresql(staging: Path, manifest: dict[str, Any]) -> None:
    server = connection.pg_version // 10000
    dumped = int(str(manifest["database"].get("dump_version", "0")).split(".")[0])
    pg_restore, _version = find_tool("pg_restore", max(server, dumped))
    moved = _move_files_in(staging)
    try:
        # One transaction: a failure leaves the database as empty as it was. Owners and
        # grants are this server's business (see the README's audit owner role).
        run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", "--no-password", f"--dbname={connection.settings_dict['NAME']}",
              str(staging / DATABASE_MEMBERS["postgresql"])], "pg_restore")
    except BaseException:
        if moved:
            shutil.move(moved, staging / FILES)
        raise
    connection.close()
    try:
        _check_chain(manifest)
    except BackupError as error:
        raise BackupError(f"{error} The database is restored nonetheless: do not use it, and "
                          "empty it before restoring another archive.") from error
