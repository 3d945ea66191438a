"""`hub cluster render`: what its files allow, judged by Kafka's own ACL semantics.

The intended rights are written below from the rules, apart from the code that makes the
grants; every principal, resource and operation of a directory is asked of the rendered
Strimzi users and of the rendered script, and every answer must be the intended one.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.catalogue.access import Authentication
from hub.catalogue.directory import load_directory
from hub.settings import PROJECT_ROOT, Settings
from hub.tools.cluster import (
    KUBERNETES_NAME,
    SCRIPT_FILE,
    TOPICS_FILE,
    USERS_FILE,
    kubernetes_name,
    render,
)
from tests.acl_semantics import Difference, Intent, differences, from_script, from_strimzi

EXAMPLE = PROJECT_ROOT / "directory" / "haute-vienne.yaml"
DEPLOY = PROJECT_ROOT / "deploy" / "kafka"
HUB = "partner-hub"
SH = shutil.which("sh") or "/bin/sh"
# `caf` is a string prefix of `caf2`; `partner` is the start of the hub's own name.
SYNTHETIC_PARTNERS = ("caf", "caf2", "ccapex", "partner")
SYNTHETIC = "territory: {name: Test, code: '87'}\npartners:\n" + "".join(
    f"  {p}: {{name: {p}, kind: landlord, offices: {{{p}: {{name: {p}}}}}}}\n"
    for p in SYNTHETIC_PARTNERS
)
ASKED = (
    "Read",
    "Write",
    "Create",
    "Delete",
    "Alter",
    "Describe",
    "DescribeConfigs",
    "AlterConfigs",
    "IdempotentWrite",
    "All",
)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The default settings, whatever the environment running the tests says."""
    for name in os.environ:
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    return Settings()


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(SYNTHETIC, encoding="utf-8")
    return path


# What is intended, from the rules: each partner writes its hub.in and reads its hub.out, by
# their exact names, and uses the consumer groups `<partner>.*`; the hub reads every hub.in.*,
# writes every hub.out.*, reads their configuration, and uses its one group; each identity
# may write idempotently. READ and WRITE bring DESCRIBE with them. Nobody else, nothing more.


def exactly(wanted: str) -> Callable[[str], bool]:
    return lambda name: name == wanted


def starting(prefix: str) -> Callable[[str], bool]:
    return lambda name: name.startswith(prefix)


def intent(partners: tuple[str, ...], authentication: Authentication) -> Intent:
    """The intended answer for every (principal, resource type, name, operation)."""

    def user(name: str) -> str:
        return f"User:CN={name}" if authentication == "tls" else f"User:{name}"

    hub = user(HUB)
    rules = [
        (hub, "TOPIC", starting("hub.in."), {"Read", "Describe", "DescribeConfigs"}),
        (hub, "TOPIC", starting("hub.out."), {"Write", "Describe", "DescribeConfigs"}),
        (hub, "GROUP", exactly(HUB), {"Read", "Describe"}),
        (hub, "CLUSTER", exactly("kafka-cluster"), {"IdempotentWrite"}),
    ]
    for partner in partners:
        rules += [
            (user(partner), "TOPIC", exactly(f"hub.in.{partner}"), {"Write", "Describe"}),
            (user(partner), "TOPIC", exactly(f"hub.out.{partner}"), {"Read", "Describe"}),
            (user(partner), "GROUP", starting(f"{partner}."), {"Read", "Describe"}),
            (user(partner), "CLUSTER", exactly("kafka-cluster"), {"IdempotentWrite"}),
        ]
    return lambda principal, kind, name, op: any(
        principal == who and kind == on and matches(name) and op in operations
        for who, on, matches, operations in rules
    )


def principals(partners: tuple[str, ...]) -> list[str]:
    """Every identity, each spelled for SCRAM and for mutual TLS, and an intruder."""
    names = [HUB, *partners, "intruder"]
    return [f"User:{n}" for n in names] + [f"User:CN={n}" for n in names]


