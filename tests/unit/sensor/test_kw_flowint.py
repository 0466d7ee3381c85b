"""Unit tests for sensor.detect.keywords.flowint (Suricata 8 semantics).

Setup success and errors, comparisons against values and variables, isset/notset, the
= + - actions (uint32 wrap, unset counters) and match-before-post-match ordering.
"""

from __future__ import annotations

import pytest

from sensor.detect.keywords.flowint import (
    FlowintOp,
    flowint_action,
    flowint_condition,
    setup_flowint,
)
from sensor.errors import RuleCompileError


class FakeFlow:
    """Stand-in for sensor.flow's Flow: only the attributes the keyword touches."""

    def __init__(self, **ints: int) -> None:
        self.flowbits: set[str] = set()
        self.flowints: dict[str, int] = dict(ints)


def check(value: str, flow: FakeFlow | None) -> bool:
    cond = flowint_condition(setup_flowint(value))
    assert cond is not None
    return cond(flow)


def act(value: str, flow: FakeFlow | None) -> None:
    action = flowint_action(setup_flowint(value))
    assert action is not None
    action(flow)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("usernamecount, +, 1", FlowintOp("usernamecount", "+", value=1)),
        ("cnt,-,2", FlowintOp("cnt", "-", value=2)),
        ("cnt, =, 0", FlowintOp("cnt", "=", value=0)),
        ("cnt,==,maxvar", FlowintOp("cnt", "==", var="maxvar")),
        ("cnt,!=,3", FlowintOp("cnt", "!=", value=3)),
        ("cnt,<,3", FlowintOp("cnt", "<", value=3)),
        ("cnt,<=,3", FlowintOp("cnt", "<=", value=3)),
        ("cnt,>,5", FlowintOp("cnt", ">", value=5)),
        ("cnt,>=,4294967295", FlowintOp("cnt", ">=", value=4294967295)),
        ("loginfail, notset", FlowintOp("loginfail", "notset")),
        ("loginfail,isnotset", FlowintOp("loginfail", "notset")),
        ("loginfail, isset", FlowintOp("loginfail", "isset")),
        ("cnt,+1", FlowintOp("cnt", "+", value=1)),  # Suricata's grammar makes the 2nd comma optional
        ("my.var/x,+,1", FlowintOp("my.var/x", "+", value=1)),
    ],
)
def test_setup_ok(value: str, expected: FlowintOp) -> None:
    assert setup_flowint(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "cnt",
        "cnt,+",  # missing operand
        "cnt,==",
        "c,+,1",  # Suricata names are at least two characters
        "1cnt,+,1",  # must start with a letter
        "cnt,~,1",
        "cnt,+,4294967296",  # > UINT32_MAX
        "cnt,+,-1",
        "cnt,+,12345678901",
        "cnt,+,1,2",
    ],
)
def test_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError) as info:
        setup_flowint(value)
    assert info.value.keyword == "flowint"


def test_isset_and_notset() -> None:
    assert check("x1,isset", FakeFlow(x1=0))
    assert not check("x1,isset", FakeFlow())
    assert check("x1,notset", FakeFlow())
    assert not check("x1,notset", FakeFlow(x1=7))
    assert not check("x1,isset", None)
    assert not check("x1,notset", None)


@pytest.mark.parametrize(
    ("value", "current", "expected"),
    [
        ("cnt,==,5", 5, True),
        ("cnt,==,5", 4, False),
        ("cnt,!=,5", 4, True),
        ("cnt,<,5", 4, True),
        ("cnt,<,5", 5, False),
        ("cnt,<=,5", 5, True),
        ("cnt,>,5", 6, True),
        ("cnt,>,5", 5, False),
        ("cnt,>=,5", 5, True),
    ],
)
def test_compare_with_value(value: str, current: int, expected: bool) -> None:
    assert check(value, FakeFlow(cnt=current)) is expected


def test_compare_unset_counter_is_false() -> None:
    assert not check("cnt,<,5", FakeFlow())
    assert not check("cnt,!=,5", FakeFlow())
    assert not check("cnt,>,0", None)


def test_compare_with_variable() -> None:
    assert check("cntpackets,==,maxvar", FakeFlow(cntpackets=6, maxvar=6))
    assert not check("cntpackets,==,maxvar", FakeFlow(cntpackets=5, maxvar=6))
    # an unset target variable counts as 0
    assert check("cntpackets,>,maxvar", FakeFlow(cntpackets=1))
    assert check("cntpackets,==,maxvar", FakeFlow(cntpackets=0))


def test_set_add_sub() -> None:
    flow = FakeFlow()
    act("cnt,=,3", flow)
    assert flow.flowints == {"cnt": 3}
    act("cnt,+,2", flow)
    assert flow.flowints["cnt"] == 5
    act("cnt,-,1", flow)
    assert flow.flowints["cnt"] == 4


def test_add_on_unset_initialises_sub_on_unset_does_nothing() -> None:
    flow = FakeFlow()
    act("cnt,-,1", flow)
    assert flow.flowints == {}
    act("cnt,+,2", flow)
    assert flow.flowints == {"cnt": 2}


def test_arithmetic_wraps_uint32() -> None:
    flow = FakeFlow(cnt=0, big=4294967295)
    act("cnt,-,1", flow)
    assert flow.flowints["cnt"] == 4294967295
    act("big,+,2", flow)
    assert flow.flowints["big"] == 1


def test_actions_with_variable_target() -> None:
    flow = FakeFlow(step=4)
    act("cnt,=,step", flow)
    assert flow.flowints["cnt"] == 4
    act("cnt,+,step", flow)
    assert flow.flowints["cnt"] == 8
    act("cnt,=,missing", flow)  # unset target counts as 0
    assert flow.flowints["cnt"] == 0


def test_actions_without_flow_are_noops() -> None:
    act("cnt,=,1", None)
    act("cnt,+,1", None)


@pytest.mark.parametrize("value", ["cnt,=,1", "cnt,+,1", "cnt,-,1"])
def test_modifiers_have_no_condition(value: str) -> None:
    assert flowint_condition(setup_flowint(value)) is None


@pytest.mark.parametrize("value", ["cnt,==,1", "cnt,isset", "cnt,notset", "cnt,>,x2"])
def test_checks_have_no_action(value: str) -> None:
    assert flowint_action(setup_flowint(value)) is None


def run_rule(conditions: list[str], actions: list[str], flow: FakeFlow) -> bool:
    """One rule on one packet: all conditions must hold; only then run the post-match actions."""
    if not all(check(value, flow) for value in conditions):
        return False
    for value in actions:
        act(value, flow)
    return True


def test_same_rule_compare_sees_value_before_its_own_increment() -> None:
    """`flowint:cx,+,1; flowint:cx,>,5;`: the compare is a match, the add runs post-match."""
    flow = FakeFlow(cx=6)
    assert run_rule(["cx,>,5"], ["cx,+,1"], flow)
    assert flow.flowints["cx"] == 7
    unset = FakeFlow()
    assert not run_rule(["cx,>,5"], ["cx,+,1"], unset)
    assert unset.flowints == {}  # the rule did not match, so nothing was added


def test_counting_rule_then_alerting_rule_on_each_packet() -> None:
    """The doc's pair: a noalert counter rule (ordered first: it sets) and a `>` rule."""
    flow = FakeFlow()
    alerts = []
    for packet in range(1, 8):
        run_rule([], ["usernamecount,+,1"], flow)
        if run_rule(["usernamecount,>,5"], [], flow):
            alerts.append(packet)
    assert flow.flowints["usernamecount"] == 7
    assert alerts == [6, 7]
