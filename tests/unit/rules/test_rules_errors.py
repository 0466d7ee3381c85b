"""Unit tests for rules.errors.RuleError: message format, context filling, pickling."""

from __future__ import annotations

import pickle

from rules import RuleError


def test_full_message() -> None:
    err = RuleError("bad port", file="a.rules", line=3, sid=9, keyword="header")
    assert str(err) == "a.rules:3 sid=9 keyword=header: bad port"
    assert (err.file, err.line, err.sid, err.keyword, err.reason) == ("a.rules", 3, 9, "header", "bad port")


def test_missing_parts_are_omitted() -> None:
    assert str(RuleError("x")) == "x"
    assert str(RuleError("x", keyword="sid")) == "keyword=sid: x"
    assert str(RuleError("x", line=4)) == "line 4: x"
    assert str(RuleError("x", file="f", sid=2)) == "f sid=2: x"


def test_with_context_fills_only_missing_fields() -> None:
    err = RuleError("r", line=5, keyword="k").with_context(file="f", line=9, sid=3)
    assert (err.file, err.line, err.sid, err.keyword) == ("f", 5, 3, "k")


def test_pickle_round_trip() -> None:
    err = pickle.loads(pickle.dumps(RuleError("r", file="f", line=1, sid=2, keyword="k")))
    assert str(err) == "f:1 sid=2 keyword=k: r"
