"""Issues (问题征集) of TV questioning programmes and open meetings: propose, triage, support, merge, select, on air.

Citizens propose issues (SMS-verified, every issue waits for a host: pre-moderation) and support
published ones (one support per phone: ``engagement.votes`` under kind ``live_issue``); hosts
approve or reject with a reason, merge duplicates (each supporter counted once across both, the
merged issue's followers told by SMS where their support went), select issues for the programme
or agenda with a public note and a running order, and during the programme mark the issue on air
and record the official's answer. Every state change goes through ``ISSUE``
(live_sessions/workflows.py); viewers see changes as live events of the session
(``services.record_event``, published after the commit).

``support_count`` on the row is a copy of the votes, recounted under the issue's row lock after each
support and merge, so lists sort by it in SQL without counting votes per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from engagement import clock, permissions
from engagement.accounts import Staff
from engagement.db import lock_row_for_update, unit_of_work
from engagement.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from engagement.i18n import _
from engagement.limits import count_citizen_action
from engagement.masking import mask_personal_data
from engagement.moderation import find_sensitive_words
from engagement.modules import votable_kinds
from engagement.notifications import send_sms
from engagement.prepared import prepared
from engagement.tables import Citizen
from engagement.textsearch import any_term_occurs, suggestion_terms
from engagement.uploads import MB, StoredUpload, store_upload, strip_image_metadata
from engagement.verification import VerifiedCitizen
from engagement.votes import cast_vote, count_votes, merge_votes
from live_sessions.services import (
    MAX_NAME_LENGTH,
    PUBLIC,
    STAFF,
    Publisher,
    _iso,
    channel_for,
    clean_text,
    get_session,
    public_name,
    public_text,
    publish,
    record_event,
)
from live_sessions.tables import (
    IssueFollower,
    IssuePhoto,
    IssueState,
    LiveIssue,
    LiveSession,
    SessionKind,
    SessionStatus,
)
from live_sessions.workflows import ISSUE, ISSUE_PUBLISHED, MODERATION_ACTIONS

VOTE_KIND = "live_issue"
ISSUE_KINDS = frozenset({SessionKind.tv_questioning.value, SessionKind.open_meeting.value})
LISTED_STATES = ISSUE_PUBLISHED | {IssueState.merged.value}  # what the public board shows
MAX_ISSUE_TITLE = 100
MAX_ISSUE_CONTENT = 2000
MAX_LOCATION = 200
MAX_CATEGORY = 30
MAX_REASON = 300
MAX_ANSWER = 5000
MAX_ANSWERED_BY = 100
MAX_PHOTOS = 4
PHOTO_MAX_BYTES = 5 * MB
PHOTO_KINDS = frozenset({"jpeg", "png"})
ISSUES_PER_SESSION = 10  # per citizen
SORTS = ("supports", "newest", "status")
SIMILAR_LIMIT = 5


@dataclass(frozen=True)
class Photo:
    data: bytes
    filename: str


# ---------- shapes ----------


def issue_event_payload(issue: dict[str, Any]) -> dict[str, Any]:
    """What viewers see of an issue (masked), in events and on the board."""
    names = [issue["display_name"]]
    return {
        "id": issue["id"],
        "title": public_text(issue["title"], names),
        "content": public_text(issue["content"], names),
        "location": public_text(issue["location"], names),
        "status": issue["state"],
        "support_count": issue["support_count"],
        "running_order": issue["running_order"],
        "merged_into": issue["merged_into"],
        "note": public_text(issue["reason"], names) if issue["state"] == IssueState.selected else "",
    }


# ---------- loaders ----------


async def _issue(issue_id: int) -> dict[str, Any]:
    row = await LiveIssue.select().where(LiveIssue.id == issue_id).first()
    if row is None:
        raise NotFound(_("The issue was not found."))
    return row


async def issue_for_staff(staff: Staff | None, issue_id: int, permission: str = "issue.moderate") -> dict[str, Any]:
    permissions.require(staff, permission)
    return await _issue(issue_id)


async def public_issue(issue_id: int) -> dict[str, Any]:
    """An issue as the public may see it (approved, selected or merged), else not found."""
    row = await LiveIssue.select().where((LiveIssue.id == issue_id) & LiveIssue.state.is_in(list(LISTED_STATES))).first()
    if row is None:
        raise NotFound(_("The issue was not found."))
    return row


async def issue_session(session_id: int) -> dict[str, Any]:
    """A session that takes issues (TV questioning, open meeting); else 404 (no such session) or 409."""
    session = await get_session(session_id)
    if session["kind"] not in ISSUE_KINDS:
        raise Conflict(_("Issues are collected for TV questioning programmes and open meetings only."))
    return session


def collection_open(session: dict[str, Any]) -> bool:
    """Before the collection deadline (none given: until the session ends)."""
    if session["issues_close_at"] is not None:
        return clock.now() < clock.aware(session["issues_close_at"])
    return session["status"] != SessionStatus.ended


def _require_collecting(session: dict[str, Any]) -> None:
    if collection_open(session):
        return
    if session["issues_close_at"] is not None:
        raise Conflict(_("The collection of issues closed on %(time)s; no new issues or supports are accepted.")
                       % {"time": clock.display(session["issues_close_at"])})
    raise Conflict(_("The session has ended; no new issues or supports are accepted."))


# ---------- proposing ----------


async def propose_issue(session_id: int, citizen: VerifiedCitizen, *, title: Any, content: Any, location: Any = "",
                        category: Any = "", name: Any = "", notify: bool = False, photos: Sequence[Photo] = (),
                        publisher: Publisher | None = None) -> dict[str, Any]:
    """A new issue, pending until a host approves it. Proposing is not supporting: it starts at 0 supports."""
    title = clean_text(title, MAX_ISSUE_TITLE, _("The title"))
    content = clean_text(content, MAX_ISSUE_CONTENT, _("The description"))
    location = clean_text(location, MAX_LOCATION, _("The location"), required=False)
    category = clean_text(category, MAX_CATEGORY, _("The category"), required=False)
    name = clean_text(name, MAX_NAME_LENGTH, _("The name"), required=False)
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(limit)d photos.") % {"limit": MAX_PHOTOS})
    stored = [store_photo(photo) for photo in photos]
    _require_collecting(await issue_session(session_id))
    async with unit_of_work():
        await lock_row_for_update(Citizen, citizen.id)  # one citizen's requests count one after another
        await _check_issues_per_session(citizen.id, session_id)
        await count_citizen_action(citizen.id, "issue")
        rows = await LiveIssue.insert(
            LiveIssue(session=session_id, citizen=citizen.id, title=title, content=content, location=location,
                      category=category, display_name=name, state=IssueState.pending, support_count=0,
                      created_at=clock.now())
        ).returning(*LiveIssue.all_columns())
        issue = rows[0]
        await ISSUE.record("propose", issue["id"], from_state="", actor=citizen)
        await _add_photos(issue["id"], stored)
        if notify:
            await _follow(issue["id"], [citizen.id])
        await record_event(session_id, STAFF, "issue_proposed", await staff_issue_payload(issue), publisher)
    return issue


async def _check_issues_per_session(citizen_id: int, session_id: int) -> None:
    """A cap per programme; the pace per minute and day is the core's per-citizen limit (engagement.limits)."""
    proposed = await LiveIssue.count().where((LiveIssue.session == session_id) & (LiveIssue.citizen == citizen_id))
    if proposed >= ISSUES_PER_SESSION:
        raise TooManyRequests(_("You have proposed many issues for this session. Thank you!"), retry_after=3600)


