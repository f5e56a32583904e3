"""Message ids that the code translates from a variable, so the extractor cannot see them.

This file is never imported: babel.cfg extracts it so these ids reach the catalogues.
Remove an entry once the place that defines the string marks it itself with N_("...").
"""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark for translation"
    return message


RUNTIME_MESSAGES = (
    # engagement/web.py HTTP_DETAILS: translated with _(message) when an HTTP error page or JSON error is built.
    N_("Please log in."),
    N_("You may not open this page."),
    N_("The page or item was not found."),
    N_("This method is not allowed here."),
    N_("The upload is too large."),
    N_("Too many requests. Please try again later."),
)
