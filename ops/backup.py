"""A logical backup of every table (JSON lines, gzip), restorable into any empty, migrated database of the
same schema version, on SQLite or PostgreSQL."""
import base64
import gzip
import json
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, LargeBinary, func, select, text

from core.extensions import db

FORMAT = "gongjian-backup/1"


def _tables():
    return [t for t in db.metadata.sorted_tables]


def _encode(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, (bytes, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value, column):
    if isinstance(value, dict) and len(value) == 1:
        if "$dt" in value and isinstance(column.type, DateTime):
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value and isinstance(column.type, Date):
            return date.fromisoformat(value["$d"])
        if "$b" in value and isinstance(column.type, LargeBinary):
            return base64.b64decode(value["$b"])
    return value


def schema_version():
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(path):
    """Write every row of every table to `path`; returns {table: rows}. Reads in one transaction."""
    counts = {}
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"format": FORMAT, "schema": schema_version()}) + "\n")
        for table in _tables():
            order = list(table.primary_key.columns) or list(table.columns)
            rows = db.session.execute(select(table).order_by(*order)
                                      .execution_options(stream_results=True, yield_per=2000)).mappings()
            n = 0
            for row in rows:
                out.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}},
                                     ensure_ascii=False) + "\n")
                n += 1
            counts[table.name] = n
    return counts


class RestoreRefused(Exception):
    """The backup cannot go into this database (format, schema version, or the database is not empty)."""


def restore(path, batch=2000):
    """Load a backup into this database, which must be migrated to the same version and hold no data."""
    tables = {t.name: t for t in _tables()}
    with gzip.open(path, "rt", encoding="utf-8") as source:
        header = json.loads(source.readline())
        if header.get("format") != FORMAT:
            raise RestoreRefused(f"not a backup of this service ({header.get('format')})")
        if header.get("schema") != schema_version():
            raise RestoreRefused(f"backup is of schema {header.get('schema')}, database is at {schema_version()}: "
                                 "migrate the database to the backup's version first")
        for table in tables.values():
            if db.session.execute(select(func.count()).select_from(table)).scalar():
                raise RestoreRefused(f"table {table.name} is not empty: restore into a new, migrated database")
        counts, pending, current = {}, [], None

        def flush():
            if pending:
                db.session.execute(tables[current].insert(), pending)
                counts[current] = counts.get(current, 0) + len(pending)
                pending.clear()
        for line in source:
            item = json.loads(line)
            if item["t"] != current or len(pending) >= batch:
                flush()
                current = item["t"]
            table = tables[current]
            pending.append({k: _decode(v, table.columns[k]) for k, v in item["r"].items()})
        flush()
    if db.engine.dialect.name == "postgresql":
        for table in tables.values():
            if "id" in table.columns and isinstance(table.columns["id"].type, Integer):
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
    db.session.commit()
    return counts
