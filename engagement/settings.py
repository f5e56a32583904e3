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
    "ENGAGEMENT_RATE_LIMIT",
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
    "ENGAGEMENT_SMS_REGIONS",
    "ENGAGEMENT_SMS_HOURLY_BUDGET",
    "ENGAGEMENT_LOGIN_FAILURES_PER_ACCOUNT",
    "ENGAGEMENT_LOGIN_FAILURES_PER_ADDRESS",
    "ENGAGEMENT_WS_CONNECTIONS_PER_ADDRESS",
    "ENGAGEMENT_CITIZEN_LETTERS_PER_DAY",
    "ENGAGEMENT_CITIZEN_OPINIONS_PER_DAY",
    "ENGAGEMENT_CITIZEN_COMMENTS_PER_DAY",
    "ENGAGEMENT_CITIZEN_QUESTIONS_PER_DAY",
    "ENGAGEMENT_CITIZEN_ISSUES_PER_DAY",
    "ENGAGEMENT_NOTIFICATION_SMS_PER_PHONE_DAY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
)
# Also read, but only for the test suite (never in a deployment's configuration): ENGAGEMENT_PASSWORD_HASH_PROFILE.
PASSWORD_HASH_PROFILES = ("default", "test")


class SettingsError(RuntimeError):
    """The configuration cannot be used; the message names the reason in one line."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _positive(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value


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
    rate_limit: int = 600  # requests per minute per client address, API and pages
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
    # True only when ENGAGEMENT_ENV was set: the development outbox needs development chosen explicitly.
    env_chosen: bool = False
    sms_regions: tuple[str, ...] = ("CN",)
    sms_hourly_budget: int = 2000
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    ws_connections_per_address: int = 50
    # Per verified citizen and day (engagement.limits.count_citizen_action), beside a per-minute burst limit.
    citizen_letters_per_day: int = 10
    citizen_opinions_per_day: int = 30
    citizen_comments_per_day: int = 60
    citizen_questions_per_day: int = 30
    citizen_issues_per_day: int = 10
    # Notices (not codes) per phone and day; past it they are stored as "skipped", not sent (engagement.notifications).
    notification_sms_per_phone_day: int = 10
    page_cache_seconds: int = 10  # anonymous visitors' pages (engagement/page_cache.py); 0: no cache
    max_in_flight: int = 64  # HTTP requests in progress per process before 503 + Retry-After (engagement/web.py)
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from_number: str = ""
    # "test": argon2id at minimal cost, so the suite need not spend seconds per hash; production refuses it.
    password_hash_profile: str = "default"

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
            rate_limit=_positive(env, "ENGAGEMENT_RATE_LIMIT", 600),
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
            env_chosen=bool(env.get("ENGAGEMENT_ENV", "").strip()),
            sms_regions=tuple(region.upper() for region in _csv(env.get("ENGAGEMENT_SMS_REGIONS"))) or ("CN",),
            sms_hourly_budget=_positive(env, "ENGAGEMENT_SMS_HOURLY_BUDGET", 2000),
            login_failures_per_account=_positive(env, "ENGAGEMENT_LOGIN_FAILURES_PER_ACCOUNT", 5),
            login_failures_per_address=_positive(env, "ENGAGEMENT_LOGIN_FAILURES_PER_ADDRESS", 20),
            ws_connections_per_address=_positive(env, "ENGAGEMENT_WS_CONNECTIONS_PER_ADDRESS", 50),
            citizen_letters_per_day=_positive(env, "ENGAGEMENT_CITIZEN_LETTERS_PER_DAY", 10),
            citizen_opinions_per_day=_positive(env, "ENGAGEMENT_CITIZEN_OPINIONS_PER_DAY", 30),
            citizen_comments_per_day=_positive(env, "ENGAGEMENT_CITIZEN_COMMENTS_PER_DAY", 60),
            citizen_questions_per_day=_positive(env, "ENGAGEMENT_CITIZEN_QUESTIONS_PER_DAY", 30),
            citizen_issues_per_day=_positive(env, "ENGAGEMENT_CITIZEN_ISSUES_PER_DAY", 10),
            notification_sms_per_phone_day=_positive(env, "ENGAGEMENT_NOTIFICATION_SMS_PER_PHONE_DAY", 10),
            page_cache_seconds=_positive(env, "ENGAGEMENT_PAGE_CACHE_SECONDS", 10, minimum=0),
            max_in_flight=_positive(env, "ENGAGEMENT_MAX_IN_FLIGHT", 64),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            twilio_from_number=env.get("TWILIO_FROM_NUMBER", "").strip(),
            password_hash_profile=env.get("ENGAGEMENT_PASSWORD_HASH_PROFILE", "").strip() or "default",
        )
        settings.validate()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def dev_outbox_enabled(self) -> bool:
        """The development SMS outbox (every phone and code): only when development mode was chosen explicitly."""
        return self.env == "development" and self.env_chosen and self.sms_backend == "console"

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
        if self.password_hash_profile not in PASSWORD_HASH_PROFILES:
            raise SettingsError(f"ENGAGEMENT_PASSWORD_HASH_PROFILE must be 'default' or 'test', "
                                f"not {self.password_hash_profile!r}")
        self._validate_sms_regions()
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

    def _validate_sms_regions(self) -> None:
        from phonenumbers import SUPPORTED_REGIONS

        unknown = [region for region in self.sms_regions if region not in SUPPORTED_REGIONS]
        if unknown:
            raise SettingsError(f"ENGAGEMENT_SMS_REGIONS holds unknown ISO region codes: {', '.join(unknown)}")

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
        if self.password_hash_profile == "test":
            raise SettingsError("production refuses ENGAGEMENT_PASSWORD_HASH_PROFILE=test (cheap password hashes)")

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file named by the URL; relative paths are under the project root."""
        raw = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else "var/engagement.sqlite3"
        path = Path(raw)
        return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
