"""Unit tests for sensor.detect.order: Suricata's rule ordering chain.

Action order, flowbits/flowint/flowvar/pktvar/hostbits/ippair use, priority, then sid;
includes the example from the Suricata 8 user guide's "Rule Processing" chapter.
"""

from __future__ import annotations

import pytest

from rules.model import Option, Rule
from sensor.detect.order import (
    RuleOrderInfo,
    VarUse,
    action_rank,
    rule_order_info,
    sort_rules,
    var_use,
)
from sensor.errors import RuleCompileError


def rule(
    action: str,
    sid: int,
    *options: tuple[str, str | None],
    priority: int | None = None,
    classtype: str | None = None,
) -> Rule:
    opts = tuple(Option(name, value) for name, value in options) + (Option("sid", str(sid)),)
    return Rule(action=action, header=None, options=opts, sid=sid, priority=priority, classtype=classtype)


def order(rules: list[Rule], classtypes: dict[str, int] | None = None) -> list[int]:
    return [r.sid for r in sort_rules(rules, lambda r: rule_order_info(r, classtypes))]


def test_var_use_classification() -> None:
    assert var_use(False, False) is VarUse.NOT_USED
    assert var_use(True, False) is VarUse.READ
    assert var_use(False, True) is VarUse.SET
    assert var_use(True, True) is VarUse.SET_READ


def test_set_before_isset_even_in_reverse_file_order() -> None:
    rules = [
        rule("alert", 1, ("flowbits", "isset,login")),
        rule("alert", 2, ("flowbits", "set,login"), ("flowbits", "noalert")),
    ]
    assert order(rules) == [2, 1]


def test_flowbits_rank_set_then_set_read_then_read_then_unused() -> None:
    rules = [
        rule("alert", 1),
        rule("alert", 2, ("flowbits", "isnotset,a")),
        rule("alert", 3, ("flowbits", "isset,a"), ("flowbits", "unset,a")),
        rule("alert", 4, ("flowbits", "toggle,b")),
    ]
    assert order(rules) == [4, 3, 2, 1]


def test_flowbits_reader_outranks_higher_priority_rule_without_flowbits() -> None:
    """Suricata: flowbits use is compared before the priority keyword."""
    rules = [rule("alert", 1, priority=1), rule("alert", 2, ("flowbits", "isset,x"), priority=3)]
    assert order(rules) == [2, 1]


def test_pass_before_drop_before_reject_before_alert() -> None:
    rules = [
        rule("alert", 1),
        rule("rejectboth", 2),
        rule("drop", 3),
        rule("pass", 4),
        rule("reject", 5),
    ]
    assert order(rules) == [4, 3, 2, 5, 1]


def test_action_beats_flowbits() -> None:
    rules = [rule("alert", 1, ("flowbits", "set,x")), rule("pass", 2, ("flowbits", "isset,x"))]
    assert order(rules) == [2, 1]


def test_priority_lower_first_default_three() -> None:
    rules = [
        rule("alert", 1),
        rule("alert", 2, priority=4),
        rule("alert", 3, priority=1),
        rule("alert", 4, priority=3),
    ]
    assert order(rules) == [3, 1, 4, 2]


def test_classtype_priority_and_explicit_priority_wins() -> None:
    classtypes = {"trojan-activity": 1, "misc-activity": 3}
    rules = [
        rule("alert", 1, classtype="misc-activity"),
        rule("alert", 2, classtype="trojan-activity"),
        rule("alert", 3, classtype="trojan-activity", priority=5),
    ]
    assert order(rules, classtypes) == [2, 1, 3]


def test_rules_internals_doc_example() -> None:
    """Suricata 8 user guide, "Rule Processing": sids 1..6 get iids 3,0,5,4,1,2."""
    rules = [
        rule("pass", 1),
        rule("pass", 2, priority=1),
        rule("drop", 3, priority=1),
        rule("pass", 4),
        rule("pass", 5, priority=1),
        rule("pass", 6, priority=1),
    ]
    assert order(rules) == [2, 5, 6, 1, 4, 3]


def test_flowint_set_before_read_and_after_flowbits() -> None:
    rules = [
        rule("alert", 1, ("flowint", "cnt,>,5")),
        rule("alert", 2, ("flowint", "cnt,+,1")),
        rule("alert", 3, ("flowint", "cnt,isset"), ("flowint", "cnt,+,1")),
        rule("alert", 4, ("flowbits", "isset,x"), ("flowint", "cnt,>,5")),
    ]
    assert order(rules) == [4, 2, 3, 1]


def test_flowvar_and_pktvar_from_pcre_capture() -> None:
    rules = [
        rule("alert", 1, ("flowvar", 'http_host,"www.example.org"')),
        rule("alert", 2, ("pcre", r'"/^Host: (?P<flow_http_host>.*)\r\n/m"')),
        rule("alert", 3, ("pktvar", 'http_host,"x"')),
        rule("alert", 4, ("pcre", r'"/^UA: (?P<pkt_ua>.*)/m"')),
    ]
    infos = {r.sid: rule_order_info(r) for r in rules}
    assert infos[1].flowvar is VarUse.READ
    assert infos[2].flowvar is VarUse.SET
    assert infos[3].pktvar is VarUse.READ
    assert infos[4].pktvar is VarUse.SET
    assert order(rules) == [2, 1, 4, 3]


def test_hostbits_and_xbits_ranks() -> None:
    infos = [
        rule_order_info(rule("alert", 1, ("hostbits", "set,scanner,src"))),
        rule_order_info(rule("alert", 2, ("xbits", "isset,scanner,track ip_pair"))),
        rule_order_info(rule("alert", 3, ("xbits", "isset,scanner,track ip_src"))),
    ]
    assert infos[0].hostbits is VarUse.SET
    assert infos[1].ippairbits is VarUse.READ and infos[1].hostbits is VarUse.NOT_USED
    assert infos[2].hostbits is VarUse.READ


def test_ties_break_by_sid_then_input_order() -> None:
    infos = [
        RuleOrderInfo("alert", 30),
        RuleOrderInfo("alert", 10),
        RuleOrderInfo("alert", 20),
        RuleOrderInfo("alert", 10),
    ]
    ordered = sort_rules(infos, lambda i: i)
    assert [i.sid for i in ordered] == [10, 10, 20, 30]
    assert ordered[0] is infos[1] and ordered[1] is infos[3]


def test_custom_action_order_and_unknown_actions_last() -> None:
    custom = ("drop", "alert", "pass", "reject")
    infos = [
        RuleOrderInfo("pass", 1),
        RuleOrderInfo("config", 2),
        RuleOrderInfo("alert", 3),
        RuleOrderInfo("drop", 4),
    ]
    assert [i.sid for i in sort_rules(infos, lambda i: i, custom)] == [4, 3, 1, 2]
    assert action_rank("rejectsrc") == action_rank("reject") == 2
    assert action_rank("accept") == 4


def test_malformed_flowbits_surfaces_as_compile_error() -> None:
    with pytest.raises(RuleCompileError):
        rule_order_info(rule("alert", 1, ("flowbits", "set,a|b")))
