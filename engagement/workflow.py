"""Workflow: each aggregate declares its states and transitions as data; one function applies them.

    LETTER = Workflow(
        aggregate="letter", table=Letter, states=Status, department_column="department",
        transitions=[
            Transition("assign", sources={Status.received}, target=Status.assigned, permission="letter.assign"),
            Transition("reply", sources={Status.assigned, Status.replied}, target=Status.replied,
                       permission="letter.reply"),
        ],
    )
    letter = await LETTER.apply("reply", letter_id, actor=staff, values={Letter.reply: text})

``apply`` runs in one transaction: it checks the permission (with the row's department), makes a
compare-and-set update (409 when the state moved meanwhile), writes a ``workflow_event`` history
row and the audit entry. Side effects (SMS, jobs, live events) are registered with
``after_commit`` and run only once the outermost ``unit_of_work`` has committed: a refused or
rolled-back change writes no history and sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from engagement import audit, permissions
from engagement.accounts import Staff
from engagement.db import after_commit, unit_of_work  # noqa: F401 - re-exported for the modules
from engagement.errors import Conflict, NotFound
from engagement.i18n import N_, _
from engagement.tables import WorkflowEvent
from engagement.verification import VerifiedCitizen

Actor = Staff | VerifiedCitizen | None  # None: the system (a scheduled job)

@dataclass(frozen=True)
class Transition:
    name: str
    sources: Iterable[str | Enum]
    target: str | Enum | None  # None: the state stays as it was (an event such as publishing, from any source)
    permission: str | None = None  # None: applied by a citizen or the system; the service checks who
    label: str = ""  # an English message id for timelines, e.g. N_("Reply sent")
    refusal: str = ""  # an English message id for the 409 from a state that is not a source (else a generic one)

    @property
    def source_values(self) -> frozenset[str]:
        return frozenset(_value(state) for state in self.sources)

    @property
    def target_value(self) -> str | None:
        return _value(self.target) if self.target is not None else None

    def target_from(self, state: str) -> str:
        return self.target_value if self.target_value is not None else state


@dataclass(frozen=True)
class Workflow:
    aggregate: str  # "letter": names the history rows and the audit actions ("letter.reply")
    table: type[Table]
    states: type[Enum]
    transitions: Iterable[Transition]
    column: str = "status"
    department_column: str | None = None  # the row's department, for permission scoping
    not_found: str = N_("The item was not found.")
    state_labels: Mapping[str, str] = field(default_factory=dict)  # state -> English message id, for messages
    _by_name: dict[str, Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {transition.name: transition for transition in self.transitions}
        states = {state.value for state in self.states}
        for transition in by_name.values():
            unknown = (transition.source_values | {transition.target_value} - {None}) - states
            if unknown:
                raise ValueError(f"{self.aggregate}.{transition.name}: unknown states {sorted(unknown)}")
        object.__setattr__(self, "_by_name", by_name)

    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise Conflict(_("This action is not known.")) from None

    def names(self) -> list[str]:
        return list(self._by_name)

    def available(self, state: str, staff: Staff | None = None, department_id: int | None = None) -> list[str]:
        """The transitions open from ``state`` (and, for staff transitions, allowed to ``staff``): for templates."""
        return [
            transition.name
            for transition in self._by_name.values()
            if state in transition.source_values
            and (transition.permission is None or permissions.allowed(staff, transition.permission, department_id))
        ]

    def can(self, name: str, state: str, staff: Staff | None = None, department_id: int | None = None) -> bool:
        return name in self.available(state, staff, department_id)

    async def apply(
        self,
        name: str,
        target_id: int,
        *,
        actor: Actor = None,
        values: Mapping[Column, Any] | None = None,
        note: str = "",
        detail: Mapping[str, Any] | None = None,
        client_address: str = "",
        expect: str | Enum | None = None,
    ) -> dict[str, Any]:
        """Apply transition ``name`` to row ``target_id``; return the updated row.

        ``values`` are written in the same update (e.g. the reply text). ``expect``: the state the
        caller saw, so a change made meanwhile answers 409 instead of being overwritten.
        """
        transition = self.transition(name)
        async with unit_of_work():
            current = await self._current(target_id)
            if transition.permission is not None:
                department_id = current.get(self.department_column) if self.department_column else None
                permissions.require(actor if isinstance(actor, Staff) else None, transition.permission, department_id)
            state = current[self.column]
            if state not in transition.source_values or (expect is not None and _value(expect) != state):
                raise Conflict(self._refusal(transition, state))
            status = self.table._meta.get_column_by_name(self.column)
            rows = await (
                self.table.update({status: transition.target_from(state), **(values or {})})
                .where(self.table._meta.primary_key == target_id, status == state, *self._unmoved(current))
                .returning(*self.table.all_columns())
            )
            if not rows:
                raise Conflict(self._refusal(transition, None))
            await self._record(transition, target_id, state, actor, note, detail, client_address)
            return rows[0]

    async def record(self, name: str, target_id: int, from_state: str, *, actor: Actor = None, note: str = "",
                     detail: Mapping[str, Any] | None = None, client_address: str = "") -> None:
        """History and audit for a change whose row the caller wrote itself (a creation, or an insert with
        ON CONFLICT). Call inside the caller's unit of work."""
        await self._record(self.transition(name), target_id, from_state, actor, note, detail, client_address)

    async def history(self, target_id: int) -> list[dict[str, Any]]:
        return await history_of(self.aggregate, [target_id])

    async def _current(self, target_id: int) -> dict[str, Any]:
        columns = [self.table._meta.get_column_by_name(self.column)]
        if self.department_column:
            columns.append(self.table._meta.get_column_by_name(self.department_column))
        row = await self.table.select(*columns).where(self.table._meta.primary_key == target_id).first()
        if row is None:
            raise NotFound(_(self.not_found))
        return row

    def _unmoved(self, current: dict[str, Any]) -> list[Any]:
        """The department the permission was checked against is still the row's (else another change won)."""
        if not self.department_column:
            return []
        column = self.table._meta.get_column_by_name(self.department_column)
        department_id = current.get(self.department_column)
        return [column.is_null() if department_id is None else column == department_id]

    def _refusal(self, transition: Transition, state: str | None) -> str:
        if state is None:
            return _("This item was changed by someone else meanwhile. Please reload and try again.")
        if transition.refusal:
            return _(transition.refusal)
        label = self.state_labels.get(state)
        return _("This action is not possible in the current state (%(state)s).") % {"state": _(label) if label else state}

    async def _record(self, transition: Transition, target_id: int, from_state: str, actor: Actor, note: str,
                      detail: Mapping[str, Any] | None, client_address: str) -> None:
        staff = actor if isinstance(actor, Staff) else None
        citizen = actor if isinstance(actor, VerifiedCitizen) else None
        to_state = transition.target_from(from_state)
        await WorkflowEvent.insert(
            WorkflowEvent(
                aggregate=self.aggregate,
                target_id=target_id,
                transition=transition.name,
                from_state=from_state,
                to_state=to_state,
                actor=staff.id if staff else None,
                actor_name=staff.username if staff else ("citizen" if citizen else "system"),
                citizen=citizen.id if citizen else None,
                note=note,
                detail=dict(detail or {}),
            )
        )
        await audit.record(staff, f"{self.aggregate}.{transition.name}", self.aggregate, target_id,
                           {"from": from_state, "to": to_state, **(detail or {})}, client_address,
                           actor_name=None if staff else ("citizen" if citizen else "system"))


async def history_of(aggregate: str, target_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The history rows of several targets of one aggregate, oldest first (one query)."""
    ids = list(target_ids)
    if not ids:
        return []
    return await (
        WorkflowEvent.select(*WorkflowEvent.all_columns(), WorkflowEvent.actor.display_name.as_alias("actor_display"))
        .where((WorkflowEvent.aggregate == aggregate) & WorkflowEvent.target_id.is_in(ids))
        .order_by(WorkflowEvent.id)
        .output(load_json=True)
    )


def _value(state: str | Enum) -> str:
    return state.value if isinstance(state, Enum) else state
