"""Who may do what in live sessions (declarations only; engagement.permissions answers, deny by default).

Hosts and administrators run every session; editors and citizens do not. Sessions belong to no
department, so every permission is global.
"""

from __future__ import annotations

from engagement.permissions import DEPARTMENT_STAFF, GLOBAL, HOSTS, Permission

PERMISSIONS = [
    Permission("session.create", roles=HOSTS, scope=GLOBAL),  # announce
    Permission("session.run", roles=HOSTS, scope=GLOBAL),  # start, end, remarks
    Permission("question.moderate", roles=HOSTS, scope=GLOBAL),  # approve, reject, edit, answer, mark answered
    Permission("question.read_queue", roles=HOSTS, scope=GLOBAL),  # the moderation queue and its socket
    Permission("transcript.edit", roles=HOSTS, scope=GLOBAL),  # rebuild, edit entries, publish, read the draft
    Permission("comment.moderate", roles=HOSTS, scope=GLOBAL),  # comments on transcripts
    Permission("issue.moderate", roles=HOSTS, scope=GLOBAL),  # issues: approve, reject, merge; the triage queue
    Permission("issue.select", roles=HOSTS, scope=GLOBAL),  # select for the programme or agenda, running order
    Permission("issue.on_air", roles=HOSTS, scope=GLOBAL),  # mark the issue on air, record the on-air answer
    Permission("registration.view", roles=HOSTS, scope=GLOBAL),  # open meetings: the list of registrations, counts
    Permission("registration.check_in", roles=HOSTS, scope=GLOBAL),  # check people in at the door
    Permission("registration.draw", roles=HOSTS, scope=GLOBAL),  # run a lottery meeting's draw
    Permission("registration.contact", roles=HOSTS, scope=GLOBAL),  # the meeting office: full name and phone (audited)
    Permission("meeting.publish_outcome", roles=HOSTS, scope=GLOBAL),  # publish the decisions taken
    # Rectification (整改): hosts record the commitment; the responsible department (or an admin) reports on it.
    Permission("rectification.record", roles=HOSTS, scope=GLOBAL),  # department, commitment, due date
    Permission("rectification.report", roles=DEPARTMENT_STAFF),  # progress and completion: own department only
]
