"""Who may do what in consultations: declarations only (engagement.permissions answers).

Editors act for their own department, administrators for every department; a permission not
declared anywhere is denied to everyone. Topics are site-wide, so only administrators manage them.
"""

from __future__ import annotations

from engagement.permissions import ADMINS, DEPARTMENT_STAFF, GLOBAL, Permission

PERMISSIONS = [
    Permission("consultation.view_staff", roles=DEPARTMENT_STAFF),
    Permission("consultation.create", roles=DEPARTMENT_STAFF),
    Permission("consultation.edit", roles=DEPARTMENT_STAFF),
    Permission("consultation.publish", roles=DEPARTMENT_STAFF),
    Permission("consultation.close", roles=DEPARTMENT_STAFF),
    Permission("consultation.extend", roles=DEPARTMENT_STAFF),
    Permission("consultation.conclude", roles=DEPARTMENT_STAFF),
    Permission("consultation.export", roles=DEPARTMENT_STAFF),
    Permission("opinion.review", roles=DEPARTMENT_STAFF),
    Permission("opinion.moderate", roles=DEPARTMENT_STAFF),
    Permission("topic.manage", roles=ADMINS, scope=GLOBAL),
]
