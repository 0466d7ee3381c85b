"""Storage of enrolled keys, signed batches, alerts, chain breaks and rule messages.

`Store` is the interface the rest of the collector uses; `SqliteStore` is the
default backend (one file, `collector.db`, in the data directory, WAL mode), and
a PostgreSQL backend implements the same Protocol for a CERT that runs several
collector replicas over one database. Backends own SQL and transactions; the
ingest pipeline (collector.ingest) owns the order of checks.

What is kept (docs/collector.md has the full schema):
  sensors      sensor_id -> sector
  keys         key_id -> sensor_id, public key PEM, enrolled/revoked time (rotation: many keys per sensor)
  batches      one row per stored batch with the ORIGINAL FRAME BYTES, so every stored alert
               can be verified again later against the enrolled key
  alerts       one row per (sensor_id, epoch, seq), stored once (INSERT OR IGNORE)
  chain_breaks batches whose prev_hash does not name the stored hash of batch_seq - 1
               (for batch_seq 1: is not 32 zero bytes)
  rules        (gid, sid) -> rev, msg, category, severity, from `collector run --rules`

Gaps (missing batch_seq below the highest seen, missing alert seq between 1 and
the highest seen) are computed from batches and alerts when asked, so a gap
closes by itself when the missing batch arrives.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from alertwire import Alert, BatchHeader
from collector.errors import EnrollmentError, StoreBusy, StoreError

DB_FILE = "collector.db"
SCHEMA_USER_VERSION = 1
ZERO_HASH = bytes(32)  # prev_hash of batch_seq 1: a chain starts fresh in every epoch
_I64 = 1 << 63
_U64 = 1 << 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sensors (
    sensor_id   TEXT PRIMARY KEY,
    sector      TEXT NOT NULL,
    enrolled_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
    key_id      TEXT PRIMARY KEY,
    sensor_id   TEXT NOT NULL REFERENCES sensors(sensor_id),
    public_key  BLOB NOT NULL,
    enrolled_us INTEGER NOT NULL,
    revoked_us  INTEGER
);
CREATE INDEX IF NOT EXISTS keys_sensor ON keys(sensor_id);
CREATE TABLE IF NOT EXISTS batches (
    id              INTEGER PRIMARY KEY,
    sensor_id       TEXT NOT NULL,
    epoch           INTEGER NOT NULL,
    batch_seq       INTEGER NOT NULL,
    batch_hash      BLOB NOT NULL,
    prev_hash       BLOB NOT NULL,
    key_id          TEXT NOT NULL,
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    stored          INTEGER NOT NULL,
    clock           INTEGER NOT NULL,
    ruleset_version TEXT NOT NULL,
    ruleset_hash    BLOB NOT NULL,
    created_s       INTEGER NOT NULL,
    received_us     INTEGER NOT NULL,
    frame           BLOB NOT NULL,
    UNIQUE (sensor_id, epoch, batch_seq)
);
CREATE TABLE IF NOT EXISTS alerts (
    id          INTEGER PRIMARY KEY,
    sensor_id   TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    batch_seq   INTEGER NOT NULL,
    ts_us       INTEGER NOT NULL,
    gid         INTEGER NOT NULL,
    sid         INTEGER NOT NULL,
    rev         INTEGER NOT NULL,
    proto       INTEGER NOT NULL,
    src_ip      BLOB NOT NULL,
    src_port    INTEGER NOT NULL,
    dest_ip     BLOB NOT NULL,
    dest_port   INTEGER NOT NULL,
    flow_id     INTEGER NOT NULL,
    direction   INTEGER NOT NULL,
    blocked     INTEGER NOT NULL,
    app_proto   TEXT NOT NULL,
    payload     BLOB NOT NULL,
    UNIQUE (sensor_id, epoch, seq)
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts_us);
CREATE INDEX IF NOT EXISTS alerts_sid ON alerts(sid);
CREATE TABLE IF NOT EXISTS chain_breaks (
    sensor_id     TEXT NOT NULL,
    epoch         INTEGER NOT NULL,
    batch_seq     INTEGER NOT NULL,
    expected_prev BLOB NOT NULL,
    prev_hash     BLOB NOT NULL,
    detected_us   INTEGER NOT NULL,
    PRIMARY KEY (sensor_id, epoch, batch_seq)
);
CREATE TABLE IF NOT EXISTS rules (
    gid      INTEGER NOT NULL,
    sid      INTEGER NOT NULL,
    rev      INTEGER NOT NULL,
    msg      TEXT NOT NULL,
    category TEXT,
    severity INTEGER,
    PRIMARY KEY (gid, sid)
);
"""

