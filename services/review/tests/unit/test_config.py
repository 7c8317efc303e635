from __future__ import annotations

import datetime as dt
import time

from wenze.db.base import utcnow
from wenze.rules import get_pack
from wenze_review.config import ReviewSettings


def test_the_clock_is_the_real_one_unless_a_day_is_rehearsed() -> None:
    real = ReviewSettings().clock()
    assert abs(real() - utcnow()) < dt.timedelta(seconds=5)

    rehearsed = ReviewSettings(rehearsal_date=dt.date(2026, 9, 30)).clock()
    first = rehearsed()
    time.sleep(0.01)
    # That day in every tenant's zone, moving on as time does.
    assert {get_pack(t).local_date(first) for t in ("kunshan", "jintan", "zhenxiong", "hubei")} == {
        dt.date(2026, 9, 30)
    }
    assert rehearsed() > first
