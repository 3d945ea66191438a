"""How the hub and the adapters connect to a secured Kafka cluster: TLS, mutual TLS, SASL/SCRAM.

One set of settings, read by the hub (`HUB_KAFKA_*`) and by every adapter
(`<PARTNER>_KAFKA_*`), becomes FastStream's security object for its brokers and the same
keyword arguments for the plain aiokafka clients (admin, demo). A password comes from the
environment or, better, from a file (a mounted Kubernetes secret); it is read at start and
never written in a log or an error. A setting refused names itself, never its value.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path
from typing import Any, Literal

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Protocol = Literal["PLAINTEXT", "SSL", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]
MECHANISMS: dict[str, type[SASLScram512 | SASLScram256]] = {
    "SCRAM-SHA-512": SASLScram512,
    "SCRAM-SHA-256": SASLScram256,
}


class KafkaSecurityError(ValueError):
    """The Kafka connection settings do not describe one usable way to connect."""


class KafkaClientSettings(BaseSettings):
    """How to reach the cluster securely; each settings class adds its own prefix.

    `PLAINTEXT` is for the embedded broker and development only: a cluster shared by
    institutions is reached with `SSL` (mutual TLS: a client certificate and key) or
    `SASL_SSL` (SCRAM over TLS: a username and a password).
    """

    model_config = SettingsConfigDict(hide_input_in_errors=True)

    kafka_security_protocol: Protocol = Field(
        default="PLAINTEXT",
        description="PLAINTEXT (embedded broker, development), SSL (TLS; mutual with a client "
        "certificate) or SASL_SSL (SCRAM over TLS).",
    )
    kafka_ca_file: Path | None = Field(
        default=None,
        description="The certificate authority (PEM) that signed the brokers' certificates; "
        "unset: the system's trusted authorities.",
    )
    kafka_cert_file: Path | None = Field(
        default=None, description="This client's certificate (PEM), for mutual TLS."
    )
    kafka_key_file: Path | None = Field(
        default=None, description="This client's private key (PEM, unencrypted), for mutual TLS."
    )
    kafka_sasl_mechanism: Mechanism = Field(
        default="SCRAM-SHA-512", description="The SCRAM mechanism under SASL_SSL."
    )
    kafka_username: str | None = Field(
        default=None, description="This client's SCRAM user: one identity per partner."
    )
    kafka_password: SecretStr | None = Field(
        default=None, description="The SCRAM password; prefer the _FILE setting."
    )
    kafka_password_file: Path | None = Field(
        default=None, description="A file holding the SCRAM password (a mounted secret)."
    )

    @model_validator(mode="after")
    def _one_way_to_connect(self) -> KafkaClientSettings:
        problems = connection_problems(self)
        if problems:
            raise KafkaSecurityError("; ".join(problems))
        return self

    def kafka_security(self) -> BaseSecurity | None:
        """FastStream's security object for these settings; None for PLAINTEXT."""
        return security_of(self)

    def kafka_options(self) -> dict[str, Any]:
        """The same settings as aiokafka client keyword arguments (admin, producer, consumer)."""
        return parse_security(security_of(self))


def connection_problems(settings: KafkaClientSettings) -> list[str]:
    """What is inconsistent in these settings, each naming the setting (never its value)."""
    tls_files = {
        "kafka_ca_file": settings.kafka_ca_file,
        "kafka_cert_file": settings.kafka_cert_file,
        "kafka_key_file": settings.kafka_key_file,
    }
    sasl = {
        "kafka_username": settings.kafka_username,
        "kafka_password": settings.kafka_password,
        "kafka_password_file": settings.kafka_password_file,
    }
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        set_anyway = [name for name, value in {**tls_files, **sasl}.items() if value is not None]
        if not set_anyway:
            return []
        named = ", ".join(set_anyway)
        return [f"{named} set but kafka_security_protocol is PLAINTEXT: set SSL or SASL_SSL"]
    problems = _tls_problems(settings, tls_files)
    if protocol == "SSL" and any(value is not None for value in sasl.values()):
        problems.append("a SCRAM user or password is set but the protocol is SSL: set SASL_SSL")
    if protocol == "SASL_SSL":
        problems += _scram_problems(settings)
    return problems


def _tls_problems(settings: KafkaClientSettings, files: dict[str, Path | None]) -> list[str]:
    problems = []
    if (settings.kafka_cert_file is None) != (settings.kafka_key_file is None):
        problems.append("kafka_cert_file and kafka_key_file go together: set both or neither")
    problems += [
        f"{name}: no such file" for name, path in files.items() if path and not path.is_file()
    ]
    return problems


def _scram_problems(settings: KafkaClientSettings) -> list[str]:
    problems = []
    if not settings.kafka_username:
        problems.append("SASL_SSL needs kafka_username")
    if (settings.kafka_password is None) == (settings.kafka_password_file is None):
        problems.append("SASL_SSL needs exactly one of kafka_password, kafka_password_file")
    elif settings.kafka_password_file and not settings.kafka_password_file.is_file():
        problems.append("kafka_password_file: no such file")
    return problems


def tls_context(settings: KafkaClientSettings) -> ssl.SSLContext:
    """A client TLS context: the brokers' names and certificates verified, TLS 1.2 at least."""
    context = ssl.create_default_context(
        cafile=str(settings.kafka_ca_file) if settings.kafka_ca_file else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.kafka_cert_file and settings.kafka_key_file:
        context.load_cert_chain(settings.kafka_cert_file, settings.kafka_key_file)
    return context


def password(settings: KafkaClientSettings) -> str:
    """The SCRAM password, from its file (one trailing newline ignored) or the environment."""
    if settings.kafka_password_file is not None:
        return settings.kafka_password_file.read_text(encoding="utf-8").removesuffix("\n")
    return settings.kafka_password.get_secret_value() if settings.kafka_password else ""


def security_of(settings: KafkaClientSettings) -> BaseSecurity | None:
    """FastStream's security object: None, TLS (mutual with a certificate), or SCRAM over TLS."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    context = tls_context(settings)
    if settings.kafka_security_protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    explain_scram_refusals()
    mechanism = MECHANISMS[settings.kafka_sasl_mechanism]
    return mechanism(
        username=settings.kafka_username or "",
        password=password(settings),
        ssl_context=context,
        use_ssl=True,
    )


@functools.cache
def explain_scram_refusals() -> None:
    """Make a broker's SCRAM refusal an authentication error that says what the broker said.

    aiokafka reads the server's final SCRAM message as if it always held a signature (`v=`);
    a refusal (`e=unknown-user`, `e=invalid-proof`) then fails as a bare `KeyError`. With
    this, the client fails with `SaslAuthenticationFailed` quoting the broker's reason (a
    fixed RFC 5802 word, never a secret). Idempotent.
    """
    from aiokafka import conn  # noqa: PLC0415 - patched once, where it is used
    from aiokafka.errors import SaslAuthenticationFailed  # noqa: PLC0415

    original = conn.ScramAuthenticator.process_server_final_message

    def process_server_final_message(self: Any, server_final: str) -> None:
        if server_final.startswith("e="):
            reason = server_final.removeprefix("e=").split(",", 1)[0][:64]
            raise SaslAuthenticationFailed(f"the broker refused the SCRAM exchange: {reason}")
        original(self, server_final)

    conn.ScramAuthenticator.process_server_final_message = process_server_final_message
