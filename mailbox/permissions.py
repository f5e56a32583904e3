"""Who may do what with a letter: declarations for engagement.permissions (deny what is not named).

The receiving desk (the department marked ``is_receiving_desk``, usually the mayor's office) and
administrators route letters and see every letter. Any other department sees, answers, hands back,
annotates and publishes only the letters routed to it. Hosts have no mailbox rights.
"""

from __future__ import annotations

from engagement.permissions import DEPARTMENT_STAFF, GLOBAL, Permission, desk_or_department, is_receiving_desk

PERMISSIONS = [
    Permission("letter.view", roles=DEPARTMENT_STAFF, rule=desk_or_department),
    Permission("letter.note", roles=DEPARTMENT_STAFF, rule=desk_or_department),
    Permission("letter.assign", roles=DEPARTMENT_STAFF, rule=is_receiving_desk),
    Permission("letter.reply", roles=DEPARTMENT_STAFF),  # the department the letter is routed to
    Permission("letter.transfer", roles=DEPARTMENT_STAFF),
    Permission("letter.publish", roles=DEPARTMENT_STAFF, rule=desk_or_department),
    Permission("letter.close", roles=DEPARTMENT_STAFF, rule=desk_or_department),
    Permission("reply_template.view", roles=DEPARTMENT_STAFF, scope=GLOBAL),
    # For the staff member's own department; a template for every department (None) is for administrators.
    Permission("reply_template.manage", roles=DEPARTMENT_STAFF),
]