def store_photo(photo: Photo) -> StoredUpload:
    """A JPEG or PNG checked by content and size, stored without its metadata (EXIF: camera, place, time)."""
    if len(photo.data) > PHOTO_MAX_BYTES:
        return store_upload(photo.data, photo.filename, PHOTO_KINDS, PHOTO_MAX_BYTES)  # refuses it, naming the limit
    return store_upload(strip_image_metadata(photo.data), photo.filename, PHOTO_KINDS, PHOTO_MAX_BYTES)


async def _add_photos(issue_id: int, stored: Iterable[StoredUpload], update_id: int | None = None) -> None:
    rows = [IssuePhoto(issue=issue_id, update_id=update_id, key=s.key, content_type=s.content_type, size=s.size)
            for s in stored]
    if rows:
        await IssuePhoto.insert(*rows)


# ---------- triage ----------


async def moderate_issue(issue_id: int, staff: Staff | None, action: str, reason: Any = "",
                         publisher: Publisher | None = None) -> dict[str, Any]:
    """Approve or reject with a reason (sent to the proposer by SMS when rejected)."""
    issue = await issue_for_staff(staff, issue_id)
    if action not in MODERATION_ACTIONS:
        raise InvalidInput(_("The action must be approve or reject."))
    reason = clean_text(reason, MAX_REASON, _("The reason"), required=False)
    async with unit_of_work():
        updated = await ISSUE.apply(action, issue_id, actor=staff, expect=issue["state"], note=reason,
                                    values={LiveIssue.reason: reason, LiveIssue.moderated_at: clock.now()})
        await _after_moderation(updated, issue["state"], publisher)
    return updated


