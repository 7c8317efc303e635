"""The case library (案例库): the month's decided cases, the typical ones marked, a draft public
notice naming them (典型案例通报), and an anonymised export for training."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.problems import NotFound
from wenze.rules import RulePack, get_pack
from wenze_reporting.ledger.models import ReportDecision
from wenze_reporting.library.models import CASE_MARKS, CaseMark, MarkRefused, MarkState
from wenze_reporting.library.schemas import (
    AnonymisedCase,
    AnonymisedExport,
    CaseLibrary,
    LibraryCase,
    LibraryTarget,
    MarkRead,
    NoticeDraft,
)
from wenze_reporting.reports.periods import calendar_month
from wenze_reporting.reports.service import (
    ReportService,
    level_label,
    measure_group,
    measure_label,
    office_label,
)
from wenze_reporting.repositories import ReportingUnitOfWork, ReportingUnitOfWorkFactory

CHINESE_NUMERALS = "一二三四五六七八九十"
MASKED_NAME = "某某"
MASKED_UNIT = "某单位"


class CaseNotFound(NotFound):
    slug = "case-not-found"
    title = "Case not found"


def numeral(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


class LibraryService:
    def __init__(
        self, uow: ReportingUnitOfWorkFactory, reports: ReportService, *, packs: Callable[[str], RulePack] = get_pack
    ):
        self.uow = uow
        self.reports = reports
        self.packs = packs
        self.clock: Callable[[], dt.datetime] = utcnow

    async def cases(self, principal: Principal, year: int, month: int, *, typical_only: bool = False) -> CaseLibrary:
        pack = self.packs(principal.tenant)
        period = calendar_month(year, month)
        visibility, scope = self.reports.visibility(principal, pack)
        async with self.uow() as uow:
            choices = await uow.repos.interpretations.choices(pack.tenant)
            rows = await uow.repos.library.cases(
                pack.tenant, period.start, period.end, visibility, typical_only=typical_only
            )
            cases = [_case(pack, d, summary, state == MarkState.TYPICAL) for d, summary, state in rows]
        stamp = self.reports.stamp(
            pack, "month_end", period, "自然月", scope, period.start, choices, title="问责案例库"
        )
        return CaseLibrary(stamp=stamp, cases=cases)

    async def mark_typical(
        self,
        principal: Principal,
        decision_id: str,
        reason: str,
        idempotency: IdempotentRequest | None = None,
        *,
        client_address: str | None = None,
    ) -> dict[str, Any]:
        """Mark a decided case typical; marking it again changes nothing, a withdrawn mark is renewed."""
        pack = self.packs(principal.tenant)

        async def act(uow: ReportingUnitOfWork) -> dict[str, Any]:
            await self._visible_case(uow, principal, pack, decision_id)
            mark = await uow.repos.library.mark(principal.tenant, decision_id)
            if mark is not None and mark.state == MarkState.TYPICAL:
                return MarkRead.model_validate(mark).model_dump(mode="json")
            if mark is None:
                mark = CaseMark(
                    tenant=principal.tenant,
                    decision_id=decision_id,
                    state=MarkState.TYPICAL,
                    reason=reason,
                    marked_by=principal.username,
                    marked_at=self.clock(),
                )
                uow.repos.library.add_mark(mark)
                await uow.session.flush()
            else:
                await CASE_MARKS.move(
                    uow.session, mark, "remark", reason=reason, changed_by=principal.username, changed_at=self.clock()
                )
            await uow.repos.audit.append(
                principal.tenant, [_audit(principal, client_address, "case.mark_typical", decision_id, reason=reason)]
            )
            return MarkRead.model_validate(mark).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def withdraw(
        self,
        principal: Principal,
        decision_id: str,
        idempotency: IdempotentRequest | None = None,
        *,
        client_address: str | None = None,
    ) -> dict[str, Any]:
        """Withdraw the typical mark of a case (it leaves the notice; the row keeps who did it)."""
        pack = self.packs(principal.tenant)

        async def act(uow: ReportingUnitOfWork) -> dict[str, Any]:
            await self._visible_case(uow, principal, pack, decision_id)
            mark = await uow.repos.library.mark(principal.tenant, decision_id)
            if mark is None:
                raise MarkRefused("the case is not marked typical", extra={"state": None, "action": "withdraw"})
            await CASE_MARKS.move(uow.session, mark, "withdraw", changed_by=principal.username, changed_at=self.clock())
            await uow.repos.audit.append(
                principal.tenant, [_audit(principal, client_address, "case.withdraw_typical", decision_id)]
            )
            return MarkRead.model_validate(mark).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def notice(self, principal: Principal, year: int, month: int) -> NoticeDraft:
        """The draft notice: one paragraph per typical case, naming the person or organisation,
        what the matter was, who decided which measures, under which articles."""
        library = await self.cases(principal, year, month, typical_only=True)
        title = f"关于{library.stamp.period_start:%Y年%m月}{len(library.cases)}起问责典型案例的通报（草稿）"
        lines = [title, ""]
        if not library.cases:
            lines.append("本月没有标记为典型的问责案例。")
        for n, case in enumerate(library.cases, start=1):
            named = "；".join(_who(t) for t in case.targets) or "问责对象"
            measures = "、".join(dict.fromkeys(m for t in case.targets for m in t.measure_labels))
            lines.append(f"{numeral(n)}、{named}问责问题。")
            if case.summary:
                lines.append(f"{case.summary.rstrip('。')}。")
            lines.append(
                f"{case.decided_on:%Y年%m月%d日}，{case.decided_by_label}决定给予{measures or '问责处理'}"
                f"（依据：{'；'.join(case.citations) or '见决定书'}）。"
            )
            lines.append("")
        return NoticeDraft(
            stamp=library.stamp, title=title, text="\n".join(lines).rstrip() + "\n", cases=len(library.cases)
        )

    async def anonymised(self, principal: Principal, year: int, month: int) -> AnonymisedExport:
        """The month's cases without names, posts, units or numbers, for training."""
        pack = self.packs(principal.tenant)
        library = await self.cases(principal, year, month)
        groups = self.reports.group_labels(pack)
        cases = []
        for n, case in enumerate(library.cases, start=1):
            cases.append(
                AnonymisedCase(
                    case=n,
                    decided_on_month=f"{case.decided_on:%Y-%m}",
                    decided_by_label=case.decided_by_label,
                    summary=_masked(case.summary or "", case.targets, case.matter_number),
                    targets=[
                        {
                            "kind_label": t.kind_label,
                            "level_label": t.level_label,
                            "measure_labels": t.measure_labels,
                            "measure_groups": sorted({groups[measure_group(pack, m)] for m in t.measures}),
                        }
                        for t in case.targets
                    ],
                    citations=case.citations,
                    typical=case.typical,
                )
            )
        return AnonymisedExport(stamp=library.stamp, cases=cases)

    async def _visible_case(
        self, uow: ReportingUnitOfWork, principal: Principal, pack: RulePack, decision_id: str
    ) -> ReportDecision:
        try:
            uuid.UUID(decision_id)
        except ValueError:
            # Not echoed: the path may hold anything, of any length.
            raise CaseNotFound("no case has the id in the path, which is not a UUID") from None
        visibility, _ = self.reports.visibility(principal, pack)
        case = await uow.repos.library.case(principal.tenant, decision_id, visibility)
        if case is None:
            raise CaseNotFound(f"no decided case {decision_id} in this tenant")
        return case


