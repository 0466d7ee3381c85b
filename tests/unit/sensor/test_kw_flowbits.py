"""Unit tests for sensor.detect.keywords.flowbits (Suricata 8 semantics).

Each command: setup ok, setup error, match and no match; the OR form; toggle; post-match
set seen by a later isset. Flows are a stand-in with only `flowbits` / `flowints`.
"""

from __future__ import annotations

import pytest

from sensor.detect.keywords.flowbits import (
    FlowbitsOp,
    flowbits_action,
    flowbits_condition,
    setup_flowbits,
)
from sensor.errors import RuleCompileError


class FakeFlow:
    """Stand-in for sensor.flow's Flow: only the attributes the keyword touches."""

    def __init__(self, *bits: str) -> None:
        self.flowbits: set[str] = set(bits)
        self.flowints: dict[str, int] = {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("set,login", FlowbitsOp("set", ("login",))),
        ("unset, login", FlowbitsOp("unset", ("login",))),
        ("toggle,login ", FlowbitsOp("toggle", ("login",))),
        ("isset,ET.http.javaclient", FlowbitsOp("isset", ("ET.http.javaclient",))),
        ("isnotset,login", FlowbitsOp("isnotset", ("login",))),
        ("noalert", FlowbitsOp("noalert", ())),
        ("isset,user1|user2", FlowbitsOp("isset", ("user1", "user2"), any_of=True)),
        ("isnotset, a | b |c", FlowbitsOp("isnotset", ("a", "b", "c"), any_of=True)),
        ("set,a&b", FlowbitsOp("set", ("a&b",))),  # Suricata has no AND form: '&' is a name character
    ],
)
def test_setup_ok(value: str, expected: FlowbitsOp) -> None:
    assert setup_flowbits(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "isset",  # missing name
        "set,",
        "set, ",
        "bogus,x",
        "ISSET,x",  # commands are lowercase
        "noalert,x",
        "set,a|b",  # OR only with isset/isnotset
        "unset,a|b",
        "toggle,a|b",
        "isset,a b",  # spaces inside a name
        "isset,a|b c",
        "isset,|",
        "isset name",
    ],
)
def test_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError) as info:
        setup_flowbits(value)
    assert info.value.keyword == "flowbits"


def test_isset_match_and_no_match() -> None:
    cond = flowbits_condition(setup_flowbits("isset,login"))
    assert cond is not None
    assert cond(FakeFlow("login"))
    assert not cond(FakeFlow("other"))
    assert not cond(None)


def test_isnotset_match_and_no_match() -> None:
    cond = flowbits_condition(setup_flowbits("isnotset,login"))
    assert cond is not None
    assert cond(FakeFlow())
    assert not cond(FakeFlow("login"))
    assert not cond(None)  # no flow: no match, as in Suricata


def test_or_form_isset_any_bit() -> None:
    cond = flowbits_condition(setup_flowbits("isset,user1|user2"))
    assert cond is not None
    assert cond(FakeFlow("user2"))
    assert cond(FakeFlow("user1", "user2"))
    assert not cond(FakeFlow("user3"))


def test_or_form_isnotset_any_bit_missing() -> None:
    cond = flowbits_condition(setup_flowbits("isnotset,a|b"))
    assert cond is not None
    assert cond(FakeFlow("a"))  # b is not set
    assert cond(FakeFlow())
    assert not cond(FakeFlow("a", "b"))


def test_set_and_unset_actions() -> None:
    flow = FakeFlow()
    set_bit = flowbits_action(setup_flowbits("set,login"))
    unset_bit = flowbits_action(setup_flowbits("unset,login"))
    assert set_bit is not None and unset_bit is not None
    set_bit(flow)
    assert flow.flowbits == {"login"}
    set_bit(flow)
    assert flow.flowbits == {"login"}
    unset_bit(flow)
    assert flow.flowbits == set()
    unset_bit(flow)  # unset of a missing bit is a no-op
    assert flow.flowbits == set()
    set_bit(None)  # no flow: nothing to do, no error


def test_toggle_flips() -> None:
    flow = FakeFlow("other")
    toggle = flowbits_action(setup_flowbits("toggle,x"))
    assert toggle is not None
    toggle(flow)
    assert flow.flowbits == {"other", "x"}
    toggle(flow)
    assert flow.flowbits == {"other"}


@pytest.mark.parametrize("value", ["set,x", "unset,x", "toggle,x", "noalert"])
def test_modifiers_have_no_condition(value: str) -> None:
    assert flowbits_condition(setup_flowbits(value)) is None


@pytest.mark.parametrize("value", ["isset,x", "isnotset,x", "isset,a|b", "noalert"])
def test_checks_have_no_action(value: str) -> None:
    assert flowbits_action(setup_flowbits(value)) is None


def test_set_then_isset_across_rules() -> None:
    """Rule A sets on packet 1 (post-match); rule B's isset sees it on packet 2."""
    flow = FakeFlow()
    set_bit = flowbits_action(setup_flowbits("set,userlogin"))
    check = flowbits_condition(setup_flowbits("isset,userlogin"))
    assert set_bit is not None and check is not None
    assert not check(flow)
    set_bit(flow)
    assert check(flow)
