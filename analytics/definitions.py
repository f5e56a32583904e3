"""The written definition of every figure: one place for the API schema, the pages and the reports.

Each text is an English message id (translated where shown, frozen in both languages into a
report). docs/analytics.md explains the choices behind them.
"""

from __future__ import annotations

from engagement.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, catalogue

COMMON = {
    "key": N_("The group: a department's slug, a topic or consultation id, a month (YYYY-MM) or an event kind."),
    "label": N_("The group's name as shown to people."),
}

ADOPTION = {
    "opinions": N_("Published opinions (approved by moderation) submitted in the period; by month, in the month "
                   "they were submitted."),
    "decided": N_("Opinions with a recorded decision. Without a period: today's decisions. By month or for a "
                  "period: opinions first decided in it, from the decision history, each with the last decision "
                  "recorded in the month of its first one, so a month that has ended never changes."),
    "adopted": N_("Decided opinions adopted in full or in part (the consultations module counts both as adopted)."),
    "partially_adopted": N_("Decided opinions partially adopted (included in adopted)."),
    "not_adopted": N_("Decided opinions not adopted."),
    "adoption_rate": N_("adopted / decided, from 0 to 1; empty when nothing was decided."),
    "ci_low": N_("Lower bound of the 95% Wilson score interval of the adoption rate."),
    "ci_high": N_("Upper bound of the 95% Wilson score interval of the adoption rate."),
    "ranked": N_("Whether the group has at least 10 decided opinions; smaller groups are shown but not ranked."),
}

MAILBOX = {
    "letters": N_("Letters received in the period (by the Beijing date of receipt); by month, in the month received."),
    "replied": N_("Of these letters, those answered so far."),
    "reply_rate": N_("replied / letters, from 0 to 1; empty when there are no letters."),
    "on_time": N_("Letters answered by their due date in working days: a reply on the due date (Beijing date) is "
                  "on time, a reply the day after is not."),
    "overdue": N_("Letters still unanswered after their due date."),
    "on_time_rate": N_("on_time / (replied + overdue): letters whose outcome is known, so an unanswered letter past "
                       "its due date counts against the rate; empty when there are none."),
    "rated": N_("Answered letters whose writer gave a rating."),
    "satisfaction": N_("Mean rating from 1 (very dissatisfied) to 5 (very satisfied); empty when nothing was rated."),
    "median_reply_working_days": N_("Median working days from receipt to reply, by the Kaplan–Meier estimate: "
                                    "letters still open count as unanswered until today (censored), so slow "
                                    "cases are not left out; empty while fewer than half are answered."),
}

RECTIFICATIONS = {
    "rectifications": N_("Rectifications (TV questioning) committed to in the period, by the department responsible."),
    "completed": N_("Of these, completed (one reopened by citizens is open again)."),
    "on_time": N_("Of these, completed by the due date (the Beijing date of completion)."),
    "overdue": N_("Of these, not completed by the due date: still open past it, or completed late."),
    "open": N_("Of these, still in progress and not yet due."),
    "on_time_rate": N_("on_time / (on_time + overdue): of the rectifications whose outcome is known; null when none."),
    "ci_low": N_("Lower end of the 95% Wilson interval of the on-time rate."),
    "ci_high": N_("Upper end of the 95% Wilson interval of the on-time rate."),
    "ranked": N_("At least 10 rectifications with a known outcome: only these groups are ranked."),
    "confirmations_solved": N_("Citizens' answers \"solved\" to \"Has it been solved?\" after a completion."),
    "confirmations_not_solved": N_("Citizens' answers \"not solved\" after a completion."),
}

EVENTS = {
    "sessions": N_("Live sessions of this kind scheduled in the period."),
    "peak_viewers": N_("The most viewers connected at once to one of these sessions."),
    "questions_asked": N_("Questions citizens sent to these sessions."),
    "questions_approved": N_("Of these, questions approved by the moderators and shown."),
    "questions_answered": N_("Of these, questions answered during or after the session."),
    "issues_collected": N_("Issues citizens proposed in the period (TV questioning, open meetings), in any state."),
    "issues_selected": N_("Of these, issues selected for the programme or the agenda."),
    "rectifications": RECTIFICATIONS["rectifications"],
    "rectifications_on_time": RECTIFICATIONS["on_time"],
    "rectifications_overdue": RECTIFICATIONS["overdue"],
    "rectifications_completed": RECTIFICATIONS["completed"],
    "confirmations_solved": RECTIFICATIONS["confirmations_solved"],
    "confirmations_not_solved": RECTIFICATIONS["confirmations_not_solved"],
    "registrations": N_("Registrations for open meetings held in the period, in any state."),
    "registrations_confirmed": N_("Of these, registrations holding a seat (confirmed or checked in)."),
    "registrations_checked_in": N_("Of these, registrations checked in at the meeting."),
}

DATASETS = {"adoption": ADOPTION, "mailbox": MAILBOX, "events": EVENTS, "rectifications": RECTIFICATIONS}

# Column headings for pages and spreadsheets (translated where shown).
LABELS = {
    "key": N_("Key"),
    "label": N_("Group"),
    "opinions": N_("Opinions"),
    "decided": N_("Decided"),
    "adopted": N_("Adopted"),
    "partially_adopted": N_("Partially adopted"),
    "not_adopted": N_("Not adopted"),
    "adoption_rate": N_("Adoption rate"),
    "ci_low": N_("95% interval, low"),
    "ci_high": N_("95% interval, high"),
    "ranked": N_("Ranked"),
    "letters": N_("Letters"),
    "replied": N_("Replied"),
    "reply_rate": N_("Reply rate"),
    "on_time": N_("Replied on time"),
    "overdue": N_("Overdue"),
    "on_time_rate": N_("On-time rate"),
    "rated": N_("Rated"),
    "satisfaction": N_("Satisfaction (1-5)"),
    "median_reply_working_days": N_("Median working days to reply"),
    "sessions": N_("Sessions"),
    "peak_viewers": N_("Peak viewers"),
    "questions_asked": N_("Questions asked"),
    "questions_approved": N_("Questions approved"),
    "questions_answered": N_("Questions answered"),
    "issues_collected": N_("Issues collected"),
    "issues_selected": N_("Issues selected"),
    "rectifications": N_("Rectifications"),
    "rectifications_on_time": N_("Rectified on time"),
    "rectifications_overdue": N_("Rectifications overdue"),
    "rectifications_completed": N_("Rectifications completed"),
    "confirmations_solved": N_("Confirmed solved"),
    "confirmations_not_solved": N_("Not solved, say citizens"),
    "completed": N_("Completed"),
    "open": N_("In progress, not yet due"),
    "registrations": N_("Registrations"),
    "registrations_confirmed": N_("Registrations confirmed"),
    "registrations_checked_in": N_("Checked in"),
}


def fields_of(dataset: str) -> list[str]:
    """The columns of a dataset's rows, in order."""
    return ["key", "label", *DATASETS[dataset]]


def frozen_definitions() -> dict[str, dict[str, dict[str, str]]]:
    """{dataset: {field: {language: text}}}: what a report keeps with its figures."""
    languages = [DEFAULT_LANGUAGE, *[code for code in LANGUAGES if code != DEFAULT_LANGUAGE]]
    return {
        dataset: {field: {code: catalogue(code).gettext(text) for code in languages}
                  for field, text in {**COMMON, **definitions}.items()}
        for dataset, definitions in DATASETS.items()
    }
