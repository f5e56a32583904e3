"""Letters show Beijing dates: written at 07:30 in Beijing is 23:30 UTC the day before."""

import re

import time_machine

from mailbox import services
from tests.engagement.test_clock import HTML_DATETIME
from tests.mailbox import factories
from tests.mailbox.test_pages import csrf, write_through_the_form

BEIJING_MORNING = "2026-03-10 07:30:00 +0800"
WRITTEN = '<time datetime="2026-03-10T07:30:00+08:00">2026-03-10</time>'


def dates_shown(html: str) -> set[str]:
    return set(re.findall(r"\b2026-03-(?:09|10)\b", html))


async def test_a_letter_written_at_0730_in_beijing_shows_that_date_everywhere(client, cast):
    with time_machine.travel(BEIJING_MORNING, tick=False):
        receipt = await write_through_the_form(client)
        assert receipt.status_code == 200, receipt.text
        number = re.search(r"data-tracking-number>([^<]+)<", receipt.text).group(1)
        code = re.search(r"data-query-code>([^<]+)<", receipt.text).group(1)
        lookup = await client.post("/mailbox/lookup", data={"tracking_number": number, "query_code": code,
                                                            "_csrf_token": csrf(client)})
        admin = await factories.staff(cast.admin)
        await services.reply_to_letter(admin, number, "已责令停止夜间施工。")
        await services.publish_letter(admin, number)
    published = await client.get(f"/mailbox/letters/{number}")

    assert WRITTEN in receipt.text and dates_shown(receipt.text) == {"2026-03-10"}
    assert lookup.status_code == 200
    assert '<time datetime="2026-03-10T07:30:00+08:00">2026-03-10 07:30</time>' in lookup.text
    assert dates_shown(lookup.text) == {"2026-03-10"}
    assert published.status_code == 200
    assert WRITTEN in published.text and dates_shown(published.text) == {"2026-03-10"}


async def test_the_datetime_values_on_the_list_of_published_letters_are_valid_html(client, cast):
    for subject in ("小区噪音扰民", "道路维修缓慢"):
        await factories.published_letter(cast, subject=subject)  # published now: microseconds in the database
    page = await client.get("/mailbox/search")
    values = re.findall(r'<time datetime="([^"]*)"', page.text)
    assert len(values) == 2
    assert all(HTML_DATETIME.fullmatch(value) for value in values), values
