"""Website sessions: Litestar's server-side sessions, with the session id renewed when privilege changes.

Litestar 2.25 keeps the id the browser sent for as long as the browser sends it (the cookie wins in
``ServerSideSessionBackend.get_session_id``) and has no call to renew it, so an id planted in a
victim's browser before login would still be theirs after it (session fixation). This backend adds
that call, and never adopts an id the server did not issue:

    renew_session_id(request)   # at login and at phone verification; logout clears the session

The old id's data is deleted from the store when the response goes out, so it authenticates nobody.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

_RENEW = "engagement_renew_session_id"
_NEW_ID = "engagement_new_session_id"


def renew_session_id(connection: ASGIConnection) -> None:
    """Give this browser a new session id with the response; the session's data moves to it."""
    connection.scope.setdefault("state", {})[_RENEW] = True


class RenewingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(_RENEW):
            if _NEW_ID not in state:
                state[_NEW_ID] = self.generate_session_id()
            return state[_NEW_ID]
        return super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        store = self.config.get_store_from_app(connection.scope["app"])
        data = await self.get(session_id, store=store) if session_id and session_id != "null" else None
        if data is None:
            if session_id and session_id != "null":
                renew_session_id(connection)  # an id this server never issued (or long expired): not adopted
            return {}
        return self.deserialize_data(data)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        old_id = connection.cookies.get(self.config.key)
        if scope_session is Empty or not scope_session:
            # Nothing to keep: no store write and no cookie, so anonymous visitors stay anonymous (and their
            # pages can come from engagement.page_cache); a browser that had a session loses its cookie.
            if old_id and old_id != "null":
                await super().store_in_message(Empty, message, connection)
            return
        if connection.scope.get("state", {}).get(_RENEW) and old_id and old_id != "null":
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class RenewingSessionConfig(ServerSideSessionConfig):
    """``ServerSideSessionConfig`` whose middleware uses :class:`RenewingSessionBackend`."""

    _backend_class = RenewingSessionBackend
