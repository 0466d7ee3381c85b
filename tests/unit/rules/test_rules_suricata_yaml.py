"""Unit tests for sensor.suricata_yaml: includes, !include, --set overrides, vars()."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import parse_address, parse_port, resolve_addresses, resolve_ports
from rules.vars import DEFAULT_ADDRESS_GROUPS, DEFAULT_PORT_GROUPS
from sensor.errors import ConfigError
from sensor.suricata_yaml import load_suricata_yaml


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_defaults_only_when_no_path() -> None:
    config = load_suricata_yaml(None, [])
    table = config.vars()
    assert table.address_groups == dict(DEFAULT_ADDRESS_GROUPS)
    assert table.port_groups == dict(DEFAULT_PORT_GROUPS)
    assert config.get("vars.port-groups.HTTP_PORTS") == "80"
    assert config.get("no.such.key", "dflt") == "dflt"


def test_yaml_header_types_and_vars(tmp_path: Path) -> None:
    path = write(
        tmp_path / "suricata.yaml",
        "%YAML 1.1\n---\n"
        "vars:\n"
        "  address-groups:\n"
        '    HOME_NET: "[10.0.0.0/8]"\n'
        '    EXTERNAL_NET: "!$HOME_NET"\n'
        "    SERVERS: [10.0.0.1, 10.0.0.2]\n"
        "  port-groups:\n"
        "    SSH_PORTS: 22\n"
        '    HTTP_PORTS: "[80,8080]"\n'
        "stats:\n  enabled: yes\n  interval: 8\n",
    )
    config = load_suricata_yaml(path, [])
    assert config.get("stats.enabled") is True and config.get("stats.interval") == 8
    table = config.vars()
    assert table.address_groups["SERVERS"] == "[10.0.0.1,10.0.0.2]"
    assert resolve_ports(parse_port("$SSH_PORTS"), table).ports == frozenset({22})
    assert not resolve_addresses(parse_address("$EXTERNAL_NET"), table).contains(4, bytes([10, 1, 1, 1]))


def test_include_single_list_nested_and_relative(tmp_path: Path) -> None:
    write(tmp_path / "etc" / "base.yaml", "%YAML 1.1\n---\na: 1\nb: {x: 1, y: 2}\nlogging: {level: info}\n")
    write(tmp_path / "etc" / "more.yaml", "c: 3\n")
    write(tmp_path / "groups.yaml", '%YAML 1.1\n---\nHOME_NET: "[192.168.1.0/24]"\n')
    write(tmp_path / "outputs.yaml", "- fast: {enabled: yes}\n- eve-log: {enabled: no}\n")
    main = write(
        tmp_path / "case" / "suricata.yaml",
        "%YAML 1.1\n---\n"
        "include: ../etc/base.yaml\n"
        "b: {y: 20}\n"
        "include:\n  - ../etc/more.yaml\n"
        "vars:\n  address-groups:\n    include: ../groups.yaml\n"
        "outputs: !include ../outputs.yaml\n"
        "logging: {level: debug}\n",
    )
    config = load_suricata_yaml(main, [])
    assert config.get("a") == 1 and config.get("c") == 3
    assert config.get("b") == {"x": 1, "y": 20}  # later keys override, mappings merge
    assert config.get("logging.level") == "debug"
    assert config.get("vars.address-groups.HOME_NET") == "[192.168.1.0/24]"
    assert config.get("outputs.1.eve-log.enabled") is False
    assert config.path == main


def test_later_include_overrides_earlier_keys(tmp_path: Path) -> None:
    write(tmp_path / "inc.yaml", "a: from-include\n")
    path = write(tmp_path / "s.yaml", "a: first\ninclude: inc.yaml\n")
    assert load_suricata_yaml(path, []).get("a") == "from-include"


def test_set_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        "outputs:\n  - fast:\n      enabled: yes\n  - eve-log:\n      enabled: yes\n      types: [alert]\n",
    )
    config = load_suricata_yaml(
        path,
        [
            "outputs.1.eve-log.enabled=no",
            "stats.decoder-events = true",
            "detect.profile=high",
            "vars.address-groups.HOME_NET=[10.0.0.0/8]",
            "vars.address-groups.EXTERNAL_NET=!$HOME_NET",
            "outputs.2.stats.enabled=yes",
            "threshold-file=",
        ],
    )
    assert config.get("outputs.1.eve-log.enabled") is False
    assert config.get("outputs.1.eve-log.types") == ["alert"]
    assert config.get("stats.decoder-events") is True
    assert config.get("detect.profile") == "high"
    assert config.get("vars.address-groups.HOME_NET") == "[10.0.0.0/8]"
    assert config.get("vars.address-groups.EXTERNAL_NET") == "!$HOME_NET"
    assert config.get("outputs.2.stats.enabled") is True
    assert config.get("threshold-file", "missing") is None
    assert config.vars().address_groups["HOME_NET"] == "[10.0.0.0/8]"


@pytest.mark.parametrize("item", ["novalue", "=x", "a..b=1", "outputs.9.x=1", "outputs.x.y=1"])
def test_bad_set(tmp_path: Path, item: str) -> None:
    path = write(tmp_path / "s.yaml", "outputs:\n  - fast: {}\n")
    with pytest.raises(ConfigError, match="--set"):
        load_suricata_yaml(path, [item])


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_suricata_yaml(str(tmp_path / "missing.yaml"), [])
    bad = write(tmp_path / "bad.yaml", "a: [1,\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_suricata_yaml(bad, [])
    loop = write(tmp_path / "loop.yaml", "include: loop.yaml\n")
    with pytest.raises(ConfigError, match="include loop"):
        load_suricata_yaml(loop, [])
    scalar = write(tmp_path / "scalar.yaml", "just a string\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_suricata_yaml(scalar, [])
    inc_list = write(tmp_path / "inclist.yaml", "include: loop-list.yaml\n")
    write(tmp_path / "loop-list.yaml", "- 1\n")
    with pytest.raises(ConfigError, match="is not a mapping"):
        load_suricata_yaml(inc_list, [])
    bad_vars = write(tmp_path / "badvars.yaml", "vars:\n  address-groups: [1, 2]\n")
    with pytest.raises(ConfigError, match="must be mappings"):
        load_suricata_yaml(bad_vars, []).vars()
    null_var = write(tmp_path / "nullvar.yaml", "vars:\n  address-groups:\n    HOME_NET:\n")
    with pytest.raises(ConfigError, match="HOME_NET"):
        load_suricata_yaml(null_var, []).vars()


def test_empty_file_and_empty_include(tmp_path: Path) -> None:
    write(tmp_path / "empty.yaml", "")
    path = write(tmp_path / "s.yaml", "include: empty.yaml\na: 1\n")
    assert load_suricata_yaml(path, []).data == {"a": 1}
    assert load_suricata_yaml(str(tmp_path / "empty.yaml"), []).data == {}
