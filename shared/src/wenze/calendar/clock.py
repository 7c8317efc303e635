"""The date the rules speak of: the rule documents and the official calendar are Chinese, so
"today" and "this year" are in China Standard Time, whatever the server's zone."""

from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def china_today() -> dt.date:
    return dt.datetime.now(CHINA).date()
