from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, QueryParams

from wenze_console.reports.schemas import QueryRefused, bounded_param, year_param

EXPORT_FORMATS = {"csv": "CSV", "json": "JSON"}
REASON_LIMIT = 2000


@dataclass(frozen=True)
class LibraryQuery:
    """The month the page shows (the tenant's current month by default), and whether only the
    cases marked typical."""

    year: int
    month: int
    typical: bool

    @classmethod
    def parse(cls, params: QueryParams | FormData, today: dt.date) -> LibraryQuery:
        typical = str(params.get("typical") or "")
        if typical not in ("", "1", "true"):
            raise QueryRefused("只看典型案例", "须为 1 或留空")
        return cls(
            year=year_param(_text(params.get("year")), today.year),
            month=bounded_param(_text(params.get("month")), today.month, "月份", 1, 12),
            typical=typical in ("1", "true"),
        )

    def params(self) -> dict[str, Any]:
        return {"year": self.year, "month": self.month, **({"typical": "1"} if self.typical else {})}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def export_format(params: QueryParams) -> str:
    fmt = params.get("format") or "csv"
    if fmt not in EXPORT_FORMATS:
        raise QueryRefused("格式", "须为 csv 或 json")
    return fmt


def mark_reason(form: FormData) -> str:
    """The reason a case is typical, for the notice's editor: required, as reporting requires it."""
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise QueryRefused("理由", "必须填写")
    if len(reason) > REASON_LIMIT:
        raise QueryRefused("理由", f"不超过 {REASON_LIMIT} 字")
    return reason
