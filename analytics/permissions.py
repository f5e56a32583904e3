"""Who may do what in analytics: declarations only (engagement.permissions answers).

The public figures and published reports need no permission. Reports and the dashboard are
department-scoped: administrators act for every department (and alone for site-wide reports, whose
department is empty), editors for their own.
"""

from __future__ import annotations

from engagement.permissions import DEPARTMENT_STAFF, Permission

PERMISSIONS = [
    Permission("statistics.dashboard", roles=DEPARTMENT_STAFF),
    Permission("statistics.report.create", roles=DEPARTMENT_STAFF),
    Permission("statistics.report.publish", roles=DEPARTMENT_STAFF),
    Permission("statistics.report.view_draft", roles=DEPARTMENT_STAFF),
]
