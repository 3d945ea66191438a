"""Shared fixtures: the shipped contracts and directory, and the real broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.examples import read_example
from hub.catalogue.in_force import ZONE
from hub.edge.embedded import EmbeddedBroker
from hub.settings import PROJECT_ROOT

pytest_plugins = ["pytester"]
CONTRACTS = PROJECT_ROOT / "contracts"
DIRECTORY = PROJECT_ROOT / "directory" / "haute-vienne.yaml"
FORMAL_NOTICE = "instruction.mise-en-demeure"
# The hub's calendar in tests that send dated rules (`Intake(today=...)`, `HUB_DEADLINES_AS_OF`),
# so that none depends on the real date. PAYER_DECIDES: the payer decides on the housing benefit
# (logement.decision-payeur, logement.demande-avis and its logement.avis are in force for files
# opened until 2026-12-31) and logement.orientation v1 is retired (after 2026-12-06). It comes
# before any run of the suite, so that a deadline counted from an acceptance is never due on it.
PAYER_DECIDES = datetime(2026, 12, 7, 9, 0, tzinfo=ZONE)
# CCAPEX_DECIDES: the CCAPEX decides (logement.decision-ccapex, for files opened from 2027-01-01)
# and the arrears are those of décret 2026-84; logement.decision-aide is still accepted.
CCAPEX_DECIDES = datetime(2027, 1, 15, 9, 0, tzinfo=ZONE)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(CONTRACTS)


@pytest.fixture(scope="session")
def directory() -> PartnerDirectory:
    return load_directory(DIRECTORY)


def example(contract: str, name: str, kind: str = "valid", major: int = 1) -> dict[str, Any]:
    """A contract example's payload, without its `$comment`, read as `hub contracts check` does."""
    path = CONTRACTS / contract / f"v{major}" / "examples" / kind / f"{name}.json"
    return read_example(path).payload


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka-protocol broker for the whole session.

    The embedded Tansu broker by default; a real Apache Kafka container through testcontainers
    when HUB_TEST_BROKER=testcontainers and a Docker engine is present.
    """
    if os.environ.get("HUB_TEST_BROKER") == "testcontainers":
        from testcontainers.kafka import KafkaContainer  # noqa: PLC0415 - needs Docker

        with KafkaContainer() as container:
            yield container.get_bootstrap_server()
        return
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker(log_path=log) as bootstrap:
        yield bootstrap


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a file of a copied catalogue or directory; `old` must be there."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
