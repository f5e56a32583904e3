"""What the core contributes to the application, in the same shape as every module."""

from engagement import api, pages
from engagement.modules import Manifest, ScheduledJob

MANIFEST = Manifest(
    name="engagement",
    route_handlers=[
        api.healthz,
        api.SmsController,
        api.AuthController,
        api.list_departments,
        api.verified_citizen,
        pages.home,
        pages.verify_page,
        pages.verify_request_code,
        pages.verify_submit,
        pages.login_page,
        pages.login_submit,
        pages.logout,
        pages.staff_dashboard,
        pages.dev_outbox,
    ],
    scheduled_jobs=[
        ScheduledJob(job_name="engagement.purge_expired", every_seconds=3600),
        ScheduledJob(job_name="engagement.resend_stale_sms", every_seconds=60),
    ],
    public_pages=["/", "/verify", "/login"],
    tasks_module="engagement.tasks",
)