def resources(partners: tuple[str, ...]) -> list[tuple[str, str]]:
    """The directory's topics and groups, their near neighbours, and the cluster."""
    topics = [t for p in partners for t in (f"hub.in.{p}", f"hub.out.{p}")]
    topics += ["hub.in.caf2x", "hub.out.ca", "__consumer_offsets"]
    groups = [HUB, "caf.adapter", "caf2.adapter", "caf", "caf2", "cafx.adapter", "caf2.x"]
    groups += [f"{p}.adapter" for p in partners] + [f"{HUB}.x", "partner-hu"]
    return (
        [("TOPIC", t) for t in topics]
        + [("GROUP", g) for g in dict.fromkeys(groups)]
        + [("CLUSTER", "kafka-cluster")]
    )


def matrix(
    rendered: dict[str, str], form: str, partners: tuple[str, ...], auth: Authentication
) -> list[Difference]:
    """Every answer of one rendering (`strimzi` or `script`) that is not the intended one."""
    read = {
        "strimzi": lambda: from_strimzi(rendered[USERS_FILE]),
        "script": lambda: from_script(rendered[SCRIPT_FILE]),
    }
    bindings = read[form]()
    assert bindings, f"nothing read from the {form} rendering"
    return differences(
        bindings, intent(partners, auth), principals(partners), resources(partners), ASKED
    )


def _render(path: Path, settings: Settings, auth: Authentication = "scram-sha-512") -> Any:
    return render(load_directory(path), settings, source=path.name, authentication=auth)


@pytest.mark.parametrize("form", ["strimzi", "script"])
@pytest.mark.parametrize("auth", ["scram-sha-512", "tls"])
@pytest.mark.parametrize("which", ["synthetic", "example"])
def test_every_identity_may_do_exactly_what_is_intended(
    which: str, auth: Authentication, form: str, synthetic: Path, settings: Settings
) -> None:
    path = synthetic if which == "synthetic" else EXAMPLE
    partners = load_directory(path).partners
    assert matrix(_render(path, settings, auth), form, partners, auth) == []


def test_the_matrix_asks_enough_to_mean_something() -> None:
    check = intent(SYNTHETIC_PARTNERS, "scram-sha-512")
    cases = [
        (who, kind, name, op)
        for who in principals(SYNTHETIC_PARTNERS)
        for kind, name in resources(SYNTHETIC_PARTNERS)
        for op in ASKED
    ]
    allowed = [case for case in cases if check(*case)]
    assert len(cases) > 2000
    assert ("User:caf", "GROUP", "caf.adapter", "Read") in allowed
    assert ("User:caf", "GROUP", "caf2.adapter", "Read") not in allowed
    assert ("User:partner-hub", "TOPIC", "hub.in.caf2x", "Read") in allowed
    assert 40 < len(allowed) < 100


def test_both_renderings_hold_the_same_bindings(synthetic: Path, settings: Settings) -> None:
    for auth in ("scram-sha-512", "tls"):
        rendered = _render(synthetic, settings, auth)
        assert set(from_strimzi(rendered[USERS_FILE])) == set(from_script(rendered[SCRIPT_FILE]))


def _plant(users: str, user: str, rule: dict[str, Any]) -> str:
    documents = list(yaml.safe_load_all(users))
    for document in documents:
        if document["metadata"]["name"] == user:
            document["spec"]["authorization"]["acls"].append(rule)
    return yaml.safe_dump_all(documents, sort_keys=False)


def _rule(kind: str, name: str, pattern: str, op: str, permission: str = "allow") -> Any:
    return {
        "resource": {"type": kind, "name": name, "patternType": pattern},
        "operations": [op],
        "host": "*",
        "type": permission,
    }


PLANTED = {
    "caf reads every hub.out.caf*": (
        _rule("topic", "hub.out.caf", "prefix", "Read"),
        Difference("User:caf", "TOPIC", "hub.out.caf2", "Read", authorized=True),
    ),
    "caf reads every topic": (
        _rule("topic", "*", "literal", "Read"),
        Difference("User:caf", "TOPIC", "__consumer_offsets", "Read", authorized=True),
    ),
    "caf joins every group caf*": (
        _rule("group", "caf", "prefix", "Read"),
        Difference("User:caf", "GROUP", "caf2.adapter", "Read", authorized=True),
    ),
    "caf may no longer write its own topic": (
        _rule("topic", "hub.in.caf", "literal", "Write", "deny"),
        Difference("User:caf", "TOPIC", "hub.in.caf", "Write", authorized=False),
    ),
}


