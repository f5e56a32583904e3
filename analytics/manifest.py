"""What analytics contributes to the application (mounted from INSTALLED_MODULES)."""

from __future__ import annotations

from analytics import api, pages
from analytics.permissions import PERMISSIONS
from engagement.i18n import N_
from engagement.modules import Manifest, NavItem, ScheduledJob


async def demo() -> None:
    from analytics.demo import load_demo

    await load_demo()


async def sample_paths(cast) -> dict[str, str]:
    from analytics.demo import sample_paths as make

    return await make(cast)


MANIFEST = Manifest(
    name="analytics",
    route_handlers=[*api.ROUTE_HANDLERS, *pages.ROUTE_HANDLERS],
    nav=[NavItem(path="/statistics", label=N_("Statistics"),
                 description=N_("How many opinions were adopted and how letters were answered."))],
    scheduled_jobs=[ScheduledJob(job_name="analytics.refresh_statistics", every_seconds=120)],
    permissions=PERMISSIONS,
    public_pages=pages.PUBLIC_PAGES,
    demo=demo,
    sample_paths=sample_paths,
    tasks_module="analytics.tasks",
    extra={"staff_nav": [NavItem(path="/staff/statistics", label=N_("Department statistics"),
                                 description=N_("Your department's figures, what is overdue, statistics reports."))]},
)
