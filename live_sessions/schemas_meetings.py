"""Request structs of an open meeting's outcome (shared by the API and the meeting office's forms)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from engagement.i18n import N_
from live_sessions import services

Decisions = Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_TEXT_LENGTH,
                                        title=N_("The decisions taken"))]


class DecisionsRequest(msgspec.Struct, forbid_unknown_fields=True):
    decisions: Decisions
