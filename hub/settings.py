"""The hub's settings, read from `HUB_*` environment variables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from hub.wire.security import KafkaClientSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_FILE = Path(".hub/state.sqlite")


class Settings(KafkaClientSettings):
    """Everything an operator can set; the defaults run the embedded demo."""

    model_config = SettingsConfigDict(env_prefix="HUB_", frozen=True)

    kafka_bootstrap: str | None = Field(
        default=None,
        description="External Kafka cluster (host:port,...); unset starts the embedded broker.",
    )
    kafka_idempotence: bool | None = Field(
        default=None,
        description="Idempotent producer; default on for an external cluster, off for the "
        "embedded broker, which does not support it.",
    )
    group_id: str = "partner-hub"
    topics_owner: Literal["hub", "cluster"] | None = Field(
        default=None,
        description="Who creates the partners' topics: the cluster's declared resources "
        "(`cluster`: the hub creates none and names what differs at start) or the hub "
        "(`hub`: it creates the missing ones). Default: the hub on the embedded broker, the "
        "cluster on an external one.",
    )
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    state_url: str | None = Field(
        default=None,
        description="Where the hub keeps its state, the ledger and the vault together: "
        "sqlite:///<file> (sqlite:////absolute/path); default sqlite:///.hub/state.sqlite.",
    )
    ledger_path: Path | None = Field(
        default=None,
        description="The state's SQLite file, as the earlier setting named it; "
        "HUB_STATE_URL wins when both are set.",
    )
    directory_path: Path = PROJECT_ROOT / "directory" / "haute-vienne.yaml"
    contracts_path: Path = PROJECT_ROOT / "contracts"
    batch_max_records: int = Field(default=2000, ge=1)
    fetch_max_wait_ms: int = Field(
        default=20,
        ge=1,
        description="Longest a fetch waits for data; the embedded broker always waits this long.",
    )
    max_record_bytes: int = Field(default=256 * 1024, ge=1024)
    max_batch_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024 * 1024,
        description="The most a compressed batch may inflate to; past it the batch is refused "
        "whole (record.oversize), before it is inflated in memory.",
    )
    fetch_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024 * 1024,
        description="The most one fetch brings from the broker, all partitions together.",
    )
    partition_fetch_max_bytes: int = Field(
        default=1024 * 1024,
        ge=64 * 1024,
        description="The most one fetch brings from one partition.",
    )
    retry_backoff_max_s: float = Field(default=30.0, gt=0)
    batch_tries: int = Field(
        default=3,
        ge=1,
        description="Tries of a failing batch before its records are tried one by one, and one "
        "that keeps failing is set aside (refused as hub.internal).",
    )
    http_host: str = Field(
        default="127.0.0.1", description="Address of /metrics, /healthz, /readyz and /trace."
    )
    http_port: int = Field(default=8000, ge=0, le=65535, description="0 picks a free port.")
    trace_host: str = Field(
        default="127.0.0.1", description="Address of the trace API, for operators only."
    )
    trace_port: int = Field(default=8001, ge=0, le=65535, description="0 picks a free port.")
    operators_path: Path | None = Field(
        default=None,
        description="Who may look at cases: the operators file (`hub operators add`), "
        "nowhere under the state's folder. Unset: the trace API is not served.",
    )
    trace_login_failures: int = Field(
        default=10,
        ge=1,
        description="Failed logins a source address may make to the trace API within "
        "HUB_TRACE_LOGIN_WINDOW_S; past them it is answered 429 until the window lets it.",
    )
    trace_login_window_s: float = Field(
        default=60.0, gt=0, description="The window failed trace-API logins are counted over."
    )
    inbound_retention_ms: int = Field(
        default=7 * 24 * 3600 * 1000,
        ge=3600 * 1000,
        description="How long hub.in topics keep a record: long enough for the hub to read it "
        "after an outage, no longer.",
    )
    outbound_retention_ms: int = Field(
        default=30 * 24 * 3600 * 1000,
        ge=3600 * 1000,
        description="How long hub.out topics keep a delivery for a partner to read it; past "
        "it, redelivery from the vault serves a partner that was away.",
    )
    vault_path: Path | None = Field(
        default=None,
        description="Keep the vault (accepted records sealed per case) in a file of its own, "
        "attached to the state's; default: inside the state's file, committed with the ledger.",
    )
    redeliver_after_s: float = Field(
        default=300.0, gt=0, description="First redelivery of a delivery without its receipt."
    )
    redeliver_max_s: float = Field(
        default=6 * 3600.0, gt=0, description="Longest wait between two redeliveries."
    )
    lifecycle_check_s: float = Field(
        default=30.0, gt=0, description="How often redeliveries and retention are looked at."
    )
    checkpoint_key_path: Path | None = Field(
        default=None,
        description="The Ed25519 key (PEM, owner-only) that signs the ledger's checkpoints; "
        "nowhere under the state's folder (`hub keys new` makes one). Unset: no checkpoint "
        "is sent.",
    )
    checkpoint_public_key: str | None = Field(
        default=None,
        description="The public key (base64; several, comma-separated, across a rotation) that "
        "`hub ledger verify --checkpoint` trusts. Unset: the public half of "
        "HUB_CHECKPOINT_KEY_PATH's key, where it can be read.",
    )
    case_key_path: Path | None = Field(
        default=None,
        description="The key (base64, owner-only) from which the case ids of notices sent "
        "without a key are derived; never in the state's folder, the same for every replica "
        "(`hub keys case` makes one). Unset: on a SQLite state, one is made once beside the "
        "state's folder (`<folder>-secrets/case.key`); on any other state the hub refuses to "
        "start.",
    )
    checkpoint_every_entries: int = Field(
        default=1000, ge=1, description="Sign the ledger's head after this many entries..."
    )
    checkpoint_every_s: float = Field(
        default=900.0, gt=0, description="...or after this long with any entry recorded."
    )
    audit_key: SecretStr | None = Field(
        default=None, description="Signs audit exports' manifests (HMAC-SHA256) when set."
    )
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_format: Literal["json", "text"] = Field(
        default="json", description="One JSON object a line (notice, case, trace ids), or text."
    )
    deadline_check_s: float = Field(
        default=60.0, gt=0, description="How often past-due legal deadlines are looked for."
    )
    deadlines_as_of: datetime | None = Field(
        default=None,
        description="The hub's clock for drills and tests: deadlines are checked, files opened "
        "(the rules they keep) and retirements judged as if it were this time; unset: now.",
    )
    refresh_s: float = Field(
        default=15.0, gt=0, description="How often the ledger and lag gauges are refreshed."
    )

    @property
    def state(self) -> str:
        """The URL of the hub's state."""
        if self.state_url:
            return self.state_url
        return f"sqlite:///{self.ledger_path or DEFAULT_STATE_FILE}"

    @property
    def work_dir(self) -> Path:
        """The folder of the hub's own files (the embedded broker's log): the state's, if a file."""
        prefix = "sqlite:///"
        if self.state.startswith(prefix):
            return Path(self.state.removeprefix(prefix)).parent
        return DEFAULT_STATE_FILE.parent

    def hub_creates_topics(self, *, embedded: bool) -> bool:
        """Whether the hub creates the missing topics (else the cluster owns them)."""
        return embedded if self.topics_owner is None else self.topics_owner == "hub"

    def idempotence(self, *, embedded: bool) -> bool:
        """Whether the producer should be idempotent on this broker."""
        return (not embedded) if self.kafka_idempotence is None else self.kafka_idempotence
