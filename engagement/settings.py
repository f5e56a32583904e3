"""Settings read from ``ENGAGEMENT_*`` environment variables (DESIGN section 3).

One frozen dataclass, built once per process by :func:`get_settings`; tests and
the command line build their own with :meth:`Settings.from_env`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_DATABASE_URL = "sqlite:///var/engagement.sqlite3"
INSECURE_SECRET_VALUES = {"", "change-me", "changeme", "secret", "dev", "development"}
MIN_SECRET_LENGTH = 32

# Every variable the application reads; docker/example.env and the compose file
# are checked against this list by the test suite.
ENVIRONMENT_VARIABLES = (
    "ENGAGEMENT_ENV",
    "ENGAGEMENT_DATABASE_URL",
    "ENGAGEMENT_REDIS_URL",
    "ENGAGEMENT_SMS_BACKEND",
    "ENGAGEMENT_SECRET_KEY",
    "ENGAGEMENT_ALLOW_SQLITE",
    "ENGAGEMENT_JOBS",
    "ENGAGEMENT_ALLOWED_ORIGINS",
    "ENGAGEMENT_TRUSTED_PROXIES",
    "ENGAGEMENT_WEB_WORKERS",
    "ENGAGEMENT_SITE_NAME",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
)


class SettingsError(RuntimeError):
    """The configuration cannot be used; the message names the reason in one line."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _development_secret() -> str:
    """A random secret kept under var/ so sessions and phone hashes survive restarts."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    sms_backend: str = "console"
    secret_key: str = field(default="", repr=False)
    allow_sqlite: bool = False
    jobs: str = "eager"
    allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    web_workers: int = 1
    site_name: str = "政民互动"
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from_number: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("ENGAGEMENT_ENV", "development").strip() or "development"
        redis_url = env.get("ENGAGEMENT_REDIS_URL", "").strip() or None
        secret = env.get("ENGAGEMENT_SECRET_KEY", "").strip()
        if not secret and mode == "development":
            secret = _development_secret()
        settings = cls(
            env=mode,
            database_url=env.get("ENGAGEMENT_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            redis_url=redis_url,
            sms_backend=env.get("ENGAGEMENT_SMS_BACKEND", "").strip() or "console",
            secret_key=secret,
            allow_sqlite=_flag(env.get("ENGAGEMENT_ALLOW_SQLITE")),
            jobs=env.get("ENGAGEMENT_JOBS", "").strip() or ("celery" if redis_url else "eager"),
            allowed_origins=_csv(env.get("ENGAGEMENT_ALLOWED_ORIGINS")),
            trusted_proxies=_csv(env.get("ENGAGEMENT_TRUSTED_PROXIES")),
            web_workers=int(env.get("ENGAGEMENT_WEB_WORKERS", "").strip() or 1),
            site_name=env.get("ENGAGEMENT_SITE_NAME", "").strip() or "政民互动",
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            twilio_from_number=env.get("TWILIO_FROM_NUMBER", "").strip(),
        )
        settings.validate()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def jobs_eager(self) -> bool:
        return self.jobs == "eager"

    def validate(self) -> None:
        if self.env not in {"development", "production"}:
            raise SettingsError(f"ENGAGEMENT_ENV must be 'development' or 'production', not {self.env!r}")
        if self.sms_backend not in {"console", "twilio"}:
            raise SettingsError(f"ENGAGEMENT_SMS_BACKEND must be 'console' or 'twilio', not {self.sms_backend!r}")
        if self.jobs not in {"eager", "celery"}:
            raise SettingsError(f"ENGAGEMENT_JOBS must be 'eager' or 'celery', not {self.jobs!r}")
        if self.jobs == "celery" and not self.redis_url:
            raise SettingsError("ENGAGEMENT_JOBS=celery needs ENGAGEMENT_REDIS_URL for the broker")
        if not self.database_url.startswith(("sqlite:", "postgres://", "postgresql://")):
            raise SettingsError("ENGAGEMENT_DATABASE_URL must start with sqlite:/// or postgresql://")
        if self.web_workers < 1:
            raise SettingsError("ENGAGEMENT_WEB_WORKERS must be at least 1")
        if self.sms_backend == "twilio":
            missing = [
                name
                for name, value in (
                    ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                    ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                    ("TWILIO_FROM_NUMBER", self.twilio_from_number),
                )
                if not value
            ]
            if missing:
                raise SettingsError(f"the twilio SMS backend needs {', '.join(missing)}")
        if self.is_production:
            self._validate_production()

    def _validate_production(self) -> None:
        if self.secret_key.lower() in INSECURE_SECRET_VALUES:
            raise SettingsError("production needs ENGAGEMENT_SECRET_KEY (missing or a default value)")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise SettingsError(f"production needs an ENGAGEMENT_SECRET_KEY of at least {MIN_SECRET_LENGTH} characters")
        if self.sms_backend == "console":
            raise SettingsError("production refuses the console SMS backend: set ENGAGEMENT_SMS_BACKEND=twilio")
        if self.is_sqlite and not self.allow_sqlite:
            raise SettingsError("production refuses SQLite: use PostgreSQL or set ENGAGEMENT_ALLOW_SQLITE=1")
        if self.web_workers > 1 and not self.redis_url:
            raise SettingsError("several web workers need ENGAGEMENT_REDIS_URL so they share live events and limits")

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file named by the URL; relative paths are under the project root."""
        raw = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else "var/engagement.sqlite3"
        path = Path(raw)
        return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
