"""The letter's state machine, declared for the core's workflow (engagement/workflow.py).

    submit:    (new) -> received                      the citizen writes; to the desk or a department
    assign:    received / assigned -> assigned        the receiving desk routes (again)
    transfer:  received / assigned -> received        the department hands it back to the desk, with a reason
    reply:     received / assigned -> replied         the responsible department (or the desk) answers
    rate:      replied -> closed                      the writer rates the reply
    close:     replied -> closed                      staff close an answered letter the writer never rated
    publish / unpublish: replied / closed, state kept  publication is a flag, not the status

Every change goes through ``LETTER.apply`` (one compare-and-set update, a ``workflow_event`` row and
the audit entry ``letter.<transition>``); the receipt, whose row the service inserts, through
``LETTER.record("submit", ...)``.
"""

from __future__ import annotations

from engagement.i18n import N_
from engagement.workflow import Transition, Workflow
from mailbox.tables import Letter, Status

OPEN = {Status.received, Status.assigned}
ANSWERED = {Status.replied, Status.closed}

LETTER = Workflow(
    aggregate="letter",
    table=Letter,
    states=Status,
    column="status",
    department_column="department",
    not_found=N_("No letter with this tracking number."),
    transitions=[
        Transition("submit", sources=set(), target=Status.received, label=N_("Letter received")),
        # Also from assigned: the desk routes a letter again to another department.
        Transition("assign", sources=OPEN, target=Status.assigned, permission="letter.assign",
                   label=N_("Routed to a department")),
        Transition("transfer", sources=OPEN, target=Status.received, permission="letter.transfer",
                   label=N_("Returned to the mayor's office for re-routing")),
        Transition("reply", sources=OPEN, target=Status.replied, permission="letter.reply", label=N_("Reply sent")),
        Transition("rate", sources={Status.replied}, target=Status.closed, label=N_("Rated by the writer")),
        Transition("close", sources={Status.replied}, target=Status.closed, permission="letter.close",
                   label=N_("Closed")),
        Transition("publish", sources=ANSWERED, target=None, permission="letter.publish", label=N_("Published")),
        Transition("unpublish", sources=ANSWERED, target=None, permission="letter.publish",
                   label=N_("Withdrawn from publication")),
    ],
)

# The timeline's "action" in the API, as it was named before the core's workflow (clients rely on it).
TIMELINE_ACTIONS = {
    "submit": "received",
    "assign": "assigned",
    "transfer": "transferred",
    "reply": "replied",
    "rate": "rated",
    "close": "closed",
    "publish": "published",
    "unpublish": "unpublished",
}
# Publication is the government's business, not the case's: the writer's timeline leaves it out.
WRITER_HIDDEN_TRANSITIONS = frozenset({"publish", "unpublish"})


def label_of(transition: str) -> str:
    return LETTER.transition(transition).label if transition in LETTER.names() else transition