@pytest.mark.parametrize("planted", PLANTED, ids=str)
def test_a_planted_rule_is_named_by_the_matrix(
    planted: str, synthetic: Path, settings: Settings
) -> None:
    rule, expected = PLANTED[planted]
    rendered = _render(synthetic, settings)
    rendered[USERS_FILE] = _plant(rendered[USERS_FILE], "caf", rule)
    found = matrix(rendered, "strimzi", SYNTHETIC_PARTNERS, "scram-sha-512")
    assert expected in found
    assert {d.principal for d in found} == {"User:caf"}


def test_a_planted_or_missing_script_line_is_named_by_the_matrix(
    synthetic: Path, settings: Settings
) -> None:
    rendered = _render(synthetic, settings)
    script = rendered[SCRIPT_FILE]
    broad = (
        'kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --add --allow-principal User:caf '
        "--operation Read --topic hub.out.caf --resource-pattern-type prefixed\n"
    )
    found = matrix({SCRIPT_FILE: script + broad}, "script", SYNTHETIC_PARTNERS, "scram-sha-512")
    assert found == [
        Difference("User:caf", "TOPIC", "hub.out.caf2", op, authorized=True)
        for op in ("Read", "Describe")
    ]
    without_hub_group = "".join(
        line for line in script.splitlines(keepends=True) if "--group partner-hub" not in line
    )
    assert without_hub_group != script
    found = matrix({SCRIPT_FILE: without_hub_group}, "script", SYNTHETIC_PARTNERS, "scram-sha-512")
    assert found == [
        Difference("User:partner-hub", "GROUP", "partner-hub", op, authorized=False)
        for op in ("Read", "Describe")
    ]


# The topics


def _script_topics(script: str) -> Iterator[tuple[str, int, int, dict[str, str]]]:
    for line in script.splitlines():
        argv = shlex.split(line, comments=True)
        if argv[:1] != ["kafka-topics.sh"]:
            continue
        assert {"--create", "--if-not-exists"} <= set(argv)
        options = list(itertools.pairwise(argv))
        value = dict(options)
        configs = dict(v.split("=", 1) for k, v in options if k == "--config")
        yield (
            value["--topic"],
            int(value["--partitions"]),
            int(value["--replication-factor"]),
            configs,
        )


def test_topics_are_declared_alike_in_both_renderings_from_the_settings(synthetic: Path) -> None:
    settings = Settings(topic_partitions=6, topic_replication=3, inbound_retention_ms=3_600_000)
    rendered = _render(synthetic, settings)
    declared = [
        (
            d["spec"]["topicName"],
            d["spec"]["partitions"],
            d["spec"]["replicas"],
            d["spec"]["config"],
        )
        for d in yaml.safe_load_all(rendered[TOPICS_FILE])
    ]
    assert declared == list(_script_topics(rendered[SCRIPT_FILE]))
    assert [name for name, *_ in declared] == [
        f"hub.{way}.{p}" for p in SYNTHETIC_PARTNERS for way in ("in", "out")
    ]
    assert {(partitions, replicas) for _, partitions, replicas, _ in declared} == {(6, 3)}
    assert declared[0][3]["retention.ms"] == "3600000"
    assert declared[1][3]["retention.ms"] == str(settings.outbound_retention_ms)
    script = rendered[SCRIPT_FILE]
    assert script.index("kafka-topics.sh") < script.index("kafka-acls.sh --bootstrap")


def test_kubernetes_names_are_valid_and_distinct() -> None:
    assert kubernetes_name("hub.in.caf") == "hub.in.caf"
    topics = ["__consumer_offsets", "A_b", "a_b", "a-b", "Hub.In.X", "x" * 300, "_"]
    names = [kubernetes_name(t) for t in topics]
    assert len(set(names)) == len(topics)
    assert all(KUBERNETES_NAME.match(n) and len(n) <= 253 for n in names), names


