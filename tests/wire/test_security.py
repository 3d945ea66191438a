"""The Kafka connection settings: each way to connect, mapped to the clients; each mistake named."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from aiokafka import conn
from aiokafka.errors import SaslAuthenticationFailed
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from pydantic import ValidationError

from adapters.sdk.settings import AdapterSettings
from hub.settings import Settings
from hub.wire.security import explain_scram_refusals
from tests.integration.tls import Authority

PASSWORD = "a-scram-password-of-some-length-0123456789"  # noqa: S105 - a test value


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("ca"))


def test_plaintext_is_the_default_and_adds_nothing_to_the_clients() -> None:
    settings = Settings()
    assert settings.kafka_security() is None
    assert settings.kafka_options() == {}


def test_tls_verifies_the_brokers_against_the_authority_and_presents_the_clients_certificate(
    authority: Authority,
) -> None:
    cert, key = authority.client("caf")
    settings = Settings(
        kafka_security_protocol="SSL",
        kafka_ca_file=authority.ca_file,
        kafka_cert_file=cert,
        kafka_key_file=key,
    )
    security = settings.kafka_security()
    assert type(security) is BaseSecurity
    options = settings.kafka_options()
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    # The authority's certificate, and only it, is trusted.
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "test authority"),),)
    ]


def test_scram_over_tls_takes_the_password_from_its_file(
    authority: Authority, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_ca_file=authority.ca_file,
        kafka_username="partner-hub",
        kafka_password_file=secret,
    )
    assert isinstance(settings.kafka_security(), SASLScram512)
    options = settings.kafka_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "partner-hub"
    assert options["sasl_plain_password"] == PASSWORD  # the trailing newline is not the password
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_an_adapter_reads_the_same_settings_under_its_own_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class CafSettings(AdapterSettings, env_prefix="CAF_"):
        pass

    monkeypatch.setenv("CAF_KAFKA_BOOTSTRAP", "kafka:9093")
    monkeypatch.setenv("CAF_ROOT", str(tmp_path))
    monkeypatch.setenv("CAF_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CAF_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("CAF_KAFKA_USERNAME", "caf")
    monkeypatch.setenv("CAF_KAFKA_PASSWORD", PASSWORD)
    settings = CafSettings()
    assert isinstance(settings.kafka_security(), SASLScram256)
    assert settings.kafka_options()["sasl_plain_username"] == "caf"
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"kafka_username": "caf"}, "kafka_username set but kafka_security_protocol is PLAINTEXT"),
        ({"kafka_security_protocol": "SASL_SSL"}, "SASL_SSL needs kafka_username"),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_username": "caf"},
            "SASL_SSL needs exactly one of kafka_password, kafka_password_file",
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_username": "caf",
                "kafka_password": PASSWORD,
                "kafka_password_file": "/etc/hostname",
            },
            "SASL_SSL needs exactly one of kafka_password, kafka_password_file",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_cert_file": "/etc/hostname"},
            "kafka_cert_file and kafka_key_file go together",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ca_file": "/nowhere/ca.pem"},
            "kafka_ca_file: no such file",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_password": PASSWORD},
            "a SCRAM user or password is set but the protocol is SSL",
        ),
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "kafka_security_protocol"),
    ],
)
def test_each_inconsistent_setting_is_named_and_no_secret_is_quoted(
    settings: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**settings)  # type: ignore[arg-type]
    assert named in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_a_brokers_scram_refusal_becomes_an_authentication_error_with_its_reason() -> None:
    explain_scram_refusals()
    explain_scram_refusals()  # twice changes nothing
    authenticator = conn.ScramAuthenticator(
        loop=None,
        sasl_plain_username="caf",
        sasl_plain_password=PASSWORD,
        sasl_mechanism="SCRAM-SHA-512",
    )
    with pytest.raises(SaslAuthenticationFailed, match="refused the SCRAM exchange: unknown-user"):
        authenticator.process_server_final_message("e=unknown-user")
    authenticator._server_signature = b"expected"  # noqa: SLF001 - the state under test
    with pytest.raises(ValueError, match="wrong signature"):  # a signature is still checked
        authenticator.process_server_final_message("v=b3RoZXI=")
