"""The hub and the adapters on a secured broker: mutual TLS end to end, and a SCRAM exchange.

The embedded broker speaks no TLS itself, so a TLS front with a certificate authority made
for the run stands before it (`tests/integration/tls.py`); it requires a client certificate
the authority signed. What cannot be proved here (a SCRAM login that succeeds, ACLs
enforced) is written in docs/security.md.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from faststream.security import BaseSecurity

from adapters.sdk import Adapter
from hub.catalogue.contracts import Catalogue
from hub.edge.embedded import EmbeddedBroker, free_port
from hub.settings import Settings
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_process
from tests.integration.test_adapter_sdk import Recorder
from tests.integration.tls import Authority, TlsFront

pytestmark = [pytest.mark.kafka]
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
WAIT_S = 60.0


def _serve(bootstrap: str, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`hub serve` on `bootstrap` with these `HUB_*` settings, until it stops by itself."""
    return subprocess.run(
        [sys.executable, "-m", "hub", "serve"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP": bootstrap,
            "HUB_KAFKA_IDEMPOTENCE": "false",
            "HUB_STATE_URL": f"sqlite:///{folder / 'state.sqlite'}",
            "HUB_HTTP_PORT": "0",
            **env,
        },
    )


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("authority"))


def _tls_env(authority: Authority, identity: str, prefix: str) -> dict[str, str]:
    cert, key = authority.client(identity)
    return {
        f"{prefix}KAFKA_SECURITY_PROTOCOL": "SSL",
        f"{prefix}KAFKA_CA_FILE": str(authority.ca_file),
        f"{prefix}KAFKA_CERT_FILE": str(cert),
        f"{prefix}KAFKA_KEY_FILE": str(key),
    }


def _adapter_security(authority: Authority, identity: str) -> BaseSecurity:
    env = _tls_env(authority, identity, "")
    settings = Settings(
        kafka_security_protocol="SSL",
        kafka_ca_file=Path(env["KAFKA_CA_FILE"]),
        kafka_cert_file=Path(env["KAFKA_CERT_FILE"]),
        kafka_key_file=Path(env["KAFKA_KEY_FILE"]),
    )
    security = settings.kafka_security()
    assert security is not None
    return security


@pytest.fixture(scope="module")
def front(authority: Authority) -> Iterator[TlsFront]:
    """The broker's TLS front: it requires a client certificate the authority signed."""
    tls = TlsFront(authority, free_port(), mutual=True)
    tls.start()
    yield tls
    tls.stop()


