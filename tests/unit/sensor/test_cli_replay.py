"""The command contract of `pehredar sensor replay` and `pehredar rules check|keywords`.

README.md and docs/operator-guide.md: exit 0 when the captures were processed; exit 2 with a
one-line reason on stderr for bad arguments, an unreadable or non-capture pcap, an unreadable
rule file, a glob matching nothing or a bad configuration; exit 1 when a capture turns out
truncated part-way (everything before the damage is processed and its alerts written). Alerts go
to stdout when --eve is absent; --stats-json writes the run's figures. All in-process (CliRunner).
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pehredar.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_PCAP = ROOT / "pehredar" / "samples" / "sample.pcap"
SAMPLE_RULES = ROOT / "pehredar" / "samples" / "sample.rules"
RULES_MD = ROOT / "docs" / "rules.md"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

GOOD = 'alert udp any any -> any any (msg:"ok"; content:"LOGIN"; sid:1;)\n'
APP_PROTO = 'alert http any any -> any any (msg:"app"; content:"/x"; sid:2;)\n'
APP_BUFFER = 'alert udp any any -> any any (msg:"kw"; http.uri; content:"/x"; sid:3;)\n'
UNKNOWN_KW = 'alert udp any any -> any any (msg:"bad"; nosuchkeyword; sid:4;)\n'
SYNTAX = 'alert udp any any -> any any (msg:"syntax"; content:"a"; sid:5;\n'


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def replay(*args: str) -> Result:
    return run("sensor", "replay", *args)


def one_line_error(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def pcap_records(data: bytes) -> list[int]:
    """Captured length of each complete record of a little-endian classic pcap."""
    off, caplens = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        if off + 16 + caplen > len(data):
            break
        caplens.append(caplen)
        off += 16 + caplen
    return caplens


def alerts(text: str) -> list[tuple[int, int]]:
    return [(r.get("pcap_cnt"), r["alert"]["signature_id"]) for r in map(json.loads, text.splitlines())]


@pytest.fixture(scope="module")
def sample_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Result, list[dict[str, Any]], dict[str, Any]]:
    d = tmp_path_factory.mktemp("run")
    eve, stats = d / "eve.json", d / "stats.json"
    result = replay(
        str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "--eve", str(eve), "--stats-json", str(stats)
    )
    records = [json.loads(line) for line in eve.read_text().splitlines()]
    return result, records, json.loads(stats.read_text())


# ------------------------------------------------------------------------------ success


def test_success_exit_0_and_nothing_on_stdout_with_eve(sample_run: tuple[Result, Any, Any]) -> None:
    result, records, _ = sample_run
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert len(records) == 10


def test_alerts_to_stdout_without_eve(sample_run: tuple[Result, Any, Any]) -> None:
    _, records, _ = sample_run
    result = replay(str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES))
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == records


def test_stats_json_figures_for_the_sample(sample_run: tuple[Result, Any, Any]) -> None:
    _, records, stats = sample_run
    caplens = pcap_records(SAMPLE_PCAP.read_bytes())
    assert stats["packets"] == len(caplens) == 33
    assert stats["bytes"] == sum(caplens)
    assert stats["alerts"] == len(records)
    assert stats["rules_loaded"] == 9
    assert stats["rules_unsupported"] == 0
    assert stats["decode_events"] == {"decoder.ipv4.pkt_too_small": 1}
    for key in ("load_seconds", "engine_seconds"):
        assert isinstance(stats[key], float) and 0 <= stats[key] < 60


def test_rules_repeatable_and_glob(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text(GOOD)
    (tmp_path / "b.rules").write_text(GOOD.replace("sid:1", "sid:11").replace("LOGIN", "EVILFRAG"))
    stats = tmp_path / "stats.json"
    result = replay(
        str(SAMPLE_PCAP),
        "--rules",
        str(SAMPLE_RULES),
        "--rules",
        str(tmp_path / "*.rules"),
        "--stats-json",
        str(stats),
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(stats.read_text())["rules_loaded"] == 11
    assert (None, 11) in alerts(result.stdout)  # EVILFRAG: in the reassembled datagram, no pcap_cnt


def test_pcap_cnt_runs_on_across_files() -> None:
    result = replay(str(SAMPLE_PCAP), str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES))
    assert result.exit_code == 0, result.stderr
    got = alerts(result.stdout)
    assert got[0] == (4, 9000001)
    assert got[-1] == (66, 9000008)  # 33 + 33


@pytest.mark.parametrize("mode", ["all", "none"])
def test_checksum_modes_accepted(mode: str) -> None:
    result = replay(str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "-k", mode)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 10  # scapy wrote valid checksums


def test_simulate_ips_accepted() -> None:
    result = replay(str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "--simulate-ips")
    assert result.exit_code == 0, result.stderr
    assert {json.loads(line)["alert"]["action"] for line in result.stdout.splitlines()} == {"allowed"}


# ------------------------------------------------------------------------------ bad input: exit 2, one line


def test_nonexistent_pcap(tmp_path: Path) -> None:
    result = replay(str(tmp_path / "nope.pcap"), "--rules", str(SAMPLE_RULES))
    assert result.exit_code == 2
    assert "nope.pcap" in one_line_error(result)


@pytest.mark.parametrize("kind", ["directory", "broken-symlink"])
def test_unreadable_pcap(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "cap.pcap"
    if kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "missing")
    result = replay(str(path), "--rules", str(SAMPLE_RULES))
    assert result.exit_code == 2
    assert "cap.pcap" in one_line_error(result)


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode")
def test_pcap_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "cap.pcap"
    path.write_bytes(SAMPLE_PCAP.read_bytes())
    path.chmod(0)
    result = replay(str(path), "--rules", str(SAMPLE_RULES))
    assert result.exit_code == 2
    assert "cap.pcap" in one_line_error(result)


@pytest.mark.parametrize("content", [b"hello, not a capture\n", b"", b"\xd4\xc3\xb2"])
def test_non_capture_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notcap.pcap"
    path.write_bytes(content)
    result = replay(str(path), "--rules", str(SAMPLE_RULES))
    assert result.exit_code == 2
    assert "notcap.pcap" in one_line_error(result)


@pytest.mark.parametrize("kind", ["nonexistent", "broken-symlink"])
def test_unreadable_rule_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.rules"
    if kind == "broken-symlink":
        path.symlink_to(tmp_path / "missing")
    result = replay(str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "--rules", str(path))
    assert result.exit_code == 2
    assert "x.rules" in one_line_error(result)
    assert result.stdout == ""  # nothing replayed


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode")
def test_rule_file_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "x.rules"
    path.write_text(GOOD)
    path.chmod(0)
    result = replay(str(SAMPLE_PCAP), "--rules", str(path))
    assert result.exit_code == 2
    assert "x.rules" in one_line_error(result)


def test_glob_matching_nothing(tmp_path: Path) -> None:
    result = replay(str(SAMPLE_PCAP), "--rules", str(tmp_path / "zz*.rules"))
    assert result.exit_code == 2
    assert "zz*.rules" in one_line_error(result)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--set", "novalue"], id="set-without-equals"),
        pytest.param(["--suricata-config", "/nonexistent/suricata.yaml"], id="missing-config"),
        pytest.param(["--eve", "/nonexistent/dir/eve.json"], id="unwritable-eve"),
        pytest.param(["--bpf", "tcp port 80"], id="bpf-refused"),
    ],
)
def test_bad_arguments_one_line(args: list[str]) -> None:
    result = replay(str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), *args)
    assert result.exit_code == 2
    assert one_line_error(result).startswith("pehredar: error: ")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([str(SAMPLE_PCAP)], id="missing-rules"),
        pytest.param([str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "-k", "bogus"], id="bad-k"),
        pytest.param(
            [str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "--no-such-option"], id="unknown-option"
        ),
    ],
)
def test_usage_errors_one_line(args: list[str]) -> None:
    result = replay(*args)
    assert result.exit_code == 2
    one_line_error(result)


# ------------------------------------------------------------------------------ truncated capture


def test_truncated_pcap_processes_what_came_before(
    tmp_path: Path, sample_run: tuple[Result, Any, Any]
) -> None:
    _, records, _ = sample_run
    data = SAMPLE_PCAP.read_bytes()[:3000]
    complete = len(pcap_records(data))
    assert 0 < complete < 33
    path = tmp_path / "trunc.pcap"
    path.write_bytes(data)
    stats = tmp_path / "stats.json"
    result = replay(str(path), "--rules", str(SAMPLE_RULES), "--stats-json", str(stats))
    assert result.exit_code == 1
    message = one_line_error(result)
    assert "trunc.pcap" in message and re.search(r"offset \d+", message), message
    got = alerts(result.stdout)
    before = [
        (r["pcap_cnt"], r["alert"]["signature_id"]) for r in records if r.get("pcap_cnt", complete + 1) <= complete
    ]
    assert got[: len(before)] == before and before
    assert all(cnt <= complete for cnt, _ in got)
    assert json.loads(stats.read_text())["packets"] == complete


# ------------------------------------------------------------------------------ --set


def set_warnings(result: Result) -> list[dict[str, Any]]:
    out = []
    for line in result.stderr.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event") == "setting_not_supported":
            out.append(rec)
    return out


def test_set_unsupported_detection_key_warns_naming_it() -> None:
    result = replay(
        str(SAMPLE_PCAP),
        "--rules",
        str(SAMPLE_RULES),
        "--set",
        "detect.profiling.grouping.x=1",
        "--set",
        "app-layer.protocols.http.enabled=no",
    )
    assert result.exit_code == 0, result.stderr
    warnings = set_warnings(result)
    assert len(warnings) == 1
    assert "app-layer.protocols.http.enabled" in warnings[0]["detail"]
    assert warnings[0]["level"] == "warning"


@pytest.mark.parametrize(
    "item", ["stream.midstream=true", "outputs.1.eve-log.enabled=no", "stats.enabled=no"]
)
def test_set_honoured_or_harmless_key_is_silent(item: str) -> None:
    result = replay(str(SAMPLE_PCAP), "--rules", str(SAMPLE_RULES), "--set", item)
    assert result.exit_code == 0, result.stderr
    assert set_warnings(result) == []


# ------------------------------------------------------------------------------ rules check / keywords


def test_rules_check_reports_each_problem_and_totals(tmp_path: Path) -> None:
    path = tmp_path / "mixed.rules"
    path.write_text("# comment\n" + GOOD + APP_PROTO + APP_BUFFER + "\n" + UNKNOWN_KW + SYNTAX)
    result = run("rules", "check", str(path))
    assert result.exit_code == 1  # a syntax error exists
    lines = result.stdout.splitlines()
    assert lines[-1] == "loaded 1, unsupported 2, failed 2"
    problems = lines[:-1]
    expected = [(3, 2, "protocol"), (4, 3, "http.uri"), (6, 4, "nosuchkeyword"), (7, 5, "options")]
    assert len(problems) == len(expected)
    for line, (lineno, sid, keyword) in zip(problems, expected):
        assert re.match(
            rf"^{re.escape(str(path))}:{lineno} sid={sid} keyword={re.escape(keyword)}: \S", line
        ), line


def test_rules_check_only_unsupported_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "u.rules"
    path.write_text(GOOD + APP_PROTO + APP_BUFFER)
    result = run("rules", "check", str(path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "loaded 1, unsupported 2, failed 0"


def test_rules_check_clean_file(tmp_path: Path) -> None:
    result = run("rules", "check", str(SAMPLE_RULES))
    assert result.exit_code == 0
    assert result.stdout == "loaded 9, unsupported 0, failed 0\n"


def test_rules_check_duplicate_sid_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "d.rules"
    path.write_text(GOOD + GOOD.replace("LOGIN", "OTHER"))
    result = run("rules", "check", str(path))
    assert result.exit_code == 1
    assert re.match(rf"^{re.escape(str(path))}:2 sid=1 keyword=sid: ", result.stdout.splitlines()[0])


def test_rules_check_missing_file_exit_2(tmp_path: Path) -> None:
    result = run("rules", "check", str(tmp_path / "nope.rules"))
    assert result.exit_code == 2
    assert "nope.rules" in one_line_error(result)


def test_rules_keywords_markdown_equals_docs() -> None:
    result = run("rules", "keywords", "--markdown")
    assert result.exit_code == 0
    assert result.stdout == RULES_MD.read_text(encoding="utf-8")


def test_rules_keywords_plain_lists_kinds() -> None:
    result = run("rules", "keywords")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
    assert rows["dsize"] == "packet" and rows["flow"] == "flow" and rows["decode-event"] == "event"
    assert rows["content"] == "payload"
