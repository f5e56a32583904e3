"""Who may do what in live sessions (declarations only; engagement.permissions answers, deny by default).

Hosts and administrators run every session; editors and citizens do not. Sessions belong to no
department, so every permission is global.
"""

from __future__ import annotations

from engagement.permissions import GLOBAL, HOSTS, Permission

PERMISSIONS = [
    Permission("session.create", roles=HOSTS, scope=GLOBAL),  # announce
    Permission("session.run", roles=HOSTS, scope=GLOBAL),  # start, end, remarks
    Permission("question.moderate", roles=HOSTS, scope=GLOBAL),  # approve, reject, edit, answer, mark answered
    Permission("question.read_queue", roles=HOSTS, scope=GLOBAL),  # the moderation queue and its socket
    Permission("transcript.edit", roles=HOSTS, scope=GLOBAL),  # rebuild, edit entries, publish, read the draft
    Permission("comment.moderate", roles=HOSTS, scope=GLOBAL),  # comments on transcripts
]