@pytest.fixture(scope="module")
def tls_hub(
    front: TlsFront, authority: Authority, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    """A broker reached only through mutual TLS, and the hub on it with its own certificate."""
    folder = tmp_path_factory.mktemp("tls-hub")
    with EmbeddedBroker(front.backend_port, folder / "broker.log", advertised=front.address):
        hub = hub_process(front.address, folder, **_tls_env(authority, "partner-hub", "HUB_"))
        hub.start()
        hub.wait_ready()
        yield hub
        assert hub.stop() == 0, hub.log.read_text()


@pytest.mark.asyncio
@pytest.mark.timeout(180)
async def test_the_hub_and_an_adapter_exchange_a_notice_over_mutual_tls(
    tls_hub: HubProcess,
    front: TlsFront,
    authority: Authority,
    catalogue: Catalogue,
    tmp_path: Path,
) -> None:
    school_side, social_side = Recorder(), Recorder()
    school = Adapter(
        "academie",
        tls_hub.bootstrap,
        tmp_path / "a",
        school_side,
        catalogue,
        resend_after=2,
        security=_adapter_security(authority, "academie"),
    )
    social = Adapter(
        "departement",
        tls_hub.bootstrap,
        tmp_path / "d",
        social_side,
        catalogue,
        resend_after=2,
        security=_adapter_security(authority, "departement"),
    )
    await school.start()
    await social.start()
    try:
        notice_id = await school.send(FORMAL_NOTICE, "dsden", LIMOGES)
        settlement = await school.settled(notice_id, WAIT_S)
        assert settlement.state == "accepted"
        received = await social_side.wait_for(2, notice_id)
        assert sorted(n.recipient for n in received) == [
            "departement/mdd:87-limoges-nord",
            "departement/sdas",
        ]
        receipts = await school_side.wait_for(2, notice_id)
        assert {(r.contract, r.answers) for r in receipts} == {("hub.receipt", notice_id)}
        # Each side connected as itself: the certificates the front was shown.
        assert front.identities == {"partner-hub", "academie", "departement"}
    finally:
        await school.stop()
        await social.stop()


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_client_that_does_not_trust_the_brokers_authority_is_not_connected(
    tls_hub: HubProcess, tmp_path: Path
) -> None:
    stranger = Authority(tmp_path, "another authority")
    cert, key = stranger.client("academie")
    options = Settings(
        kafka_security_protocol="SSL",
        kafka_ca_file=stranger.ca_file,
        kafka_cert_file=cert,
        kafka_key_file=key,
    ).kafka_options()
    admin = AIOKafkaAdminClient(bootstrap_servers=tls_hub.bootstrap, **options)
    with pytest.raises(KafkaConnectionError):
        await admin.start()
    await admin.close()


def test_a_plaintext_hub_cannot_reach_a_tls_broker(tls_hub: HubProcess, tmp_path: Path) -> None:
    result = _serve(tls_hub.bootstrap, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "hub: cannot start: the broker: KafkaConnectionError" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def scram_broker(authority: Authority, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A broker that requires SASL/SCRAM, behind TLS: SASL_SSL as a cluster would serve it."""
    folder = tmp_path_factory.mktemp("scram")
    backend = free_port()
    with (
        TlsFront(authority, backend) as front,
        EmbeddedBroker(backend, folder / "broker.log", advertised=front, authentication=True),
    ):
        yield front


def _scram_settings(authority: Authority, folder: Path, user: str) -> dict[str, str]:
    password = folder / f"{user}.password"
    password.write_text("a-password-the-broker-never-issued-0123456789\n")
    return {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_CA_FILE": str(authority.ca_file),
        "KAFKA_USERNAME": user,
        "KAFKA_PASSWORD_FILE": str(password),
    }


@pytest.mark.asyncio
@pytest.mark.timeout(120)
# FastStream starts the producer of a refused connection and never closes it: that one only.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function AIOKafkaProducer.__del__"
    ":pytest.PytestUnraisableExceptionWarning"
)
async def test_an_adapters_scram_login_reaches_the_exchange_and_the_broker_answers_unknown_user(
    scram_broker: str,
    authority: Authority,
    catalogue: Catalogue,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = _scram_settings(authority, tmp_path, "caf")
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_ca_file=Path(env["KAFKA_CA_FILE"]),
        kafka_username=env["KAFKA_USERNAME"],
        kafka_password_file=Path(env["KAFKA_PASSWORD_FILE"]),
    )
    adapter = Adapter(
        "caf",
        scram_broker,
        tmp_path / "caf",
        Recorder(),
        catalogue,
        security=settings.kafka_security(),
    )
    try:
        with pytest.raises(KafkaConnectionError):
            async with asyncio.timeout(60):
                await adapter.start()
    finally:
        await adapter.stop()
    # TLS held and SCRAM-SHA-512 was agreed: the broker answered the exchange itself.
    refusals = [r.getMessage() for r in caplog.records if "SCRAM exchange" in r.getMessage()]
    assert refusals
    assert all(
        "SaslAuthenticationFailed: the broker refused the SCRAM exchange: unknown-user" in r
        for r in refusals
    )


def test_the_hub_says_the_broker_refused_its_scram_identity(
    scram_broker: str, authority: Authority, tmp_path: Path
) -> None:
    scram = _scram_settings(authority, tmp_path, "partner-hub")
    result = _serve(scram_broker, tmp_path, **{f"HUB_{name}": v for name, v in scram.items()})
    assert result.returncode == 2, result.stderr
    assert "hub: cannot start: the broker: KafkaConnectionError" in result.stderr
    assert "the broker refused the SCRAM exchange: unknown-user" in result.stderr
    assert "never-issued" not in result.stderr  # the password is in no line
    assert "Traceback" not in result.stderr
