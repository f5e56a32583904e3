"""The state machines of consultations, as data (engagement.workflow applies them).

    consultation:  "" --create--> draft --publish--> open --close | close_at_deadline--> closed --conclude--> concluded
                   extend: open or closed --> open (a later deadline)
    opinion moderation:  "" --submit--> approved, "" --submit_held--> pending,
                         pending | rejected --approve--> approved, pending | approved --reject--> rejected
    opinion decision:    pending --review_<decision>--> <decision>,
                         a decision --re_review_<decision>--> <decision> (changed, or the reply corrected)

Every change writes a ``workflow_event`` row (aggregate "consultation" or "opinion") and an audit
entry ``<aggregate>.<transition>``. A decision recorded in month X is an "opinion" event whose
transition starts with ``review_`` (the first decision) or ``re_review_`` (a changed one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consultations.tables import DECIDED, Consultation, Decision, Moderation, Opinion, Status
from engagement.clock import aware, now
from engagement.i18n import N_
from engagement.workflow import Transition, Workflow

CONSULTATION = Workflow(
    aggregate="consultation",
    table=Consultation,
    states=Status,
    department_column="department",
    not_found=N_("The consultation was not found."),
    transitions=[
        Transition("create", sources=(), target=Status.draft, permission="consultation.create",
                   label=N_("Draft created")),
        Transition("publish", sources={Status.draft}, target=Status.open, permission="consultation.publish",
                   label=N_("Published for comment")),
        Transition("close", sources={Status.open}, target=Status.closed, permission="consultation.close",
                   label=N_("Closed early")),
        # The scheduled job (actor None), or a staff action finding the deadline already passed.
        Transition("close_at_deadline", sources={Status.open}, target=Status.closed,
                   label=N_("Closed at the deadline")),
        Transition("extend", sources={Status.open, Status.closed}, target=Status.open,
                   permission="consultation.extend", label=N_("Deadline extended")),
        Transition("conclude", sources={Status.closed}, target=Status.concluded,
                   permission="consultation.conclude", label=N_("Outcome published")),
    ],
)

OPINION_MODERATION = Workflow(
    aggregate="opinion",
    table=Opinion,
    states=Moderation,
    column="moderation",
    department_column="consultation.department",
    not_found=N_("The opinion was not found."),
    transitions=[
        Transition("submit", sources=(), target=Moderation.approved, label=N_("Submitted and published")),
        Transition("submit_held", sources=(), target=Moderation.pending, label=N_("Submitted, held for moderation")),
        Transition("approve", sources={Moderation.pending, Moderation.rejected}, target=Moderation.approved,
                   permission="opinion.moderate", label=N_("Approved and published")),
        Transition("reject", sources={Moderation.pending, Moderation.approved}, target=Moderation.rejected,
                   permission="opinion.moderate", label=N_("Rejected")),
    ],
)

DECISION_LABELS = {
    Decision.adopted: N_("Adopted"),
    Decision.partially_adopted: N_("Partially adopted"),
    Decision.not_adopted: N_("Not adopted"),
}


def _decision_transitions() -> list[Transition]:
    first = [Transition(f"review_{decision.value}", sources={Decision.pending}, target=decision,
                        permission="opinion.review", label=DECISION_LABELS[decision]) for decision in DECIDED]
    again = [Transition(f"re_review_{decision.value}", sources=set(DECIDED), target=decision,
                        permission="opinion.review", label=DECISION_LABELS[decision]) for decision in DECIDED]
    return first + again


OPINION_DECISION = Workflow(
    aggregate="opinion",
    table=Opinion,
    states=Decision,
    column="decision",
    department_column="consultation.department",
    not_found=N_("The opinion was not found."),
    transitions=_decision_transitions(),
)


def review_transition(current: str, decision: str) -> str:
    """The decision transition from ``current`` to ``decision``: a first review or a re-review."""
    return f"review_{decision}" if current == Decision.pending else f"re_review_{decision}"


def effective_status(row: dict[str, Any], at: datetime | None = None) -> str:
    """The stored status, except that an open consultation is closed from its deadline on.

    The scheduled job writes ``closed`` a little later; reads and submissions never wait for it.
    """
    at = at or now()
    if row["status"] == Status.open and aware(row["closes_at"]) <= at:
        return Status.closed.value
    return row["status"]


def accepting_opinions(row: dict[str, Any], at: datetime | None = None) -> bool:
    at = at or now()
    opens_at = aware(row.get("opens_at"))
    return effective_status(row, at) == Status.open and (opens_at is None or opens_at <= at)
