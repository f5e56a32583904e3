"""The framework internals of engagement/compat.py still have the shape and behaviour we rely on.

A failure here after an upgrade means: read the framework's new source, adapt the override in
engagement/compat.py, and update the version it names.
"""

import inspect
import sqlite3
from importlib.metadata import version

import piccolo
import pytest
from litestar import Litestar, get, websocket_listener
from litestar.testing import TestClient
from piccolo.columns import ForeignKey, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from engagement import compat
from engagement.db import PooledSQLiteEngine


def test_the_checked_versions_are_the_installed_ones():
    """Raise the pins in compat.py only after checking each override against the new source."""
    assert version("litestar") == compat.LITESTAR_CHECKED
    assert version("piccolo") == compat.PICCOLO_CHECKED == piccolo.__VERSION__
    assert version("jinja2") == compat.JINJA_CHECKED  # FastCallContext.call, EngagementEnvironment.make_globals


# ---------- Litestar._wrap_send ----------

def test_litestar_wraps_each_send_through_the_private_wrap_send_we_override():
    parameters = list(inspect.signature(Litestar._wrap_send).parameters)
    assert parameters == ["self", "send", "scope"]
    assert "self._wrap_send(send=send, scope=scope)" in inspect.getsource(Litestar.__call__)


@get("/page", sync_to_thread=False)
def _page() -> str:
    return "page"


@websocket_listener("/echo")
async def _echo(data: str) -> str:
    return data


def _messages_seen_by_before_send(app_class: type[Litestar]) -> list[str]:
    seen: list[str] = []

    async def hook(message, scope) -> None:
        seen.append(message["type"])

    app = app_class(route_handlers=[_page, _echo], before_send=[hook])
    with TestClient(app) as client:
        assert client.get("/page").text == "page"
        with client.websocket_connect("/echo") as socket:
            socket.send_text("hello")
            assert socket.receive_text() == "hello"
    return seen


def test_websocket_frames_skip_the_before_send_hooks_and_http_responses_do_not():
    assert "websocket.send" in _messages_seen_by_before_send(Litestar)  # what the override avoids
    seen = _messages_seen_by_before_send(compat.LitestarWithoutWebsocketSendHooks)
    assert "http.response.start" in seen
    assert not [kind for kind in seen if kind.startswith("websocket.")]


# ---------- SQLiteEngine._run_in_new_connection ----------

def test_piccolo_runs_queries_outside_transactions_through_the_private_method_we_override():
    parameters = list(inspect.signature(SQLiteEngine._run_in_new_connection).parameters)
    assert parameters == ["self", "query", "args", "query_type", "table"]
    for caller in (SQLiteEngine.run_querystring, SQLiteEngine.run_ddl):
        assert "self._run_in_new_connection(" in inspect.getsource(caller)
    # The pooled runner skips Piccolo's branch for SQLite without RETURNING.
    assert sqlite3.sqlite_version_info >= (3, 35)


@pytest.fixture
async def pooled_engine(tmp_path):
    engine = PooledSQLiteEngine(path=str(tmp_path / "compat.sqlite3"), pool_size=1)
    await engine.start_connection_pool()
    yield engine
    await engine.close_connection_pool()


async def test_a_query_outside_a_transaction_runs_on_the_pooled_connection(pooled_engine):
    # A TEMP table lives in one connection only: it is found again only on the same, pooled, connection.
    await pooled_engine.run_ddl("CREATE TEMP TABLE probe (x INTEGER)")
    await pooled_engine.run_querystring(QueryString("INSERT INTO probe (x) VALUES ({})", 7))
    assert await pooled_engine.run_querystring(QueryString("SELECT x FROM probe")) == [{"x": 7}]


async def test_a_transaction_keeps_piccolos_own_connection(pooled_engine):
    await pooled_engine.run_ddl("CREATE TEMP TABLE probe (x INTEGER)")
    async with pooled_engine.transaction():
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await pooled_engine.run_querystring(QueryString("SELECT x FROM probe"))


