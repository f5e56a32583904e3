"""The mailbox's domain operations: one function per thing a citizen or staff member does.

Split by what they act on: ``letters`` (write, follow, rate), ``handling`` (route, answer, hand
back, notes, closing, reply templates, the inbox), ``publication`` (publish, withdraw, public
search), ``deadlines`` (due dates, reminders), ``statistics``; ``common`` holds the loaders and
labels. State changes go through the letter's workflow (mailbox/workflows.py), permissions through
engagement.permissions (mailbox/permissions.py), SMS through engagement.notifications.
Every function takes plain values and the acting person and returns the letter or raises an
``engagement.errors`` error. ``api.py``, ``pages.py``, ``tasks.py`` and ``demo.py`` call them as
``services.<name>``.
"""

from mailbox.services.common import (
    CATEGORY_LABELS,
    PAGE_SIZE,
    STATUS_LABELS,
    Page,
    departments,
    desk_id,
    letter_for_staff,
    letter_for_writer,
)
from mailbox.services.deadlines import is_overdue, reminders_for, send_deadline_reminders
from mailbox.services.handling import (
    add_note,
    assign_letter,
    attachment_for_staff,
    close_letter,
    create_reply_template,
    inbox,
    reply_templates,
    reply_to_letter,
    staff_letter_detail,
    transfer_letter,
)
from mailbox.services.letters import Submitted, Upload, rate_letter, submit_letter, writer_view
from mailbox.services.publication import (
    PublicDraft,
    draft_public_version,
    get_published_letter,
    latest_published,
    month_range,
    prepare_publication,
    publish_letter,
    search_published,
    suggest_similar,
    unpublish_letter,
)
from mailbox.services.statistics import Figures, statistics

__all__ = [
    "CATEGORY_LABELS", "PAGE_SIZE", "STATUS_LABELS", "Figures", "Page", "PublicDraft", "Submitted", "Upload",
    "add_note", "assign_letter", "attachment_for_staff", "close_letter", "create_reply_template", "departments",
    "desk_id", "draft_public_version", "get_published_letter", "inbox", "is_overdue", "latest_published", "letter_for_staff",
    "letter_for_writer", "month_range", "prepare_publication", "publish_letter", "rate_letter", "reminders_for",
    "reply_templates", "reply_to_letter", "search_published", "send_deadline_reminders",
    "staff_letter_detail", "statistics", "submit_letter", "suggest_similar", "transfer_letter", "unpublish_letter",
    "writer_view",
]
