"""docker/compose.yaml and docker/example.env form a complete, valid production configuration.

Docker itself is not needed: the compose file is parsed with PyYAML and the
example environment is checked against ``engagement.settings``.
"""

from __future__ import annotations

import itertools
import re
import secrets
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from engagement.settings import ENVIRONMENT_VARIABLES, Settings, SettingsError

pytestmark = pytest.mark.database_independent  # the same in both runs of `make test`: the first covers them

DOCKER = Path(__file__).resolve().parents[2] / "docker"
APP_COMMANDS = {"web": "serve", "worker": "worker", "beat": "beat"}
REQUIRED_IN_PRODUCTION = (
    "ENGAGEMENT_ENV",
    "ENGAGEMENT_DATABASE_URL",
    "ENGAGEMENT_REDIS_URL",
    "ENGAGEMENT_SMS_BACKEND",
    "ENGAGEMENT_SECRET_KEY",
)


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines as compose reads them; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f"{path.name}:{number}: not NAME=value"
        assert name not in values, f"{path.name}:{number}: {name} set twice"
        values[name] = value
    return values


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` with nothing set in the shell: the default."""
    return re.sub(r"\$\{[A-Z_][A-Z0-9_]*(?::?-([^}]*))?\}", lambda match: match.group(1) or "", str(value))


def as_dict(environment) -> dict[str, str]:
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {name: interpolate(value) for name, value in (environment or {}).items()}


def service_environment(service: dict) -> dict[str, str]:
    """What a container of ``service`` gets: its env files in order, then ``environment``."""
    entries = service.get("env_file", [])
    values: dict[str, str] = {}
    for entry in [entries] if isinstance(entries, (str, dict)) else entries:
        path, required = (entry, True) if isinstance(entry, str) else (entry["path"], entry.get("required", True))
        if (DOCKER / path).exists():
            values.update(read_env_file(DOCKER / path))
        else:
            assert not required, f"env file {path} is required but missing"
    values.update(as_dict(service.get("environment")))
    return values


def command(service: dict) -> list[str]:
    value = service.get("command", [])
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))["services"]


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    return read_env_file(DOCKER / "example.env")


def test_the_five_services_exist(services):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


@pytest.mark.parametrize("name", sorted(APP_COMMANDS))
def test_app_services_get_the_production_variables(services, name):
    environment = service_environment(services[name])
    missing = [variable for variable in REQUIRED_IN_PRODUCTION if not environment.get(variable)]
    assert not missing, f"{name} lacks {missing}"
    assert environment["ENGAGEMENT_ENV"] == "production"


def test_example_env_lists_exactly_the_settings_variables(example):
    unknown = sorted(set(example) - set(ENVIRONMENT_VARIABLES))
    missing = [name for name in ENVIRONMENT_VARIABLES if name not in example]
    assert not unknown, f"example.env sets variables the settings do not read: {unknown}"
    assert not missing, f"example.env lacks {missing}"


def test_example_env_comments_each_variable():
    lines = (DOCKER / "example.env").read_text(encoding="utf-8").splitlines()
    for previous, line in itertools.pairwise(lines):
        if line and not line.startswith("#"):
            assert previous.startswith("#"), f"no comment line above {line.split('=')[0]}"


@pytest.mark.parametrize("name, subcommand", sorted(APP_COMMANDS.items()))
def test_app_services_run_the_engagement_commands(services, name, subcommand):
    assert command(services[name])[:4] == ["python", "-m", "engagement", subcommand]


def test_schema_is_migrated_before_the_app_starts(services):
    assert command(services["migrate"]) == ["python", "-m", "engagement", "migrate"]
    for name in APP_COMMANDS:
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


@pytest.mark.parametrize("name", sorted(APP_COMMANDS))
def test_urls_point_at_the_compose_database_and_redis(services, name):
    environment = service_environment(services[name])
    database = urlsplit(environment["ENGAGEMENT_DATABASE_URL"])
    postgres = as_dict(services["postgres"]["environment"])
    assert database.scheme in {"postgres", "postgresql"}
    assert (database.hostname, database.port or 5432) == ("postgres", 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
    redis = urlsplit(environment["ENGAGEMENT_REDIS_URL"])
    assert redis.scheme == "redis" and (redis.hostname, redis.port or 6379) == ("redis", 6379)


def test_database_and_redis_have_healthchecks(services):
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["postgres"]["healthcheck"]["test"] and services["redis"]["healthcheck"]["test"]


def test_example_env_with_a_real_secret_is_a_valid_production_configuration(example):
    environment = dict(example, ENGAGEMENT_SECRET_KEY=secrets.token_urlsafe(36))
    assert len(environment["ENGAGEMENT_SECRET_KEY"]) == 48
    settings = Settings.from_env(environment)
    assert settings.is_production and not settings.is_sqlite
    assert settings.sms_backend == "twilio" and settings.redis_url


def test_the_example_secret_itself_is_refused(example):
    with pytest.raises(SettingsError, match="ENGAGEMENT_SECRET_KEY"):
        Settings.from_env(example)