def test_every_resource_names_the_cluster_and_the_authentication(
    synthetic: Path, settings: Settings
) -> None:
    rendered = render(
        load_directory(synthetic), settings, source="d", cluster="prod", authentication="tls"
    )
    users = list(yaml.safe_load_all(rendered[USERS_FILE]))
    topics = list(yaml.safe_load_all(rendered[TOPICS_FILE]))
    assert [u["metadata"]["name"] for u in users] == [HUB, *SYNTHETIC_PARTNERS]
    assert {u["spec"]["authentication"]["type"] for u in users} == {"tls"}
    for resource in users + topics:
        assert resource["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert resource["metadata"]["labels"] == {"strimzi.io/cluster": "prod"}


# The command and the committed files


def _hub(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )


def _syntax_ok(script: Path) -> None:
    checked = subprocess.run([SH, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_command_writes_the_three_files(tmp_path: Path, synthetic: Path) -> None:
    out = tmp_path / "kafka"
    result = _hub("cluster", "render", "--out", str(out), "--directory", str(synthetic))
    assert result.returncode == 0, result.stderr
    written = [out / USERS_FILE, out / TOPICS_FILE, out / SCRIPT_FILE]
    assert result.stdout.splitlines() == [f"cluster: wrote {path}" for path in written]
    assert stat.S_IMODE((out / SCRIPT_FILE).stat().st_mode) == 0o755
    _syntax_ok(out / SCRIPT_FILE)
    script = (out / SCRIPT_FILE).read_text(encoding="utf-8")
    assert script.startswith("#!/bin/sh\n# Generated by `hub cluster render`")
    assert "\nset -eu\n" in script
    assert '"${BOOTSTRAP:?' in script
    assert '"${ADMIN_CONFIG:?' in script
    tls = _hub(
        "cluster",
        "render",
        "--out",
        str(out),
        "--directory",
        str(synthetic),
        "--authentication",
        "tls",
        "--cluster",
        "c",
    )
    assert tls.returncode == 0, tls.stderr
    users = list(yaml.safe_load_all((out / USERS_FILE).read_text(encoding="utf-8")))
    assert {u["spec"]["authentication"]["type"] for u in users} == {"tls"}
    assert "--allow-principal User:CN=caf " in (out / SCRIPT_FILE).read_text(encoding="utf-8")


def test_the_script_refuses_to_run_without_its_variables(tmp_path: Path, synthetic: Path) -> None:
    _hub("cluster", "render", "--out", str(tmp_path), "--directory", str(synthetic))
    ran = subprocess.run(
        [SH, str(tmp_path / SCRIPT_FILE)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/nonexistent", "BOOTSTRAP": "k:9092"},
    )
    assert ran.returncode != 0
    assert "ADMIN_CONFIG" in ran.stderr


def test_the_command_refuses_a_partner_with_the_hubs_name(tmp_path: Path) -> None:
    directory = tmp_path / "directory.yaml"
    directory.write_text(SYNTHETIC.replace("ccapex", HUB), encoding="utf-8")
    out = tmp_path / "kafka"
    result = _hub("cluster", "render", "--out", str(out), "--directory", str(directory))
    assert result.returncode == 1
    assert "'partner-hub' would share the hub's Kafka identity" in result.stderr
    assert not out.exists()
    renamed = _hub(
        "cluster", "render", "--out", str(out), "--directory", str(directory), "--hub-user", "hub"
    )
    assert renamed.returncode == 0, renamed.stderr


@pytest.mark.parametrize("command", [["cluster"], ["cluster", "render"]])
def test_the_commands_have_help(command: list[str]) -> None:
    result = _hub(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: hub cluster")


def test_the_committed_files_are_a_fresh_render(settings: Settings) -> None:
    rendered = _render(EXAMPLE, settings)
    stale = [
        name
        for name, text in rendered.items()
        if not (DEPLOY / name).is_file() or (DEPLOY / name).read_text(encoding="utf-8") != text
    ]
    assert stale == [], (
        f"deploy/kafka is stale ({stale}): run `hub cluster render --out deploy/kafka`"
    )
    assert os.access(DEPLOY / SCRIPT_FILE, os.X_OK)
    _syntax_ok(DEPLOY / SCRIPT_FILE)