def _case(pack: RulePack, decision: ReportDecision, summary: str | None, typical: bool) -> LibraryCase:
    targets = []
    for decided in decision.measures:
        target: dict[str, Any] = decided.get("target", {})
        level = target.get("cadre_level") or target.get("org_level")
        measures = list(decided.get("measures", []))
        targets.append(
            LibraryTarget(
                kind=target.get("kind", "unknown"),
                kind_label=pack.label("target_kinds", target.get("kind", "unknown")),
                name=target.get("name"),
                post=target.get("post"),
                unit=target.get("unit"),
                level=level,
                level_label=level_label(pack, level),
                measures=measures,
                measure_labels=[measure_label(pack, m) for m in measures],
            )
        )
    return LibraryCase(
        decision_id=decision.id,
        decision_number=decision.number,
        matter_number=decision.matter_number,
        summary=summary,
        decided_by=decision.decided_by,
        decided_by_label=office_label(pack, decision.decided_by),
        decided_on=decision.decided_on,
        simplified_procedure=decision.simplified_procedure,
        targets=targets,
        citations=list(decision.citations),
        typical=typical,
    )


def _who(target: LibraryTarget) -> str:
    if target.kind == "organisation":
        return f"{target.unit or ''}{target.kind_label}"
    return "".join(part for part in (target.unit, target.post, target.name) if part) or target.kind_label


def _masked(text: str, targets: list[LibraryTarget], matter_number: str) -> str:
    """``text`` with the targets' names, posts and units and the matter's number masked; longer
    strings first, so a unit containing a name is masked whole."""
    replacements: dict[str, str] = {matter_number: "某号"}
    for t in targets:
        if t.name:
            replacements[t.name] = MASKED_NAME
        if t.unit:
            replacements[t.unit] = MASKED_UNIT
        if t.post:
            replacements[t.post] = "某职务"
    for original in sorted((r for r in replacements if r), key=len, reverse=True):
        text = text.replace(original, replacements[original])
    # Numbers of other documents or cases in the summary (e.g. 昆纪委问分〔2026〕3号) say where it happened.
    return re.sub(r"[\u4e00-\u9fff]{0,12}〔\d{4}〕\d+号", "某文号", text)


def _audit(
    principal: Principal, client_address: str | None, action: str, decision_id: str, **detail: Any
) -> AuditRecord:
    return AuditRecord(
        actor=principal.username,
        office=principal.office,
        action=action,
        object_kind="case",
        object_id=decision_id,
        client_address=client_address,
        detail=detail,
    )
