"""What the mailbox contributes to the application."""

from engagement.i18n import N_
from engagement.modules import Manifest, NavItem, ScheduledJob
from mailbox import api, pages
from mailbox.demo import load_demo, sample_paths
from mailbox.permissions import PERMISSIONS
from mailbox.tables import Status
from mailbox.workflows import LETTER

MANIFEST = Manifest(
    name="mailbox",
    route_handlers=[*api.ROUTE_HANDLERS, *pages.ROUTE_HANDLERS],
    nav=[NavItem(path="/mailbox", label=N_("Mayor's mailbox"),
                 description=N_("Write to the mayor, follow your letter and read published replies."))],
    scheduled_jobs=[ScheduledJob(job_name="mailbox.remind_overdue", every_seconds=86400)],
    permissions=PERMISSIONS,
    template_globals={"LetterStatus": Status, "LETTER": LETTER},
    public_pages=pages.PUBLIC_PAGES,
    demo=load_demo,
    sample_paths=sample_paths,
    tasks_module="mailbox.tasks",
    extra={"staff_nav": [NavItem(path="/staff/mailbox", label=N_("Mailbox inbox"),
                                 description=N_("Route, answer and publish letters to the mayor's mailbox."))]},
)
