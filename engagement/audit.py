"""Audit log of staff actions: who did what to which object, from where."""

from __future__ import annotations

from typing import Any

from engagement.accounts import Staff
from engagement.tables import AuditEntry


async def record(
    actor: Staff | None,
    action: str,
    target_kind: str = "",
    target_id: object = "",
    detail: dict[str, Any] | None = None,
    client_address: str = "",
    actor_name: str | None = None,
) -> None:
    """``actor_name`` names a non-staff actor ("citizen", "system"); staff are named by their username."""
    await AuditEntry.insert(
        AuditEntry(
            actor=actor.id if actor else None,
            actor_name=actor.username if actor else (actor_name or "system"),
            action=action,
            target_kind=target_kind,
            target_id=str(target_id),
            detail=detail or {},
            client_address=client_address,
        )
    )
