from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_notification.notices.models import NOTICES, Notice


class NoticeRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    def add(self, notices: Sequence[Notice]) -> None:
        self.session.add_all(notices)

    async def for_recipient(
        self,
        tenant: str,
        recipients: Sequence[tuple[str, str]],
        *,
        state: str | None = None,
        notice: str | None = None,
        matter_id: str | None = None,
        limit: int = 100,
    ) -> list[Notice]:
        """The notices to any of ``recipients`` (``(kind, recipient)``), newest first."""
        if not recipients:
            return []
        query = select(Notice).where(Notice.tenant == tenant, _any_recipient(recipients))
        if state is not None:
            query = query.where(Notice.state == state)
        if notice is not None:
            query = query.where(Notice.notice == notice)
        if matter_id is not None:
            query = query.where(Notice.matter_id == matter_id)
        return list(await self.session.scalars(query.order_by(Notice.created_at.desc(), Notice.id).limit(limit)))

    async def get_for(self, tenant: str, notice_id: str, recipients: Sequence[tuple[str, str]]) -> Notice | None:
        if not recipients:
            return None
        return await self.session.scalar(
            select(Notice).where(Notice.tenant == tenant, Notice.id == notice_id, _any_recipient(recipients))
        )

    async def get(self, tenant: str, notice_id: str) -> Notice | None:
        return await self.session.scalar(select(Notice).where(Notice.tenant == tenant, Notice.id == notice_id))

    async def move(self, notice: Notice, action: str, **values: Any) -> None:
        await NOTICES.move(self.session, notice, action, **values)


def _any_recipient(recipients: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    return or_(*(and_(Notice.recipient_kind == kind, Notice.recipient == who) for kind, who in recipients))
