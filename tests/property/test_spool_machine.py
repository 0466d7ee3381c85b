"""The spool as a state machine against an in-memory model (Vector disk_v2's model tests).

Rules: append, commit, seal, set_ruleset, read, ack, writer crash (torn tail: the uncommitted
bytes partly reach the disk, maybe followed by garbage), reopen writer, reopen reader.
Invariants: every durable, unacknowledged record in a sealed segment is read back exactly and in
order; nothing acknowledged comes back; nothing else (torn, corrupt, lost) is ever returned; seqs
never repeat; acknowledged segments are gone.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from alertwire.spool import SpoolReader, SpoolWriter

HEADER_FIXED = 34  # segment header without ruleset_version / ruleset_hash
RECORD_HEAD = 16


@dataclass(frozen=True)
class Rec:
    seq: int
    body: bytes
    ruleset: tuple[str, bytes]


class SpoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="spool-machine-"))
        self.writer: SpoolWriter | None = None
        self.reader: SpoolReader | None = None
        # the model
        self.durable: list[Rec] = []  # committed (or landed whole before a crash), in seq order
        self.pending: list[Rec] = []  # appended, not yet committed
        self.high_durable = 0  # highest seq that was ever durable (acked ones included)
        self.sealed_upto = 0  # every durable record with seq <= this is in a sealed segment
        self.acked = 0
        self.next_seq = 1
        self.seg_bytes = 0  # bytes of the writer's current segment (header + records), 0 = none
        self.ruleset = ("", b"")
        self.drops = 0
        self.seen_seqs: set[int] = set()  # every seq the reader ever returned
        self.last_read: list[int] = []

    def teardown(self) -> None:
        for obj in (self.writer, self.reader):
            if obj is not None:
                obj.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # helpers -----------------------------------------------------------------------------------

    def open_writer(self) -> None:
        self.writer = SpoolWriter(
            self.dir,
            sensor_id="machine",
            ruleset_version=self.ruleset[0],
            ruleset_hash=self.ruleset[1],
            max_bytes=self.max_bytes,
            segment_bytes=self.segment_bytes,
            fsync=False,
        )
        self.drops = 0
        high = max([r.seq for r in self.durable] + [self.high_durable, self.acked])
        assert self.writer.next_seq == high + 1, "seq must continue after the last durable record"
        self.next_seq = self.writer.next_seq

    def header_size(self) -> int:
        return HEADER_FIXED + len(self.ruleset[0].encode()) + len(self.ruleset[1])

    def make_durable(self, recs: list[Rec]) -> None:
        self.durable.extend(recs)
        if recs:
            self.high_durable = max(self.high_durable, recs[-1].seq)

    def seal_model(self) -> None:
        self.make_durable(self.pending)
        self.pending = []
        self.sealed_upto = self.high_durable
        self.seg_bytes = 0

    def expected_readable(self, after: int) -> list[Rec]:
        return [r for r in self.durable if after < r.seq <= self.sealed_upto]

    # rules -------------------------------------------------------------------------------------

    @initialize(
        segment_bytes=st.sampled_from([120, 300, 1000, 1 << 20]),
        max_bytes=st.sampled_from([400, 1500, 1 << 30]),
    )
    def start(self, segment_bytes: int, max_bytes: int) -> None:
        self.segment_bytes = segment_bytes
        self.max_bytes = max_bytes
        self.open_writer()
        self.reader = SpoolReader(self.dir, fsync=False)

    @precondition(lambda self: self.writer is not None)
    @rule(body=st.binary(max_size=40))
    def append(self, body: bytes) -> None:
        assert self.writer is not None
        size = RECORD_HEAD + len(body)
        if self.seg_bytes and self.seg_bytes + size > self.segment_bytes:
            event("roll")
            self.seal_model()  # the writer rolls: what was buffered is committed and sealed
        seq = self.writer.append(body)
        if seq is None:
            event("dropped_full")
            self.drops += 1
        else:
            assert seq == self.next_seq
            self.pending.append(Rec(seq, body, self.ruleset))
            self.seg_bytes = (self.seg_bytes or self.header_size()) + size
        self.next_seq += 1  # a dropped record still consumes its seq
        assert self.writer.next_seq == self.next_seq
        assert self.writer.stats()["dropped_full"] == self.drops

    @precondition(lambda self: self.writer is not None)
    @rule(bodies=st.lists(st.binary(max_size=40), min_size=1, max_size=12))
    def append_many(self, bodies: list[bytes]) -> None:
        for body in bodies:
            self.append(body)

    @precondition(lambda self: self.writer is not None)
    @rule()
    def commit(self) -> None:
        assert self.writer is not None
        self.writer.commit()
        self.make_durable(self.pending)
        self.pending = []

    @precondition(lambda self: self.writer is not None)
    @rule()
    def seal(self) -> None:
        assert self.writer is not None
        self.writer.seal()
        self.seal_model()

    @precondition(lambda self: self.writer is not None)
    @rule(version=st.sampled_from(["", "v1", "v2-\u00e9"]), digest=st.sampled_from([b"", b"\x01" * 32]))
    def set_ruleset(self, version: str, digest: bytes) -> None:
        assert self.writer is not None
        self.writer.set_ruleset(version, digest)
        if (version, digest) != self.ruleset:
            self.seal_model()
            self.ruleset = (version, digest)

    @rule(extra=st.integers(0, 4), limit=st.integers(1, 9))
    def read(self, extra: int, limit: int) -> None:
        assert self.reader is not None
        after = self.acked + extra
        got: list[Rec] = []
        cursor = after
        while batch := self.reader.read(cursor, limit):
            assert len(batch) <= limit and batch[0].seq > cursor, "read went backwards"
            assert len(got) <= len(self.durable), "read returns more than was ever durable"
            got.extend(Rec(r.seq, r.body, (r.ruleset_version, r.ruleset_hash)) for r in batch)
            cursor = batch[-1].seq
        assert got == self.expected_readable(after)
        event(f"read {min(len(got), 10)}+ records")
        assert all(r.seq > self.acked for r in got), "an acknowledged record came back"
        self.seen_seqs.update(r.seq for r in got)
        self.last_read = [r.seq for r in got]

    @precondition(lambda self: bool(self.last_read))
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        assert self.reader is not None
        seq = data.draw(st.sampled_from(self.last_read[-1:] + self.last_read))  # mostly all of it
        self.reader.ack(seq)
        self.acked = max(self.acked, seq)
        self.durable = [r for r in self.durable if r.seq > self.acked]
        self.last_read = [s for s in self.last_read if s > self.acked]
        for path in self.dir.glob("*.seg"):
            assert int(path.name[21:41]) > self.acked, f"{path.name} survived ack({self.acked})"

    @precondition(lambda self: self.writer is not None)
    @rule(
        write_pending=st.booleans(),
        keep=st.floats(0, 1),
        junk=st.binary(max_size=24),
        same_size=st.booleans(),
    )
    def crash_writer(self, write_pending: bool, keep: float, junk: bytes, same_size: bool) -> None:
        """The sensor dies: part of the uncommitted tail reached the disk, the rest may be junk.

        same_size: the file keeps its intended length but the lost part holds junk (stale blocks),
        so only the CRC can tell a record whose body was torn.
        """
        assert self.writer is not None
        path, committed, ends = self.writer._simulate_crash(write_pending)
        self.writer = None
        if path is not None and path.exists():
            intended = path.read_bytes()
            cut = committed + int((len(intended) - committed) * keep)  # fsynced bytes never go away
            garbage = junk
            if same_size and junk:
                garbage = (junk * (len(intended) // len(junk) + 1))[: len(intended) - cut]
            with open(path, "r+b") as f:
                f.truncate(cut)
                f.seek(cut)
                f.write(garbage)
            final = path.read_bytes()
            # a record landed when its bytes are all there (junk may even complete a cut record)
            landed = 0
            for end in ends:
                if final[:end] != intended[:end]:
                    break
                landed += 1
            event(f"crash: {landed} of {len(self.pending)} pending landed, garbage={bool(garbage)}")
            self.make_durable(self.pending[:landed])
        else:
            event(f"crash: nothing on disk to tear (write_pending={write_pending})")
        self.pending = []
        self.seg_bytes = 0

    @precondition(lambda self: self.writer is None)
    @rule()
    def reopen_writer_after_crash(self) -> None:
        self.open_writer()
        self.sealed_upto = self.high_durable  # recovery seals the leftover .open
        assert list(self.dir.glob("*.open")) == []

    @precondition(lambda self: self.writer is not None)
    @rule()
    def close_and_reopen_writer(self) -> None:
        assert self.writer is not None
        self.writer.close()
        self.seal_model()
        self.open_writer()

    @rule()
    def reopen_reader(self) -> None:
        assert self.reader is not None
        self.reader.close()
        self.reader = SpoolReader(self.dir, fsync=False)
        self.last_read = []

    # invariants --------------------------------------------------------------------------------

    @invariant()
    def ledger_matches(self) -> None:
        if self.reader is not None:
            assert self.reader.acked_seq() == self.acked

    @invariant()
    def pending_counts_what_is_left(self) -> None:
        if self.reader is not None:
            left = len(self.expected_readable(self.acked))
            n = self.reader.pending()
            assert n >= left and (n == 0) == (left == 0)

    @invariant()
    def seqs_strictly_increase(self) -> None:
        seqs = [r.seq for r in self.durable] + [r.seq for r in self.pending]
        assert seqs == sorted(set(seqs))
        assert all(s < self.next_seq for s in seqs)


SpoolMachine.TestCase.settings = settings(
    max_examples=400,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_spool_machine = SpoolMachine.TestCase