_ALERT_INSERT = (
    "INSERT OR IGNORE INTO alerts (sensor_id, epoch, seq, batch_seq, ts_us, gid, sid, rev, proto, src_ip, src_port,"
    " dest_ip, dest_port, flow_id, direction, blocked, app_proto, payload)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)

ALERT_COLUMNS = (
    "id", "sensor_id", "sector", "epoch", "seq", "batch_seq", "ts_us", "gid", "sid", "rev", "proto", "src_ip",
    "src_port", "dest_ip", "dest_port", "flow_id", "direction", "blocked", "app_proto", "payload", "msg",
    "category", "severity",
)  # fmt: skip
_ALERT_SELECT = (
    "SELECT a.id, a.sensor_id, s.sector, a.epoch, a.seq, a.batch_seq, a.ts_us, a.gid, a.sid, a.rev, a.proto,"
    " a.src_ip, a.src_port, a.dest_ip, a.dest_port, a.flow_id, a.direction, a.blocked, a.app_proto, a.payload,"
    " r.msg, r.category, r.severity"
    " FROM alerts a LEFT JOIN sensors s ON s.sensor_id = a.sensor_id"
    " LEFT JOIN rules r ON r.gid = a.gid AND r.sid = a.sid"
)


@dataclass(frozen=True, slots=True)
class EnrolledKey:
    key_id: str
    sensor_id: str
    sector: str
    public_key_pem: bytes
    revoked_us: int | None


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A verified, decoded batch as ingest hands it to the store."""

    header: BatchHeader
    key_id: str
    batch_hash: bytes
    frame: bytes
    entries: Sequence[tuple[int, Alert]]
    received_us: int


@dataclass(slots=True)
class StoreResult:
    """What storing a batch did. `existing_hash` is set (and nothing stored) when the
    (sensor_id, epoch, batch_seq) was already there."""

    stored: int = 0
    duplicates: int = 0
    existing_hash: bytes | None = None
    batch_gap: tuple[int, int] | None = None
    seq_gaps: list[tuple[int, int]] = field(default_factory=list)
    chain_breaks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AlertQuery:
    sensor: str | None = None
    sector: str | None = None
    sid: int | None = None
    since_us: int | None = None
    until_us: int | None = None
    limit: int | None = None
    newest: bool = False  # with a limit: the newest `limit` alerts (still returned oldest first)


@dataclass(frozen=True, slots=True)
class StoredFrame:
    sensor_id: str
    epoch: int
    batch_seq: int
    key_id: str
    batch_hash: bytes
    frame: bytes


class Store(Protocol):
    """The storage interface; every method is blocking (the ASGI edge runs them in a thread)."""

    def enroll(self, sensor_id: str, sector: str, key_id: str, public_key_pem: bytes, now_us: int) -> None: ...
    def revoke(self, *, sensor_id: str | None, key_id: str | None, now_us: int) -> list[str]: ...
    def lookup_key(self, key_id: str) -> EnrolledKey | None: ...
    def sensors(self) -> list[dict[str, Any]]: ...
    def store_batch(self, batch: BatchRecord) -> StoreResult: ...
    def alerts(self, query: AlertQuery) -> list[dict[str, Any]]: ...
    def frame(self, sensor_id: str, epoch: int, batch_seq: int) -> StoredFrame | None: ...
    def frames(self) -> Iterator[StoredFrame]: ...
    def stored_seqs(self, sensor_id: str, epoch: int, batch_seq: int) -> dict[int, dict[str, Any]]: ...
    def gaps(self) -> list[dict[str, Any]]: ...
    def upsert_rules(self, rows: Sequence[tuple[int, int, int, str, str | None, int | None]]) -> int: ...
    def close(self) -> None: ...


def _alert_row(row: Sequence[Any]) -> dict[str, Any]:
    d = dict(zip(ALERT_COLUMNS, row, strict=True))
    if d["flow_id"] < 0:  # stored as signed 64-bit; the wire's flow_id is unsigned
        d["flow_id"] += _U64
    d["blocked"] = bool(d["blocked"])
    d["src_ip"], d["dest_ip"], d["payload"] = bytes(d["src_ip"]), bytes(d["dest_ip"]), bytes(d["payload"])
    return d


class SqliteStore:
    """Store on one SQLite file in WAL mode; one connection per thread.

    Writes take the database lock up front (BEGIN IMMEDIATE), so the replay check and
    the insert of a batch are one atomic step even with several writer threads or
    processes. synchronous=FULL: a 200 answer means the batch is on disk.
    """

    def __init__(
        self, data_dir: str | Path, *, create: bool = True, busy_timeout: float = 30.0,
        wal_autocheckpoint: int | None = None,
    ) -> None:
        self.path = Path(data_dir) / DB_FILE
        self._busy_timeout = busy_timeout
        self._wal_autocheckpoint = wal_autocheckpoint
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no collector database here (enroll a sensor or run the collector first)")
        try:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{data_dir}: cannot create data directory: {e.strerror}") from None
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_USER_VERSION):
                raise StoreError(f"{self.path}: schema version {version}, this build reads {SCHEMA_USER_VERSION}")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_USER_VERSION}")
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: {e}") from None

    # -- connections -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
                if self._wal_autocheckpoint is not None:
                    conn.execute(f"PRAGMA wal_autocheckpoint = {int(self._wal_autocheckpoint)}")
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: cannot open database: {e}") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database without blocking writers (SQLite PASSIVE)."""
        try:
            self._conn().execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError:
            pass  # busy: the next round catches up

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # -- enrollment --------------------------------------------------------------------------

    def enroll(self, sensor_id: str, sector: str, key_id: str, public_key_pem: bytes, now_us: int) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT sensor_id, revoked_us FROM keys WHERE key_id = ?", (key_id,)).fetchone()
            if row is not None:
                if row[1] is not None:
                    raise EnrollmentError(f"key {key_id} was revoked; a revoked key cannot be enrolled again")
                raise EnrollmentError(f"key {key_id} is already enrolled for sensor {row[0]}")
            srow = conn.execute("SELECT sector FROM sensors WHERE sensor_id = ?", (sensor_id,)).fetchone()
            if srow is None:
                conn.execute("INSERT INTO sensors VALUES (?, ?, ?)", (sensor_id, sector, now_us))
            elif srow[0] != sector:
                raise EnrollmentError(
                    f"sensor {sensor_id} is enrolled in sector {srow[0]}, not {sector}; use another sensor id"
                )
            conn.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, NULL)", (key_id, sensor_id, public_key_pem, now_us)
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def revoke(self, *, sensor_id: str | None, key_id: str | None, now_us: int) -> list[str]:
        conn = self._conn()
        if (sensor_id is None) == (key_id is None):
            raise EnrollmentError("revoke needs exactly one of a sensor id or a key id")
        where, arg = ("sensor_id = ?", sensor_id) if sensor_id is not None else ("key_id = ?", key_id)
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(f"SELECT key_id, revoked_us FROM keys WHERE {where}", (arg,)).fetchall()
            if not rows:
                what = f"sensor {sensor_id}" if sensor_id is not None else f"key {key_id}"
                raise EnrollmentError(f"{what} is not enrolled")
            live = [r[0] for r in rows if r[1] is None]
            conn.execute(f"UPDATE keys SET revoked_us = ? WHERE {where} AND revoked_us IS NULL", (now_us, arg))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return live

    def lookup_key(self, key_id: str) -> EnrolledKey | None:
        row = self._conn().execute(
            "SELECT k.key_id, k.sensor_id, s.sector, k.public_key, k.revoked_us"
            " FROM keys k JOIN sensors s ON s.sensor_id = k.sensor_id WHERE k.key_id = ?",
            (key_id,),
        ).fetchone()
        return None if row is None else EnrolledKey(row[0], row[1], row[2], bytes(row[3]), row[4])

    def sensors(self) -> list[dict[str, Any]]:
        conn = self._conn()
        out: list[dict[str, Any]] = []
        for sensor_id, sector, enrolled_us in conn.execute(
            "SELECT sensor_id, sector, enrolled_us FROM sensors ORDER BY sensor_id"
        ).fetchall():
            keys = [
                {"key_id": k, "enrolled_us": e, "revoked_us": r}
                for k, e, r in conn.execute(
                    "SELECT key_id, enrolled_us, revoked_us FROM keys WHERE sensor_id = ? ORDER BY enrolled_us",
                    (sensor_id,),
                )
            ]
            nb, last = conn.execute(
                "SELECT COUNT(*), MAX(received_us) FROM batches WHERE sensor_id = ?", (sensor_id,)
            ).fetchone()
            (na,) = conn.execute("SELECT COUNT(*) FROM alerts WHERE sensor_id = ?", (sensor_id,)).fetchone()
            out.append({
                "sensor_id": sensor_id, "sector": sector, "enrolled_us": enrolled_us, "keys": keys,
                "batches": nb, "alerts": na, "last_batch_us": last,
            })  # fmt: skip
        return out

    # -- ingest ------------------------------------------------------------------------------

    def store_batch(self, batch: BatchRecord) -> StoreResult:
        h = batch.header
        sensor, epoch, bseq = h.sensor_id, h.epoch, h.batch_seq
        conn = self._conn()
        result = StoreResult()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise StoreBusy(f"{self.path}: {e} (waited {self._busy_timeout:g} s for the write lock)") from None
        try:
            row = conn.execute(
                "SELECT batch_hash FROM batches WHERE sensor_id = ? AND epoch = ? AND batch_seq = ?",
                (sensor, epoch, bseq),
            ).fetchone()
            if row is not None:
                conn.execute("ROLLBACK")
                result.existing_hash = bytes(row[0])
                return result
            (max_bseq,) = conn.execute(
                "SELECT MAX(batch_seq) FROM batches WHERE sensor_id = ? AND epoch = ?", (sensor, epoch)
            ).fetchone()
            (max_seq,) = conn.execute(
                "SELECT MAX(seq) FROM alerts WHERE sensor_id = ? AND epoch = ?", (sensor, epoch)
            ).fetchone()
            self._check_chain(conn, batch, result)
            before = conn.total_changes
            # the Alert tuple's fields are the columns after batch_seq, in order (record.Alert);
            # flow_id (unsigned 64-bit on the wire) is stored in SQLite's signed 64-bit integer
            conn.executemany(
                _ALERT_INSERT,
                [
                    (sensor, epoch, seq, bseq, *a[:9], a[9] if a[9] < _I64 else a[9] - _U64, *a[10:])
                    for seq, a in batch.entries
                ],
            )
            result.stored = conn.total_changes - before
            result.duplicates = len(batch.entries) - result.stored
            conn.execute(
                "INSERT INTO batches (sensor_id, epoch, batch_seq, batch_hash, prev_hash, key_id, first_seq,"
                " last_seq, count, stored, clock, ruleset_version, ruleset_hash, created_s, received_us, frame)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sensor, epoch, bseq, batch.batch_hash, h.prev_hash, batch.key_id, h.first_seq, h.last_seq,
                 h.count, result.stored, h.clock, h.ruleset_version, h.ruleset_hash, h.created_s,
                 batch.received_us, batch.frame),
            )  # fmt: skip
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        # holes this batch leaves, relative to what was stored before it (for the gap_detected event)
        top = max_bseq or 0
        if bseq > top + 1:
            result.batch_gap = (top + 1, bseq - 1)
        prev = max_seq or 0
        for seq, _ in batch.entries:
            if seq > prev + 1:
                result.seq_gaps.append((prev + 1, seq - 1))
            prev = max(prev, seq)
        return result

    def _check_chain(self, conn: sqlite3.Connection, batch: BatchRecord, result: StoreResult) -> None:
        h = batch.header
        key = (h.sensor_id, h.epoch)
        q = "SELECT batch_hash, prev_hash FROM batches WHERE sensor_id = ? AND epoch = ? AND batch_seq = ?"
        before = (ZERO_HASH,) if h.batch_seq == 1 else conn.execute(q, (*key, h.batch_seq - 1)).fetchone()
        if before is not None and bytes(before[0]) != h.prev_hash:
            result.chain_breaks.append({"batch_seq": h.batch_seq, "expected_prev": bytes(before[0]),
                                        "prev_hash": h.prev_hash})  # fmt: skip
        after = conn.execute(q, (*key, h.batch_seq + 1)).fetchone()
        if after is not None and bytes(after[1]) != batch.batch_hash:
            result.chain_breaks.append({"batch_seq": h.batch_seq + 1, "expected_prev": batch.batch_hash,
                                        "prev_hash": bytes(after[1])})  # fmt: skip
        for b in result.chain_breaks:
            conn.execute(
                "INSERT OR IGNORE INTO chain_breaks VALUES (?, ?, ?, ?, ?, ?)",
                (*key, b["batch_seq"], b["expected_prev"], b["prev_hash"], batch.received_us),
            )

    # -- queries -----------------------------------------------------------------------------

    def alerts(self, query: AlertQuery) -> list[dict[str, Any]]:
        where: list[str] = []
        args: list[Any] = []
        if query.sensor is not None:
            where.append("a.sensor_id = ?")
            args.append(query.sensor)
        if query.sector is not None:
            where.append("a.sensor_id IN (SELECT sensor_id FROM sensors WHERE sector = ?)")
            args.append(query.sector)
        if query.sid is not None:
            where.append("a.sid = ?")
            args.append(query.sid)
        if query.since_us is not None:
            where.append("a.ts_us >= ?")
            args.append(query.since_us)
        if query.until_us is not None:
            where.append("a.ts_us < ?")
            args.append(query.until_us)
        sql = _ALERT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        order = " DESC" if query.newest else ""
        sql += f" ORDER BY a.ts_us{order}, a.sensor_id{order}, a.epoch{order}, a.seq{order}"
        if query.limit is not None:
            sql += " LIMIT ?"
            args.append(query.limit)
        rows = self._conn().execute(sql, args).fetchall()
        if query.newest:
            rows.reverse()
        return [_alert_row(row) for row in rows]

    def frame(self, sensor_id: str, epoch: int, batch_seq: int) -> StoredFrame | None:
        row = self._conn().execute(
            "SELECT sensor_id, epoch, batch_seq, key_id, batch_hash, frame FROM batches"
            " WHERE sensor_id = ? AND epoch = ? AND batch_seq = ?",
            (sensor_id, epoch, batch_seq),
        ).fetchone()
        return None if row is None else StoredFrame(row[0], row[1], row[2], row[3], bytes(row[4]), bytes(row[5]))

    def frames(self) -> Iterator[StoredFrame]:
        cur = self._conn().execute(
            "SELECT sensor_id, epoch, batch_seq, key_id, batch_hash, frame FROM batches ORDER BY id"
        )
        for row in cur:
            yield StoredFrame(row[0], row[1], row[2], row[3], bytes(row[4]), bytes(row[5]))

    def stored_seqs(self, sensor_id: str, epoch: int, batch_seq: int) -> dict[int, dict[str, Any]]:
        """The alert rows a batch stored, by seq (for `collector verify`)."""
        rows = self._conn().execute(
            _ALERT_SELECT + " WHERE a.sensor_id = ? AND a.epoch = ? AND a.batch_seq = ?",
            (sensor_id, epoch, batch_seq),
        ).fetchall()
        return {d["seq"]: d for d in map(_alert_row, rows)}

    def gaps(self) -> list[dict[str, Any]]:
        conn = self._conn()
        out: list[dict[str, Any]] = []
        for sensor_id, epoch, lo, hi in conn.execute(
            "SELECT sensor_id, epoch, prev + 1, batch_seq - 1 FROM ("
            " SELECT sensor_id, epoch, batch_seq,"
            " LAG(batch_seq, 1, 0) OVER (PARTITION BY sensor_id, epoch ORDER BY batch_seq) AS prev FROM batches)"
            " WHERE batch_seq - prev > 1 ORDER BY sensor_id, epoch, batch_seq"
        ):
            out.append({"sensor_id": sensor_id, "epoch": epoch, "kind": "batch_seq", "first": lo, "last": hi})
        for sensor_id, epoch, lo, hi in conn.execute(
            "SELECT sensor_id, epoch, prev + 1, seq - 1 FROM ("
            " SELECT sensor_id, epoch, seq,"
            " LAG(seq, 1, 0) OVER (PARTITION BY sensor_id, epoch ORDER BY seq) AS prev FROM alerts)"
            " WHERE seq - prev > 1 ORDER BY sensor_id, epoch, seq"
        ):
            out.append({"sensor_id": sensor_id, "epoch": epoch, "kind": "alert_seq", "first": lo, "last": hi})
        for sensor_id, epoch, bseq, expected, got in conn.execute(
            "SELECT sensor_id, epoch, batch_seq, expected_prev, prev_hash FROM chain_breaks"
            " ORDER BY sensor_id, epoch, batch_seq"
        ):
            out.append({
                "sensor_id": sensor_id, "epoch": epoch, "kind": "chain_break", "batch_seq": bseq,
                "expected_prev_hash": bytes(expected).hex(), "prev_hash": bytes(got).hex(),
            })  # fmt: skip
        out.sort(key=lambda g: (g["sensor_id"], g["epoch"]))
        return out

    # -- rules -------------------------------------------------------------------------------

    def upsert_rules(self, rows: Sequence[tuple[int, int, int, str, str | None, int | None]]) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO rules VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (gid, sid) DO UPDATE SET"
                " rev = excluded.rev, msg = excluded.msg, category = excluded.category, severity = excluded.severity",
                rows,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)
