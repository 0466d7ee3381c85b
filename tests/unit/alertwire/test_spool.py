"""alertwire.spool: the on-disk format, crash recovery, acks, the size cap and corruption handling."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from alertwire.errors import SpoolCorruption, SpoolError
from alertwire.spool import MAX_BODY, SpoolReader, SpoolRecord, SpoolWriter


def writer(path: Path, **kw: object) -> SpoolWriter:
    kw.setdefault("sensor_id", "sensor-a")
    kw.setdefault("fsync", False)
    return SpoolWriter(path, **kw)  # type: ignore[arg-type]


def read_all(reader: SpoolReader, after: int = 0, limit: int = 7) -> list[SpoolRecord]:
    out: list[SpoolRecord] = []
    while batch := reader.read(after, limit):
        out.extend(batch)
        after = batch[-1].seq
    return out


def segs(path: Path, suffix: str = ".seg") -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.name.endswith(suffix))


# --- spec: bytes on disk are exactly what the module docstring says -------------------------------


def test_segment_bytes_match_the_documented_layout(tmp_path: Path) -> None:
    w = writer(tmp_path, ruleset_version="2024.1", ruleset_hash=b"\xaa\xbb")
    assert w.append(b"hello") == 1
    assert w.append(b"") == 2
    w.close()
    assert segs(tmp_path) == ["00000000000000000001-00000000000000000002.seg"]
    data = (tmp_path / segs(tmp_path)[0]).read_bytes()

    head = b"PHSPSEG1" + struct.pack(">HQQHH", 1, w.epoch, 1, 6, 2) + b"2024.1" + b"\xaa\xbb"
    head += struct.pack(">I", zlib.crc32(head))

    def rec(seq: int, body: bytes) -> bytes:
        tail = struct.pack(">IQ", len(body), seq) + body
        return struct.pack(">I", zlib.crc32(tail)) + tail

    assert data == head + rec(1, b"hello") + rec(2, b"")

    meta = (tmp_path / "spool.meta").read_bytes()
    sid = b"sensor-a"
    body = b"PHSPMETA" + struct.pack(">HQH", 1, w.epoch, len(sid)) + sid
    assert meta == body + struct.pack(">I", zlib.crc32(body))
    assert 1 <= w.epoch < 2**63


def test_ledger_bytes_match_the_documented_layout(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        w.append(b"x")
    with SpoolReader(tmp_path) as r:
        r.ack(1)
    body = b"PHSPACK1" + struct.pack(">HQQ", 1, w.epoch, 1)
    assert (tmp_path / "ack.ledger").read_bytes() == body + struct.pack(">I", zlib.crc32(body))


# --- round trip and seqs -----------------------------------------------------------------------------


def test_round_trip_in_order_with_metadata(tmp_path: Path) -> None:
    bodies = [bytes([i]) * i for i in range(50)]
    w = writer(tmp_path, ruleset_version="v1", ruleset_hash=b"h1")
    seqs = [w.append(b) for b in bodies]
    assert seqs == list(range(1, 51))
    w.close()
    r = SpoolReader(tmp_path)
    assert (r.sensor_id, r.epoch) == ("sensor-a", w.epoch)
    got = read_all(r)
    assert [(g.seq, g.body) for g in got] == list(zip(seqs, bodies, strict=True))
    assert {(g.ruleset_version, g.ruleset_hash) for g in got} == {("v1", b"h1")}
    assert read_all(r, after=25) == got[25:]
    assert r.read(0, 3) == got[:3]
    assert r.read(50, 10) == []
    assert r.read(0, 0) == []


def test_reader_sees_only_sealed_segments(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.append(b"a")
    w.commit()
    r = SpoolReader(tmp_path)
    assert r.read(0, 10) == [] and r.pending() == 0
    w.seal()
    assert [x.body for x in r.read(0, 10)] == [b"a"]
    assert r.pending() == 1
    w.close()


def test_restart_continues_seq(tmp_path: Path) -> None:
    w = writer(tmp_path)
    for _ in range(5):
        w.append(b"x")
    w.close()
    w = writer(tmp_path)
    assert w.epoch == SpoolReader(tmp_path).epoch
    assert w.append(b"y") == 6
    w.close()


def test_restart_continues_after_every_segment_was_acked_and_deleted(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        for _ in range(9):
            w.append(b"x")
    with SpoolReader(tmp_path) as r:
        r.ack(9)
    assert segs(tmp_path) == []
    with writer(tmp_path) as w:
        assert w.append(b"y") == 10


def test_commit_makes_records_durable_without_seal(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.append(b"a")
    w.append(b"b")
    w.commit()
    w.append(b"lost")  # never committed
    w._simulate_crash(write_pending=False)
    w2 = writer(tmp_path)
    assert w2.stats()["segments_recovered"] == 1
    assert [x.body for x in read_all(SpoolReader(tmp_path))] == [b"a", b"b"]
    assert w2.append(b"c") == 3
    w2.close()


def test_a_dropped_writer_releases_the_lock_without_committing(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.append(b"a")
    del w
    w2 = writer(tmp_path)
    assert w2.append(b"b") == 1
    w2.close()


def test_second_writer_or_reader_is_refused(tmp_path: Path) -> None:
    w = writer(tmp_path)
    with pytest.raises(SpoolError, match="another writer"):
        writer(tmp_path)
    r = SpoolReader(tmp_path)
    with pytest.raises(SpoolError, match="another reader"):
        SpoolReader(tmp_path)
    r.close()
    w.close()


# --- torn tails --------------------------------------------------------------------------------------


def _crashed_spool(base: Path) -> tuple[Path, int, list[int], int]:
    """A spool whose writer died with 3 committed records and 2 more written but not fsynced."""
    w = writer(base, ruleset_version="r", ruleset_hash=b"\x01")
    for body in (b"one", b"", b"three!"):
        w.append(body)
    w.commit()
    w.append(b"four")
    w.append(b"five")
    path, committed, ends = w._simulate_crash(write_pending=True)
    assert path is not None and path.name == "00000000000000000001.open"
    return path, committed, ends, w.epoch


def test_torn_tail_recovered_at_every_truncation_point(tmp_path: Path) -> None:
    src = tmp_path / "src"
    open_path, _, _, _ = _crashed_spool(src)
    size = open_path.stat().st_size
    # record ends from the format: header then 16-byte record headers
    header = 8 + 2 + 8 + 8 + 2 + 2 + 1 + 1 + 4
    ends = []
    off = header
    for body in (b"one", b"", b"three!", b"four", b"five"):
        off += 16 + len(body)
        ends.append(off)
    assert ends[-1] == size
    bodies = [b"one", b"", b"three!", b"four", b"five"]
    for cut in range(size + 1):
        d = tmp_path / f"cut{cut}"
        shutil.copytree(src, d)
        os.truncate(d / open_path.name, cut)
        kept = sum(1 for e in ends if e <= cut)
        w = writer(d)
        assert segs(d, ".open") == []
        if kept == 0:
            assert segs(d) == []
        else:
            assert segs(d) == [f"{1:020d}-{kept:020d}.seg"]
            assert (d / segs(d)[0]).stat().st_size == ends[kept - 1]
        assert w.stats()["torn_bytes"] == (cut - ends[kept - 1] if kept else cut)
        assert w.append(b"next") == kept + 1, cut
        w.close()
        got = read_all(SpoolReader(d))
        assert [g.body for g in got] == bodies[:kept] + [b"next"]
        assert [g.seq for g in got] == list(range(1, kept + 2))


@pytest.mark.parametrize("garbage", [b"\x00" * 40, b"\xff" * 40, bytes(range(40))])
def test_garbage_after_the_valid_prefix_is_cut(tmp_path: Path, garbage: bytes) -> None:
    w = writer(tmp_path)
    w.append(b"keep")
    w.commit()
    path, _, _ = w._simulate_crash(write_pending=False)
    assert path is not None
    with open(path, "ab") as f:
        f.write(garbage)
    w2 = writer(tmp_path)
    assert w2.stats()["torn_bytes"] == len(garbage)
    w2.close()
    assert [g.body for g in read_all(SpoolReader(tmp_path))] == [b"keep"]


def test_a_record_with_a_stale_seq_ends_the_valid_prefix(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.append(b"a")
    w.append(b"b")
    w.commit()
    path, _, _ = w._simulate_crash(write_pending=False)
    assert path is not None
    tail = struct.pack(">IQ", 1, 1) + b"z"  # a valid CRC but seq 1 again
    with open(path, "ab") as f:
        f.write(struct.pack(">I", zlib.crc32(tail)) + tail)
    writer(tmp_path).close()
    assert [g.seq for g in read_all(SpoolReader(tmp_path))] == [1, 2]


def test_an_open_segment_from_a_torn_power_loss_is_resealed_with_the_next(tmp_path: Path) -> None:
    """Two *.open files (a rename lost to power failure) are both recovered, in order."""
    w = writer(tmp_path)
    w.append(b"a")
    w.seal()
    w.append(b"b")
    w.commit()
    w._simulate_crash(write_pending=False)
    first = tmp_path / segs(tmp_path)[0]
    first.rename(tmp_path / "00000000000000000001.open")
    w2 = writer(tmp_path)
    assert w2.stats()["segments_recovered"] == 2
    assert w2.append(b"c") == 3
    w2.close()
    assert [g.body for g in read_all(SpoolReader(tmp_path))] == [b"a", b"b", b"c"]


def test_open_segment_with_a_corrupt_header_is_moved_aside_and_its_seqs_not_reused(tmp_path: Path) -> None:
    w = writer(tmp_path)
    for _ in range(4):
        w.append(b"x")
    w.commit()
    path, _, _ = w._simulate_crash(write_pending=False)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    w2 = writer(tmp_path)
    assert (tmp_path / "corrupt" / path.name).exists()
    assert w2.append(b"y") == 5
    w2.close()


def test_open_segment_whose_header_never_reached_the_disk_is_dropped(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.append(b"x")
    path, _, _ = w._simulate_crash(write_pending=True)
    assert path is not None
    path.write_bytes(b"\0" * (path.stat().st_size + 7))  # a torn first write: zeros, no record
    w2 = writer(tmp_path)
    assert not path.exists() and not (tmp_path / "corrupt").exists()
    assert w2.append(b"y") == 1
    w2.close()


# --- corruption in sealed segments ----------------------------------------------------------------


def _three_segments(path: Path) -> SpoolWriter:
    w = writer(path)
    for i in range(1, 10):
        w.append(b"body-%d" % i)
        if i % 3 == 0:
            w.seal()
    w.close()
    return w


def test_corrupt_sealed_segment_raises_then_quarantine_continues(tmp_path: Path) -> None:
    _three_segments(tmp_path)
    middle = tmp_path / segs(tmp_path)[1]  # seqs 4..6
    data = bytearray(middle.read_bytes())
    header = 34
    bad_offset = header + (16 + 6)  # the second record (seq 5)
    data[bad_offset + 20] ^= 0x01  # a body byte
    middle.write_bytes(bytes(data))

    r = SpoolReader(tmp_path)
    got = r.read(0, 100)
    assert [g.seq for g in got] == [1, 2, 3, 4]  # the good prefix first
    with pytest.raises(SpoolCorruption) as info:
        r.read(4, 100)
    assert str(middle) in str(info.value) and f"offset {bad_offset}" in str(info.value)
    assert r.corrupt_segment == middle
    moved = r.quarantine_segment(middle)
    assert moved == tmp_path / "corrupt" / middle.name and moved.exists()
    assert r.corrupt_segment is None and r.stats()["segments_quarantined"] == 1
    assert [g.seq for g in r.read(4, 100)] == [7, 8, 9]
    r.ack(9)  # past the quarantined range
    assert segs(tmp_path) == []
    r.close()
    with writer(tmp_path) as w:  # quarantined seqs are never handed out again
        assert w.append(b"z") == 10


def test_sealed_segment_cut_at_a_record_boundary_is_corruption(tmp_path: Path) -> None:
    _three_segments(tmp_path)
    last = tmp_path / segs(tmp_path)[2]
    data = last.read_bytes()
    last.write_bytes(data[: len(data) - (16 + 6)])  # drop seq 9 cleanly
    r = SpoolReader(tmp_path)
    assert [g.seq for g in r.read(6, 10)] == [7, 8]
    with pytest.raises(SpoolCorruption, match="do not span"):
        r.read(8, 10)
    r.close()


@pytest.mark.parametrize("cut", [0, 10, 33, 34, 40])
def test_truncated_sealed_segment_never_yields_a_bad_record(tmp_path: Path, cut: int) -> None:
    _three_segments(tmp_path)
    first = tmp_path / segs(tmp_path)[0]
    first.write_bytes(first.read_bytes()[:cut])
    r = SpoolReader(tmp_path)
    with pytest.raises(SpoolCorruption):
        r.read(0, 10)
    r.quarantine_segment(first)
    assert [g.seq for g in read_all(r)] == list(range(4, 10))
    r.close()


def test_quarantine_refuses_files_outside_the_spool(tmp_path: Path) -> None:
    _three_segments(tmp_path)
    with SpoolReader(tmp_path) as r, pytest.raises(SpoolError):
        r.quarantine_segment(tmp_path / "spool.meta")


# --- size cap ----------------------------------------------------------------------------------------


def test_full_spool_drops_counts_and_consumes_seq(tmp_path: Path) -> None:
    body = b"x" * 84  # 100-byte records
    header = 34
    w = writer(tmp_path, max_bytes=header + 3 * 100, segment_bytes=header + 3 * 100)
    assert [w.append(body) for _ in range(3)] == [1, 2, 3]
    assert w.append(body) is None  # seq 4 consumed
    assert w.append(body) is None  # seq 5 consumed
    assert w.stats()["dropped_full"] == 2 and w.stats()["records"] == 3
    w.seal()
    r = SpoolReader(tmp_path)
    r.ack(3)  # the reader deletes the segment: room again after a re-scan
    assert segs(tmp_path) == []
    assert w.append(body) == 6  # the collector sees the gap 4..5
    w.close()
    assert [g.seq for g in r.read(3, 10)] == [6]
    r.close()


def test_cap_counts_segments_already_on_disk(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        for _ in range(10):
            w.append(b"y" * 84)
    on_disk = sum(p.stat().st_size for p in tmp_path.glob("*.seg"))
    w2 = writer(tmp_path, max_bytes=on_disk + 50)
    assert w2.append(b"y" * 84) is None
    assert w2.stats()["dropped_full"] == 1
    w2.close()


def test_oversized_body_is_refused(tmp_path: Path) -> None:
    with writer(tmp_path) as w, pytest.raises(SpoolError, match="exceeds"):
        w.append(b"\0" * (MAX_BODY + 1))


# --- meta ----------------------------------------------------------------------------------------------


def test_wrong_sensor_id_is_refused(tmp_path: Path) -> None:
    writer(tmp_path).close()
    with pytest.raises(SpoolError, match=r"belongs to sensor 'sensor-a', not 'sensor-b'") as info:
        writer(tmp_path, sensor_id="sensor-b")
    assert str(tmp_path) in str(info.value)
    writer(tmp_path).close()  # and the lock was released


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    writer(tmp_path).close()
    meta = tmp_path / "spool.meta"
    data = bytearray(meta.read_bytes())
    data[8:10] = struct.pack(">H", 99)
    meta.write_bytes(bytes(data))
    with pytest.raises(SpoolError, match="unknown format version 99") as info:
        writer(tmp_path)
    assert str(meta) in str(info.value)
    with pytest.raises(SpoolError, match="unknown format version 99"):
        SpoolReader(tmp_path)


def test_corrupt_meta_is_spool_corruption(tmp_path: Path) -> None:
    writer(tmp_path).close()
    meta = tmp_path / "spool.meta"
    meta.write_bytes(meta.read_bytes()[:-1] + b"\0")
    with pytest.raises(SpoolCorruption, match="CRC"):
        SpoolReader(tmp_path)


def test_reader_needs_an_existing_spool(tmp_path: Path) -> None:
    with pytest.raises(SpoolError, match="no spool.meta"):
        SpoolReader(tmp_path / "nothing")


def test_epoch_differs_between_spools(tmp_path: Path) -> None:
    a, b = writer(tmp_path / "a"), writer(tmp_path / "b")
    assert a.epoch != b.epoch
    a.close()
    b.close()


# --- acks ----------------------------------------------------------------------------------------------


def test_ack_deletes_only_wholly_acked_segments_and_persists(tmp_path: Path) -> None:
    _three_segments(tmp_path)  # 1-3, 4-6, 7-9
    r = SpoolReader(tmp_path)
    assert r.pending() == 9
    r.ack(5)
    assert segs(tmp_path) == [f"{4:020d}-{6:020d}.seg", f"{7:020d}-{9:020d}.seg"]
    assert r.acked_seq() == 5 and r.pending() == 4
    assert [g.seq for g in read_all(r, after=r.acked_seq())] == [6, 7, 8, 9]
    r.ack(3)  # lower: no-op
    assert r.acked_seq() == 5
    with pytest.raises(SpoolError, match="cannot ack seq 10"):
        r.ack(10)
    r.close()
    r = SpoolReader(tmp_path)
    assert r.acked_seq() == 5
    r.ack(9)
    assert segs(tmp_path) == [] and r.pending() == 0 and r.stats()["segments_deleted"] == 2
    r.close()


def test_reader_open_deletes_segments_left_by_a_crash_after_the_ledger(tmp_path: Path) -> None:
    _three_segments(tmp_path)
    with SpoolReader(tmp_path) as r:
        r.ack(6)
    # a reader that died between the ledger rename and the unlink left 1-3 behind
    (tmp_path / f"{1:020d}-{3:020d}.seg").write_bytes(b"stale")
    with SpoolReader(tmp_path) as r:
        assert segs(tmp_path) == [f"{7:020d}-{9:020d}.seg"]
        assert [g.seq for g in read_all(r, after=r.acked_seq())] == [7, 8, 9]


def test_corrupt_ledger_is_spool_corruption(tmp_path: Path) -> None:
    _three_segments(tmp_path)
    with SpoolReader(tmp_path) as r:
        r.ack(3)
    ledger = tmp_path / "ack.ledger"
    ledger.write_bytes(ledger.read_bytes()[:-2])
    with pytest.raises(SpoolCorruption, match="ack.ledger"):
        SpoolReader(tmp_path)
    with pytest.raises(SpoolCorruption, match="ack.ledger"):
        writer(tmp_path)


# --- segments: ruleset, rolling, age --------------------------------------------------------------------


def test_ruleset_metadata_is_per_segment(tmp_path: Path) -> None:
    w = writer(tmp_path, ruleset_version="v1", ruleset_hash=b"\x01" * 32)
    w.append(b"a")
    w.set_ruleset("v2", b"\x02" * 32)
    w.append(b"b")
    w.set_ruleset("v2", b"\x02" * 32)  # unchanged: no seal
    w.append(b"c")
    w.set_ruleset("v3-\u00e9", b"")
    w.close()
    got = [(g.body, g.ruleset_version, g.ruleset_hash) for g in read_all(SpoolReader(tmp_path))]
    assert got == [
        (b"a", "v1", b"\x01" * 32),
        (b"b", "v2", b"\x02" * 32),
        (b"c", "v2", b"\x02" * 32),
    ]
    assert len(segs(tmp_path)) == 2


def test_rolls_at_segment_bytes(tmp_path: Path) -> None:
    w = writer(tmp_path, segment_bytes=34 + 5 * 100)
    for _ in range(23):
        w.append(b"z" * 84)
    w.close()
    names = segs(tmp_path)
    assert len(names) == 5
    assert all((tmp_path / n).stat().st_size <= 34 + 5 * 100 for n in names)
    assert w.stats()["segments_sealed"] == 5
    assert [g.seq for g in read_all(SpoolReader(tmp_path))] == list(range(1, 24))


def test_seal_if_older_uses_the_first_records_age(tmp_path: Path) -> None:
    now = [100.0]
    w = writer(tmp_path, clock=lambda: now[0])
    assert w.seal_if_older(1.0) is False  # nothing open
    w.append(b"a")
    now[0] = 100.5
    w.append(b"b")
    assert w.seal_if_older(1.0) is False
    now[0] = 101.0
    assert w.seal_if_older(1.0) is True
    assert segs(tmp_path) == [f"{1:020d}-{2:020d}.seg"]
    w.close()


def test_stats_and_properties(tmp_path: Path) -> None:
    w = writer(tmp_path, sensor_id="s-9")
    w.append(b"abc")
    w.seal()
    st = w.stats()
    assert st["records"] == 1 and st["bytes"] == 19 and st["segments_sealed"] == 1 and st["dropped_full"] == 0
    assert w.sensor_id == "s-9" and w.next_seq == 2
    w.close()
    with pytest.raises(SpoolError, match="closed"):
        w.append(b"x")


def test_fsync_mode_round_trips(tmp_path: Path) -> None:
    with SpoolWriter(tmp_path, sensor_id="s") as w:
        for i in range(3):
            w.append(b"%d" % i)
        w.commit()
    with SpoolReader(tmp_path) as r:
        r.ack(read_all(r)[-1].seq)
        assert r.pending() == 0