async def _after_moderation(issue: dict[str, Any], previous: str, publisher: Publisher | None) -> None:
    session_id, issue_id = issue["session"], issue["id"]
    await record_event(session_id, STAFF, "issue_moderated", await staff_issue_payload(issue), publisher)
    stamp = int(clock.aware(issue["moderated_at"]).timestamp())
    title = issue["title"][:30]
    if issue["state"] == IssueState.approved:
        await record_event(session_id, PUBLIC, "issue", issue_event_payload(issue), publisher)
        body = _("Your issue \"%(title)s\" has been published; others can now support it.") % {"title": title}
    else:
        if previous == IssueState.approved:
            await record_event(session_id, PUBLIC, "issue_removed", {"id": issue_id}, publisher)
        body = _("Your issue \"%(title)s\" was not accepted. Reason: %(reason)s") % {
            "title": title, "reason": issue["reason"] or _("none given")}
    await _tell_proposer(issue, body, f"live_issue:{issue_id}:{issue['state']}:{stamp}",
                         always=issue["state"] == IssueState.rejected)


async def _tell_proposer(issue: dict[str, Any], body: str, event_key: str, always: bool) -> None:
    """The proposer hears of a refusal and its reason; of anything else only when they asked for notices."""
    if not always and not await IssueFollower.exists().where(IssueFollower.follow_key == _follow_key(issue["id"],
                                                                                                   issue["citizen"])):
        return
    row = await Citizen.select(Citizen.phone_encrypted).where(Citizen.id == issue["citizen"]).first()
    if row is not None:
        await send_sms(body, purpose="live_issue", phone_encrypted=row["phone_encrypted"], event_key=event_key)


async def select_issue(issue_id: int, staff: Staff | None, note: Any, running_order: int | None = None,
                       publisher: Publisher | None = None) -> dict[str, Any]:
    """Choose an approved issue for the programme or agenda, with a short public note on why."""
    issue = await issue_for_staff(staff, issue_id, "issue.select")
    note = clean_text(note, MAX_REASON, _("The note"))
    if running_order is not None and running_order < 1:
        raise InvalidInput(_("The running order must be a positive number."))
    async with unit_of_work():
        await lock_row_for_update(LiveSession, issue["session"])  # running orders of one session one at a time
        order = running_order or await _next_running_order(issue["session"])
        updated = await ISSUE.apply("select", issue_id, actor=staff, expect=issue["state"], note=note,
                                    values={LiveIssue.reason: note, LiveIssue.running_order: order,
                                            LiveIssue.moderated_at: clock.now()})
        await record_event(updated["session"], PUBLIC, "issue_selected", issue_event_payload(updated), publisher)
        await _tell_followers(issue_id, _("The issue \"%(title)s\" you follow has been selected. Why: %(note)s")
                              % {"title": updated["title"][:30], "note": note}, f"live_issue:{issue_id}:selected")
    return updated


