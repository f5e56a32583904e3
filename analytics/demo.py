"""Sample reports: one published for the demo site, one for the accessibility test's report page.

Figures come from whatever the other modules' demos created (analytics is listed after them).
"""

from __future__ import annotations

from datetime import date

from analytics import reports
from engagement import clock
from engagement.accounts import issue_token, staff_for_token
from engagement.tables import StaffUser


async def _admin():
    row = await StaffUser.select(StaffUser.id).where(StaffUser.role == "admin").order_by(StaffUser.id).first()
    return await staff_for_token(await issue_token(row["id"])) if row else None


async def _published_report(admin) -> int:
    today = clock.today()
    report = await reports.create_report(admin, f"{today.year}年意见采纳与来信办理情况通报", date(today.year, 1, 1), today)
    await reports.publish_report(admin, report.id)
    return report.id


async def load_demo() -> None:
    admin = await _admin()
    if admin is not None:
        await _published_report(admin)


async def sample_paths(cast) -> dict[str, str]:
    admin = await staff_for_token(await issue_token(cast.admin.id))
    return {"/statistics/reports/{report_id:int}": f"/statistics/reports/{await _published_report(admin)}"}
