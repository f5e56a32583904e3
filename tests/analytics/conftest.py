"""Fixtures of the statistics tests: data made through the wings' services, as the product makes it."""

from __future__ import annotations

from tests.consultations.conftest import headers, make_consultation  # noqa: F401 - fixtures used here too
from tests.mailbox.conftest import sms_drained  # noqa: F401 - receipts queue SMS: let them go before the next test