async def unselect_issue(issue_id: int, staff: Staff | None, publisher: Publisher | None = None) -> dict[str, Any]:
    issue = await issue_for_staff(staff, issue_id, "issue.select")
    async with unit_of_work():
        updated = await ISSUE.apply("unselect", issue_id, actor=staff, expect=issue["state"],
                                    values={LiveIssue.running_order: None})
        if (await get_session(updated["session"]))["current_issue_id"] == issue_id:
            await LiveSession.update({LiveSession.current_issue_id: None}).where(LiveSession.id == updated["session"])
        await record_event(updated["session"], PUBLIC, "issue", issue_event_payload(updated), publisher)
    return updated


async def _next_running_order(session_id: int) -> int:
    rows = await LiveIssue.select(LiveIssue.running_order).where(
        (LiveIssue.session == session_id) & (LiveIssue.state == IssueState.selected)
    )
    return max((row["running_order"] or 0 for row in rows), default=0) + 1


async def reorder_issues(session_id: int, staff: Staff | None, issue_ids: Sequence[int],
                         publisher: Publisher | None = None) -> list[dict[str, Any]]:
    """Set the running order: ``issue_ids`` are all the selected issues of the session, first on air first."""
    permissions.require(staff, "issue.select")
    await issue_session(session_id)
    async with unit_of_work():
        await lock_row_for_update(LiveSession, session_id)
        selected = await selected_issues(session_id)
        if sorted(issue_ids) != sorted(row["id"] for row in selected) or len(set(issue_ids)) != len(issue_ids):
            raise InvalidInput(_("Give every selected issue of this session exactly once."))
        for position, issue_id in enumerate(issue_ids, start=1):
            await ISSUE.apply("reorder", issue_id, actor=staff, values={LiveIssue.running_order: position})
        order = await selected_issues(session_id)
        await record_event(session_id, PUBLIC, "issue_order", {"ids": [row["id"] for row in order]}, publisher)
    return order


# ---------- supports ----------


async def support_issue(issue_id: int, citizen: VerifiedCitizen, notify: bool = False,
                        publisher: Publisher | None = None) -> tuple[bool, int]:
    """One support per phone (the votes' unique key decides, also under concurrent requests).

    The issue's row is locked first, so a merge running at the same time either sees this support
    (and moves it) or has already happened (and this one is refused).
    """
    async with unit_of_work():
        await lock_row_for_update(LiveIssue, issue_id)
        issue = await public_issue(issue_id)
        if issue["state"] == IssueState.merged:
            raise Conflict(_("This issue was merged into issue %(id)s; please support that one.")
                           % {"id": issue["merged_into"]})
        _require_collecting(await get_session(issue["session"]))
        result = await cast_vote(VOTE_KIND, issue_id, citizen.id, votable_kinds())
        count = result.support_count
        if result.counted:
            await LiveIssue.update({LiveIssue.support_count: count}).where(LiveIssue.id == issue_id)
        if notify:
            await _follow(issue_id, [citizen.id])
    if result.counted:
        # Counts are not part of the record of events: the count is in the database and on every page load.
        publish(publisher, channel_for(issue["session"]), {"type": "issue_supports", "id": issue_id,
                                                           "support_count": count})
    return result.counted, count


def _follow_key(issue_id: int, citizen_id: int) -> str:
    return f"{issue_id}:{citizen_id}"


async def _follow(issue_id: int, citizen_ids: Iterable[int]) -> None:
    rows = [IssueFollower(follow_key=_follow_key(issue_id, c), issue=issue_id, citizen=c) for c in citizen_ids]
    if rows:
        await IssueFollower.insert(*rows).on_conflict(target=IssueFollower.follow_key, action="DO NOTHING")


