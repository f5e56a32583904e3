"""What consultations contributes to the application (mounted from INSTALLED_MODULES)."""

from __future__ import annotations

from consultations import api, pages
from consultations.permissions import PERMISSIONS
from consultations.tables import Decision, Moderation, Status
from consultations.workflows import CONSULTATION, OPINION_MODERATION
from engagement.i18n import N_
from engagement.modules import Manifest, NavItem, ScheduledJob


async def demo() -> None:
    from consultations.demo import load_demo

    await load_demo()


async def sample_paths(cast) -> dict[str, str]:
    from consultations.demo import sample_paths as make

    return await make(cast)


MANIFEST = Manifest(
    name="consultations",
    route_handlers=[api.ConsultationController, *pages.ROUTES],
    nav=[NavItem(path="/consultations", label=N_("Public consultations"),
                 description=N_("Comment on draft plans and see what was adopted."))],
    scheduled_jobs=[ScheduledJob(job_name="consultations.close_due", every_seconds=60)],
    votable_kinds=["consultation_opinion"],
    permissions=PERMISSIONS,
    template_globals={
        "ConsultationStatus": Status, "OpinionDecision": Decision, "OpinionModeration": Moderation,
        # {% if ConsultationWorkflow.can("publish", c.status, staff, c.department.id) %}: the button exactly when allowed
        "ConsultationWorkflow": CONSULTATION, "OpinionModerationWorkflow": OPINION_MODERATION,
    },
    public_pages=["/consultations", "/consultations/{consultation_id}", "/consultations/topics/{topic_id}"],
    demo=demo,
    sample_paths=sample_paths,
    tasks_module="consultations.tasks",
    extra={"staff_nav": [NavItem(path="/staff/consultations", label=N_("Consultations"),
                                 description=N_("Draft plans, review of opinions, outcomes."))]},
)