async def test_without_a_pool_each_query_gets_a_new_connection(tmp_path):
    engine = PooledSQLiteEngine(path=str(tmp_path / "plain.sqlite3"))
    await engine.run_ddl("CREATE TEMP TABLE probe (x INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await engine.run_querystring(QueryString("SELECT x FROM probe"))


# ---------- ForeignKey.__getattribute__ ----------

PICCOLO_FOREIGN_KEY_GETATTRIBUTE_SHA256 = "0f3e348150c5efd8423dce1ce57b8574c532634964d00fbed6e741f5b67a3d6d"


def test_the_foreign_key_getattribute_we_replace_is_the_source_we_copied():
    """compat._foreign_key_getattribute is Piccolo 1.38.0's method with the dir() check moved: re-copy on change."""
    import hashlib

    source = inspect.getsource(compat.PICCOLO_FOREIGN_KEY_GETATTRIBUTE)
    assert hashlib.sha256(source.encode()).hexdigest() == PICCOLO_FOREIGN_KEY_GETATTRIBUTE_SHA256
    assert "name not in dir(self)" in source
    assert ForeignKey.__getattribute__ is compat._foreign_key_getattribute


class LazyChild(Table, tablename="lazy_child"):
    """Never created in a database: the tests only build SQL from it."""

    name = Varchar(length=20)
    parent = ForeignKey(references=LazyTableReference("LazyParent", module_path=__name__))


class LazyParent(Table, tablename="lazy_parent"):
    name = Varchar(length=20)
    parent = ForeignKey(references="self", null=True)


def _sql_of_joins() -> list[str]:
    from engagement.tables import AuditEntry, StaffUser
    queries = [
        StaffUser.select(StaffUser.username, StaffUser.department.slug, StaffUser.department.all_columns()),
        AuditEntry.select(AuditEntry.actor.department.name, AuditEntry.actor.username)
        .where(AuditEntry.actor.department.slug == "fgw").output(nested=True),
        AuditEntry.select(*AuditEntry.actor.all_columns(exclude=[AuditEntry.actor.password_hash])),
        LazyChild.select(LazyChild.name, LazyChild.parent.name, LazyChild.parent.parent.name),
    ]
    return [str(query) for query in queries]


def test_joins_build_the_same_sql_as_with_piccolos_own_method(monkeypatch):
    ours = _sql_of_joins()
    monkeypatch.setattr(ForeignKey, "__getattribute__", compat.PICCOLO_FOREIGN_KEY_GETATTRIBUTE)
    assert ours == _sql_of_joins()
    assert 'JOIN "lazy_parent" "lazy_child$parent"' in ours[3]


def test_a_lazily_referenced_tables_columns_are_set_up_on_first_use():
    assert LazyChild.parent.name._meta.call_chain[0]._meta.name == "parent"


# ---------- CSRFMiddleware._set_cookie_if_needed ----------

def test_litestar_sets_the_csrf_cookie_through_the_private_method_we_override():
    from litestar.middleware.csrf import CSRFMiddleware

    source = inspect.getsource(compat.LITESTAR_SET_CSRF_COOKIE)
    assert list(inspect.signature(compat.LITESTAR_SET_CSRF_COOKIE).parameters) == ["self", "message", "token"]
    assert 'headers.add("set-cookie", cookie.to_header(header=""))' in source
    assert "self._set_cookie_if_needed(message=message, token=token)" in inspect.getsource(CSRFMiddleware)


@pytest.mark.parametrize("options", [
    {}, {"cookie_secure": True}, {"cookie_httponly": True, "cookie_samesite": "strict"},
    {"cookie_domain": "gov.example.cn", "cookie_path": "/engagement", "cookie_secure": True, "cookie_httponly": True},
])
def test_the_csrf_cookie_header_is_litestars_own(options):
    from litestar.config.csrf import CSRFConfig
    from litestar.datastructures import Cookie
    from litestar.middleware.csrf import generate_csrf_token

    config = CSRFConfig(secret="s" * 32, cookie_name="engagement_csrf", **options)
    token = generate_csrf_token(secret=config.secret)
    litestars = Cookie(key=config.cookie_name, value=token, path=config.cookie_path, secure=config.cookie_secure,
                       httponly=config.cookie_httponly, samesite=config.cookie_samesite,
                       domain=config.cookie_domain).to_header(header="")
    assert compat.csrf_cookie_header(config, token).decode() == litestars
