"""Backup and restore: every table and the document store in one archive, for either database.

The archive (a ``.tar.gz``) holds ``manifest.json`` (schema revision, row counts, SHA-256 of each
part), one JSON-lines file per table in the order foreign keys need, and the document files. Rows
are written through the models' column types, so a SQLite backup restores into PostgreSQL and back.
A restore goes into an empty database of the same schema revision (run the version of the
application that made the backup, or upgrade the source first); afterwards every case can be
replay-verified against the restored documents.
"""

import base64
import hashlib
import io
import json
import tarfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, Table, func, select, text, update

from .clock import now as clock_now
from .errors import Conflict, Invalid
from .store import Base, schema

FORMAT = "dibao-backup/1"


def _encode(value):
    """A column value as JSON, tagged where JSON has no type for it."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        tag, raw = next(iter(value.items()))
        decoders = {"$dt": datetime.fromisoformat, "$d": date.fromisoformat, "$dec": Decimal,
                    "$b64": base64.b64decode}
        if tag in decoders:
            return decoders[tag](raw)
    return value


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name != schema.VERSION_TABLE]


def _deferred(table: Table) -> list[str]:
    """Columns of foreign keys added after both tables exist (cycles): written once every row is in."""
    return [fk.parent.name for fk in table.foreign_keys if fk.use_alter or fk.constraint.use_alter]


def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> str:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(payload), 0
    tar.addfile(info, io.BytesIO(payload))
    return hashlib.sha256(payload).hexdigest()


def backup(engine: Engine, documents_root: Path, target: Path) -> dict:
    """Write the whole database and the document store to ``target``; returns the manifest.

    Reads in one transaction (a consistent picture on PostgreSQL; SQLite holds the write lock
    briefly in WAL mode, so steps in progress wait or finish first).
    """
    manifest = {"format": FORMAT, "revision": schema.current_revision(engine),
                "made_at": clock_now().astimezone(UTC).isoformat(), "tables": {}, "documents": {}}
    with tarfile.open(target, "w:gz") as tar, engine.connect() as conn, conn.begin():
        for table in _tables():
            order = list(table.primary_key.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings()
            lines = [json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)
                     for row in rows]
            payload = ("\n".join(lines) + ("\n" if lines else "")).encode()
            manifest["tables"][table.name] = {"rows": len(lines), "sha256": _add(tar, f"tables/{table.name}.jsonl",
                                                                                 payload)}
        for path in sorted(p for p in Path(documents_root).rglob("*") if p.is_file() and p.suffix != ".tmp"):
            name = path.relative_to(documents_root).as_posix()
            manifest["documents"][name] = _add(tar, f"documents/{name}", path.read_bytes())
        _add(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode())
    return manifest


def _read(tar: tarfile.TarFile, name: str, sha256: str | None = None) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise Invalid(f"备份文件缺少 {name}", f"The backup lacks {name}")
    payload = member.read()
    if sha256 is not None and hashlib.sha256(payload).hexdigest() != sha256:
        raise Invalid(f"备份文件中的 {name} 已损坏（校验值不符）", f"{name} in the backup is damaged (checksum)")
    return payload


def _check_target(engine: Engine, revision: str) -> None:
    now = schema.current_revision(engine)
    if now is None:  # an empty database: build it at the backup's revision
        schema.upgrade_to(engine, revision)
    elif now != revision:
        raise Conflict(f"目标数据库的结构版本（{now}）与备份（{revision}）不同",
                       f"The target database is at schema {now}, the backup at {revision}")
    with engine.connect() as conn:
        used = [t.name for t in _tables() if conn.scalar(select(func.count()).select_from(t))]
    if used:
        raise Conflict(f"目标数据库不是空的（{', '.join(used[:5])} 已有数据），只能恢复到空数据库",
                       f"The target database is not empty ({', '.join(used[:5])}); restore needs an empty one")


def _restore_table(conn, table: Table, payload: bytes) -> list[dict]:
    """Insert a table's rows; returns the deferred foreign-key values to set afterwards."""
    deferred, later = _deferred(table), []
    rows = [{k: _decode(v) for k, v in json.loads(line).items()} for line in payload.decode().splitlines()]
    for row in rows:
        held = {c: row.pop(c) for c in deferred if row.get(c) is not None}
        if held:
            later.append({"pk": {c.name: row[c.name] for c in table.primary_key.columns}, "values": held})
    for start in range(0, len(rows), 500):
        conn.execute(table.insert(), rows[start:start + 500])
    return later


def _reset_sequences(conn) -> None:
    """PostgreSQL: serial counters continue after the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement is not False and isinstance(pk[0].type.python_type, type) \
                and pk[0].type.python_type is int:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                f"COALESCE((SELECT max({pk[0].name}) FROM {table.name}), 0) + 1, false)"))


def restore(source: Path, engine: Engine, documents_root: Path) -> dict:
    """Restore a backup into an empty database and document store; returns the manifest.

    Raises:
        Invalid: the archive is not a backup, or a part of it is damaged.
        Conflict: the database is not empty, or is at another schema revision.
    """
    with tarfile.open(source, "r:gz") as tar:
        manifest = json.loads(_read(tar, "manifest.json"))
        if manifest.get("format") != FORMAT:
            raise Invalid("这不是本系统的备份文件", "This is not a backup of this system")
        _check_target(engine, manifest["revision"])
        with engine.begin() as conn:
            later = []
            for table in _tables():
                entry = manifest["tables"].get(table.name, {"rows": 0, "sha256": None})
                if entry["rows"]:
                    later += [(table, fix) for fix in _restore_table(
                        conn, table, _read(tar, f"tables/{table.name}.jsonl", entry["sha256"]))]
            for table, fix in later:
                where = [table.c[k] == v for k, v in fix["pk"].items()]
                conn.execute(update(table).where(*where).values(**fix["values"]))
            _reset_sequences(conn)
        for name, sha256 in manifest["documents"].items():
            target = Path(documents_root) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_read(tar, f"documents/{name}", sha256))
    schema.upgrade(engine)
    return manifest