async def _tell_followers(issue_id: int, body: str, event_key: str) -> int:
    """An SMS to everyone following ``issue_id`` (one query for their phones); at most once per event."""
    rows = await IssueFollower.select(IssueFollower.citizen, IssueFollower.citizen.phone_encrypted.as_alias("phone")).where(
        IssueFollower.issue == issue_id
    )
    for row in rows:
        await send_sms(body, purpose="live_issue", phone_encrypted=row["phone"],
                       event_key=f"{event_key}:{row['citizen']}")
    return len(rows)


async def followers_of(issue_id: int) -> list[int]:
    """Citizen ids of those who asked for notices about the issue (for rectification notices)."""
    rows = await IssueFollower.select(IssueFollower.citizen).where(IssueFollower.issue == issue_id)
    return [row["citizen"] for row in rows]


# ---------- merging ----------


async def merge_issue(issue_id: int, into_id: int, staff: Staff | None,
                      publisher: Publisher | None = None) -> dict[str, Any]:
    """Merge a duplicate into another issue of the same session; answers the target.

    One transaction: both rows locked (in id order, so two merges cannot deadlock), the merge
    applied by the workflow's compare-and-set (of two hosts merging the same pair, one wins, the
    other gets 409), supports moved so each phone counts once, followers copied, the target's
    count recomputed from the votes, and the merged issue's followers told where their support went.
    """
    permissions.require(staff, "issue.moderate")
    if issue_id == into_id:
        raise InvalidInput(_("An issue cannot be merged into itself."))
    async with unit_of_work():
        for row_id in sorted((issue_id, into_id)):
            await lock_row_for_update(LiveIssue, row_id)
        issue, target = await _issue(issue_id), await _issue(into_id)
        if target["session"] != issue["session"]:
            raise InvalidInput(_("Both issues must belong to the same session."))
        if target["state"] not in ISSUE_PUBLISHED:
            raise Conflict(_("Issues can only be merged into an approved or selected issue."))
        merged = await ISSUE.apply("merge", issue_id, actor=staff, expect=issue["state"], detail={"into": into_id},
                                   values={LiveIssue.merged_into: into_id, LiveIssue.moderated_at: clock.now()})
        count = await merge_votes(VOTE_KIND, issue_id, into_id)
        await _copy_followers(issue_id, into_id)
        rows = await LiveIssue.update({LiveIssue.support_count: count}).where(LiveIssue.id == into_id).returning(
            *LiveIssue.all_columns())
        target = rows[0]
        await _tell_followers(issue_id, _("The issue \"%(title)s\" you follow was merged into \"%(target)s\"; "
                                          "your support now counts there.")
                              % {"title": issue["title"][:30], "target": target["title"][:30]},
                              f"live_issue:{issue_id}:merged")
        await record_event(issue["session"], PUBLIC, "issue_merged",
                           {"id": issue_id, "into": into_id, "support_count": count}, publisher)
        await record_event(issue["session"], STAFF, "issue_moderated", await staff_issue_payload(merged), publisher)
    return target


async def _copy_followers(from_id: int, into_id: int) -> None:
    citizens = await followers_of(from_id)
    await _follow(into_id, citizens)


# ---------- during the programme ----------


async def put_on_air(session_id: int, issue_id: int, staff: Staff | None,
                     publisher: Publisher | None = None) -> dict[str, Any]:
    """Mark a selected issue as the one on air now."""
    permissions.require(staff, "issue.on_air")
    session = await issue_session(session_id)
    if session["status"] != SessionStatus.live:
        raise Conflict(_("An issue is put on air while the programme is live."))
    async with unit_of_work():
        issue = await _issue(issue_id)
        if issue["session"] != session_id:
            raise InvalidInput(_("The issue belongs to another session."))
        updated = await ISSUE.apply("on_air", issue_id, actor=staff)
        await LiveSession.update({LiveSession.current_issue_id: issue_id}).where(LiveSession.id == session_id)
        await record_event(session_id, PUBLIC, "issue_on_air", issue_event_payload(updated), publisher)
    return updated


async def record_on_air_answer(issue_id: int, staff: Staff | None, answer: Any, answered_by: Any,
                               publisher: Publisher | None = None) -> dict[str, Any]:
    """The responsible official's answer (and commitment) given on the programme."""
    permissions.require(staff, "issue.on_air")
    answer = clean_text(answer, MAX_ANSWER, _("The answer"))
    answered_by = clean_text(answered_by, MAX_ANSWERED_BY, _("Who answered"))
    async with unit_of_work():
        updated = await ISSUE.apply("answer", issue_id, actor=staff,
                                    values={LiveIssue.on_air_answer: answer, LiveIssue.answered_by: answered_by})
        await record_event(updated["session"], PUBLIC, "issue_answer",
                           {"id": issue_id, "answer": public_text(answer, [updated["display_name"]]),
                            "answered_by": answered_by}, publisher)
    return updated


# ---------- reads ----------


async def public_issues(session_id: int, sort: str = "supports", limit: int = 50,
                        offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Approved, selected and merged issues of a session (one query, whatever the page size)."""
    await issue_session(session_id)
    return await listed_issues(session_id, sort, limit, offset)


_LISTED = prepared(lambda p: LiveIssue.select().where(
    (LiveIssue.session == p.session) & LiveIssue.state.is_in(sorted(LISTED_STATES))))


async def listed_issues(session_id: int, sort: str = "supports", limit: int = 50,
                        offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """``public_issues`` for a session already known to take issues (one query)."""
    if sort not in SORTS:
        raise InvalidInput(_("Sort by supports, newest or status."))
    rows = await _LISTED.run(session=session_id)
    rows.sort(key=_SORT_KEYS[sort])
    return rows[offset:offset + limit], len(rows)


_STATUS_RANK = {IssueState.selected.value: 0, IssueState.approved.value: 1, IssueState.merged.value: 2}
_SORT_KEYS = {
    "supports": lambda row: (row["state"] == IssueState.merged, -row["support_count"], -row["id"]),
    "newest": lambda row: -row["id"],
    "status": lambda row: (_STATUS_RANK[row["state"]], row["running_order"] or 0, -row["support_count"], -row["id"]),
}


_SELECTED = prepared(lambda p: LiveIssue.select().where(
    (LiveIssue.session == p.session) & (LiveIssue.state == IssueState.selected)
).order_by(LiveIssue.running_order).order_by(LiveIssue.id))


async def selected_issues(session_id: int) -> list[dict[str, Any]]:
    """The selected issues in running order."""
    return await _SELECTED.run(session=session_id)


async def similar_issues(session_id: int, text: str, limit: int = SIMILAR_LIMIT) -> list[dict[str, Any]]:
    """Published issues of the session sharing pieces of ``text`` (title or description), best match first.

    The LIKE prefilter runs on the stored text; the ranking counts pieces in the masked text, so a
    piece of someone's phone number finds nothing.
    """
    await issue_session(session_id)
    terms = suggestion_terms(text or "")
    if not terms:
        return []
    where = (LiveIssue.session == session_id) & LiveIssue.state.is_in(list(ISSUE_PUBLISHED))
    condition = any_term_occurs(LiveIssue.title, terms) | any_term_occurs(LiveIssue.content, terms)
    rows = await LiveIssue.select().where(where, condition).limit(200)
    ranked = []
    for row in rows:
        masked = mask_personal_data(f"{row['title']} {row['content']}", [row["display_name"]] if row["display_name"] else [])
        hits = sum(term in masked for term in terms)
        if hits:
            ranked.append((hits, row["support_count"], row))
    ranked.sort(key=lambda item: (-item[0], -item[1], -item[2]["id"]))
    return [row for _hits, _count, row in ranked[:limit]]


async def issue_detail(issue_id: int) -> dict[str, Any]:
    """A public issue with its photos and, when merged, the target's id and title."""
    issue = await public_issue(issue_id)
    issue["photos"] = await IssuePhoto.select().where(
        (IssuePhoto.issue == issue_id) & IssuePhoto.update_id.is_null()).order_by(IssuePhoto.id)
    issue["target"] = None
    if issue["merged_into"] is not None:
        issue["target"] = await LiveIssue.select(LiveIssue.id, LiveIssue.title, LiveIssue.state).where(
            LiveIssue.id == issue["merged_into"]).first()
    return issue


async def public_photo(photo_id: int) -> dict[str, Any]:
    """A photo of a public issue (its metadata was removed on upload), else not found."""
    row = await IssuePhoto.select(*IssuePhoto.all_columns(), IssuePhoto.issue.state.as_alias("issue_state")).where(
        IssuePhoto.id == photo_id).first()
    if row is None or row["issue_state"] not in LISTED_STATES:
        raise NotFound(_("The photo was not found."))
    return row


async def triage_queue(staff: Staff | None, session_id: int, state: str = IssueState.pending,
                       limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Issues in one state for hosts, oldest first, each with the listed sensitive words it contains."""
    permissions.require(staff, "issue.moderate")
    await issue_session(session_id)
    if state not in {item.value for item in IssueState}:
        raise InvalidInput(_("Unknown issue state."))
    where = (LiveIssue.session == session_id) & (LiveIssue.state == state)
    rows = await LiveIssue.select().where(where).order_by(LiveIssue.id).limit(limit).offset(offset)
    for row in rows:
        row["flagged_words"] = await find_sensitive_words(f"{row['title']} {row['content']}")  # cached list: no query
    return rows, await LiveIssue.count().where(where)


async def issues_for_triage(staff: Staff | None, session_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every issue of a session for the hosts' page, grouped by state (one query)."""
    permissions.require(staff, "issue.moderate")
    rows = await LiveIssue.select().where(LiveIssue.session == session_id).order_by(LiveIssue.id)
    groups: dict[str, list[dict[str, Any]]] = {state.value: [] for state in IssueState}
    for row in rows:
        row["flagged_words"] = await find_sensitive_words(f"{row['title']} {row['content']}")  # cached list: no query
        groups[row["state"]].append(row)
    groups[IssueState.selected.value].sort(key=lambda row: (row["running_order"] or 0, row["id"]))
    groups[IssueState.approved.value].sort(key=lambda row: (-row["support_count"], row["id"]))
    targets = groups[IssueState.approved.value] + groups[IssueState.selected.value]
    return {**groups, "targets": targets}


async def pending_counts(session_ids: list[int]) -> dict[int, int]:
    """How many issues wait for triage, per session (one query)."""
    if not session_ids:
        return {}
    rows = await LiveIssue.select(LiveIssue.session, Count(alias="n")).where(
        LiveIssue.session.is_in(session_ids) & (LiveIssue.state == IssueState.pending)
    ).group_by(LiveIssue.session)
    return {row["session"]: row["n"] for row in rows}


async def staff_issue_payload(issue: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": issue["id"], "title": issue["title"], "content": issue["content"], "location": issue["location"],
        "category": issue["category"], "name": issue["display_name"], "status": issue["state"],
        "reason": issue["reason"], "support_count": issue["support_count"], "merged_into": issue["merged_into"],
        "running_order": issue["running_order"], "created_at": _iso(issue["created_at"]),
        "masked_title": public_text(issue["title"], [issue["display_name"]]),
        "masked_content": public_text(issue["content"], [issue["display_name"]]),
        "flagged_words": await find_sensitive_words(f"{issue['title']} {issue['content']}"),
    }


async def recount_supports(issue_id: int) -> int:
    """The support count from the votes (a repair tool; supports and merges keep it current)."""
    count = await count_votes(VOTE_KIND, issue_id)
    await LiveIssue.update({LiveIssue.support_count: count}).where(LiveIssue.id == issue_id)
    return count


def display_name(issue: dict[str, Any]) -> str:
    return public_name(issue["display_name"])
