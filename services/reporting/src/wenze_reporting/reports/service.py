"""The reports per tenant, each stamped with the rules it was computed under.

Labels come from the tenant's rule pack (offices, sources, forms, measures, cadre levels);
a code the pack does not know is shown as the pack would show it (``RulePack.label``), and a
missing value as 未填报 (not given).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from wenze.auth.access import read_scope
from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord
from wenze.reports import TOTAL_LABELS
from wenze.rules import RulePack, get_pack
from wenze.rules.readings import ReadingChoice, readings_in_force
from wenze_reporting.reports.periods import (
    Period,
    calendar_month,
    cut_off_window,
    half_year,
    month_start,
    previous_half_year,
    previous_month,
    reporting_duties,
)
from wenze_reporting.reports.repository import ReportRepository, Visibility
from wenze_reporting.reports.schemas import (
    Backlog,
    Count,
    Duty,
    Figures,
    HalfYearReport,
    LevelFigures,
    MonthlyTrend,
    MonthPoint,
    OfficeFigures,
    OverdueDeadline,
    PeriodReport,
    ReportKind,
    Stamp,
    StampedReading,
    StatisticsReport,
    Totals,
    Trend,
)
from wenze_reporting.repositories import ReportingUnitOfWorkFactory

NOT_GIVEN = "未填报"
TREND_MONTHS = 12
KIND_TITLES: dict[str, str] = {
    "monthly": "问责工作月报（承办部门月度数据）",
    "month_end": "问责工作月末汇总",
    "half_year": "问责工作半年分析",
    "statistics": "问责情况统计",
}
# How the reports group decided measures: the packs' report_* vocabularies.
GROUP_VOCABULARY = "report_measure_groups"
SANCTION = "sanction"
ORGANISATIONAL = "organisational"
OTHER = "other_accountability"


def measure_group(pack: RulePack, measure: str) -> str:
    if measure in pack.vocabulary.get("report_sanction_measures", {}):
        return SANCTION
    if measure in pack.vocabulary.get("report_organisational_measures", {}):
        return ORGANISATIONAL
    return OTHER


def measure_label(pack: RulePack, measure: str) -> str:
    for vocabulary in ("measures", "organisational_measures", "party_sanctions"):
        if measure in pack.vocabulary.get(vocabulary, {}):
            return pack.vocabulary[vocabulary][measure]
    return pack.label("measures", measure)


def level_label(pack: RulePack, level: str | None) -> str:
    if level is None:
        return NOT_GIVEN
    for vocabulary in ("cadre_levels", "organisation_levels"):
        if level in pack.vocabulary.get(vocabulary, {}):
            return pack.vocabulary[vocabulary][level]
    return level


def office_label(pack: RulePack, office: str | None) -> str:
    if office is None:
        return "未确定承办部门"
    for vocabulary in ("offices", "bodies"):
        if office in pack.vocabulary.get(vocabulary, {}):
            return pack.vocabulary[vocabulary][office]
    return office


def source_label(pack: RulePack, source: str | None) -> str:
    return NOT_GIVEN if source is None else pack.label("intake_sources", source)


def counts(pairs: Iterable[tuple[str | None, int]], label: Callable[[str | None], str]) -> list[Count]:
    """Counts sorted by size, then label: a stable order, so two runs give the same report."""
    merged: Counter[str | None] = Counter()
    for code, n in pairs:
        merged[code] += n
    rows = [Count(code=code, label=label(code), count=n) for code, n in merged.items() if n]
    return sorted(rows, key=lambda c: (-c.count, c.label, c.code or ""))


class ReportService:
    def __init__(self, uow: ReportingUnitOfWorkFactory, *, packs: Callable[[str], RulePack] = get_pack):
        self.uow = uow
        self.packs = packs

    # -- who sees what ---------------------------------------------------------------------

    def visibility(self, principal: Principal, pack: RulePack) -> tuple[Visibility, str]:
        """The caller's view: the whole tenant for an office overseeing every matter within
        authority over every level the pack knows; else the matters it may read."""
        scope = read_scope(principal)
        levels = set(pack.vocabulary.get("cadre_levels", {})) | set(pack.vocabulary.get("organisation_levels", {}))
        if scope.integrator is None and scope.oversees and levels <= scope.authority:
            return Visibility(None), "全部问责事项"
        return Visibility(scope), f"{office_label(pack, principal.office)}可见的问责事项"

    # -- the reports -----------------------------------------------------------------------

    async def monthly(
        self, principal: Principal, year: int, month: int, *, client_address: str | None = None
    ) -> PeriodReport:
        """The figures each handling office owes for the month, up to the pack's cut-off."""
        pack = self.packs(principal.tenant)
        async with self.uow() as uow:
            choices = await uow.repos.interpretations.choices(pack.tenant)
        period, cut_off = cut_off_window(pack, year, month, choices)
        return await self._period_report(
            principal, pack, "monthly", period, cut_off, month_start(year, month), client_address
        )

    async def month_end(
        self, principal: Principal, year: int, month: int, *, client_address: str | None = None
    ) -> PeriodReport:
        """The month-end summary over the calendar month."""
        pack = self.packs(principal.tenant)
        period = calendar_month(year, month)
        return await self._period_report(principal, pack, "month_end", period, "自然月", period.start, client_address)

    async def _period_report(
        self,
        principal: Principal,
        pack: RulePack,
        kind: ReportKind,
        period: Period,
        cut_off: str,
        duties_from: dt.date,
        client_address: str | None,
    ) -> PeriodReport:
        visibility, scope = self.visibility(principal, pack)
        async with self.uow() as uow:
            figures = await self._figures(uow.repos.reports, pack, period, visibility)
            choices = await uow.repos.interpretations.choices(pack.tenant)
            await self._audit(uow, principal, client_address, kind, period)
        stamp = self.stamp(pack, kind, period, cut_off, scope, duties_from, choices)
        return PeriodReport(stamp=stamp, figures=figures)

    async def half_year(
        self, principal: Principal, year: int, half: int, *, client_address: str | None = None
    ) -> HalfYearReport:
        pack = self.packs(principal.tenant)
        period = half_year(year, half)
        before = half_year(*previous_half_year(year, half))
        visibility, scope = self.visibility(principal, pack)
        async with self.uow() as uow:
            reports = uow.repos.reports
            figures = await self._figures(reports, pack, period, visibility)
            previous = await self._totals(reports, pack, before, visibility)
            missed = await reports.missed_deadlines(pack.tenant, period.start, period.end, visibility)
            open_slips = await reports.open_slips(pack.tenant, period.end, visibility)
            choices = await uow.repos.interpretations.choices(pack.tenant)
            await self._audit(uow, principal, client_address, "half_year", period)
        trend = []
        for key, current in figures.totals.model_dump().items():
            earlier = getattr(previous, key)
            trend.append(
                Trend(
                    key=key,
                    label=TOTAL_LABELS[key],
                    current=current,
                    previous=earlier,
                    change=current - earlier,
                    change_percent=round((current - earlier) * 100 / earlier, 1) if earlier else None,
                )
            )
        overdue = [
            OverdueDeadline(
                matter_number=d.matter_number,
                office=d.office,
                office_label=office_label(pack, d.office),
                duty=d.duty,
                label=d.label,
                due_on=d.due_on,
                citations=list(d.citations),
            )
            for d in missed
        ]
        backlogs = sorted(
            (
                Backlog(code=code, label=office_label(pack, code), open=n, oldest_routed_on=oldest)
                for code, n, oldest in open_slips
                if n
            ),
            key=lambda b: (-b.open, b.label),
        )
        return HalfYearReport(
            stamp=self.stamp(pack, "half_year", period, "半年", scope, period.start, choices),
            figures=figures,
            previous_period_start=before.start,
            previous_period_end=before.end,
            previous=previous,
            trend=trend,
            overdue_deadlines=overdue,
            overdue_by_office=counts(((d.office, 1) for d in missed), lambda c: office_label(pack, c)),
            backlogs=backlogs,
        )

    async def statistics(
        self, principal: Principal, start: dt.date, end: dt.date, *, client_address: str | None = None
    ) -> StatisticsReport:
        """Matters decided, persons and organisations held accountable, persons by measure group
        and by cadre level, as the Hubei report counts them."""
        pack = self.packs(principal.tenant)
        period = Period(start, end)
        visibility, scope = self.visibility(principal, pack)
        async with self.uow() as uow:
            decided = await uow.repos.reports.matter_counts(pack.tenant, start, end, visibility)
            rows = await uow.repos.reports.measures(pack.tenant, start, end, visibility)
            choices = await uow.repos.interpretations.choices(pack.tenant)
            await self._audit(uow, principal, client_address, "statistics", period)
        targets = _targets(rows)
        persons = {key: t for key, t in targets.items() if t["kind"] == "person"}
        groups = self.group_labels(pack)
        by_group: Counter[str] = Counter()
        by_level: dict[str | None, Counter[str]] = defaultdict(Counter)
        persons_by_level: Counter[str | None] = Counter()
        for target in persons.values():
            found = {measure_group(pack, m) for m in target["measures"]}
            persons_by_level[target["level"]] += 1
            for group in found:
                by_group[group] += 1
                by_level[target["level"]][group] += 1
        return StatisticsReport(
            stamp=self.stamp(pack, "statistics", period, "自定义期间", scope, start, choices),
            matters=decided["decided"],
            persons=len(persons),
            organisations=sum(1 for t in targets.values() if t["kind"] == "organisation"),
            persons_by_group=[Count(code=g, label=groups[g], count=by_group[g]) for g in groups],
            by_level=sorted(
                (
                    LevelFigures(
                        code=level,
                        label=level_label(pack, level),
                        persons=n,
                        by_group=[Count(code=g, label=groups[g], count=by_level[level][g]) for g in groups],
                    )
                    for level, n in persons_by_level.items()
                ),
                key=lambda f: (-f.persons, f.label),
            ),
        )

    async def monthly_trend(self, principal: Principal, year: int, month: int) -> MonthlyTrend:
        """Matters received, accepted and decided in each of the twelve months up to this one."""
        pack = self.packs(principal.tenant)
        visibility, scope = self.visibility(principal, pack)
        starts = [month_start(year, month)]
        while len(starts) < TREND_MONTHS:
            starts.insert(0, previous_month(starts[0]))
        points = []
        async with self.uow() as uow:
            choices = await uow.repos.interpretations.choices(pack.tenant)
            for start in starts:
                period = calendar_month(start.year, start.month)
                n = await uow.repos.reports.matter_counts(pack.tenant, period.start, period.end, visibility)
                points.append(
                    MonthPoint(
                        month=f"{start:%Y-%m}", received=n["received"], accepted=n["accepted"], decided=n["decided"]
                    )
                )
        whole = Period(starts[0], calendar_month(year, month).end)
        stamp = self.stamp(pack, "month_end", whole, "自然月", scope, starts[-1], choices)
        return MonthlyTrend(stamp=stamp, months=points)

    # -- parts -----------------------------------------------------------------------------

    async def _totals(
        self, reports: ReportRepository, pack: RulePack, period: Period, visibility: Visibility
    ) -> Totals:
        matters = await reports.matter_counts(pack.tenant, period.start, period.end, visibility)
        targets = _targets(await reports.measures(pack.tenant, period.start, period.end, visibility))
        return _totals(matters, targets)

    async def _figures(
        self, reports: ReportRepository, pack: RulePack, period: Period, visibility: Visibility
    ) -> Figures:
        tenant, start, end = pack.tenant, period.start, period.end
        matters = await reports.matter_figures(tenant, start, end, visibility)
        rows = await reports.measures(tenant, start, end, visibility)
        targets = _targets(rows)
        groups = self.group_labels(pack)
        offices = sorted(
            (
                OfficeFigures(
                    code=code,
                    label=office_label(pack, code),
                    routed=routed,
                    decided=decided,
                    open_at_end=still_open,
                )
                for code, routed, decided, still_open in await reports.office_figures(tenant, start, end, visibility)
                if routed or decided or still_open
            ),
            key=lambda o: (-o.routed, -o.open_at_end, o.label, o.code or ""),
        )
        return Figures(
            totals=_totals(matters.totals, targets),
            by_source=counts(matters.by_source.items(), lambda c: source_label(pack, c)),
            by_form=counts(matters.by_form.items(), lambda c: pack.label("forms", c) if c else NOT_GIVEN),
            by_measure=counts(((row[5], 1) for row in rows), lambda c: measure_label(pack, c or "")),
            by_measure_group=counts(((measure_group(pack, row[5]), 1) for row in rows), lambda c: groups[c or OTHER]),
            by_cadre_level=counts(
                ((t["level"], 1) for t in targets.values() if t["kind"] == "person"), lambda c: level_label(pack, c)
            ),
            by_unit=counts(((t["unit"], 1) for t in targets.values()), lambda c: c or NOT_GIVEN),
            by_office=offices,
        )

    def group_labels(self, pack: RulePack) -> dict[str, str]:
        labels = pack.vocabulary.get(GROUP_VOCABULARY, {})
        return {group: labels.get(group, group) for group in (SANCTION, ORGANISATIONAL, OTHER)}

    def stamp(
        self,
        pack: RulePack,
        kind: ReportKind,
        period: Period,
        cut_off: str,
        scope: str,
        duties_from: dt.date,
        choices: Sequence[ReadingChoice],
        *,
        title: str | None = None,
    ) -> Stamp:
        evaluation = reporting_duties(pack, duties_from, choices)
        duties: list[Duty] = []
        documents = [
            d.number or d.id
            for d in pack.documents
            if (d.in_force_from is None or d.in_force_from <= period.end)
            and (d.in_force_until is None or d.in_force_until > period.start)
        ]
        if evaluation is not None:
            for fired in evaluation.explanation:
                due = next(
                    (
                        dt.date.fromisoformat(str(v["due"]))
                        for v in fired.outputs.values()
                        if isinstance(v, dict) and v.get("due")
                    ),
                    None,
                )
                duties.append(Duty(label=fired.description, due=due, citations=[c.text for c in fired.citations]))
        return Stamp(
            tenant=pack.tenant,
            tenant_title=pack.title,
            kind=kind,
            title=title or KIND_TITLES[kind],
            period_start=period.start,
            period_end=period.end,
            cut_off=cut_off,
            rule_pack=pack.tenant,
            rule_pack_version=pack.version,
            documents=sorted(documents),
            duties=duties,
            interpretations=readings_stamp(pack, period, choices),
            scope=scope,
        )

    async def _audit(
        self, uow: Any, principal: Principal, client_address: str | None, kind: str, period: Period
    ) -> None:
        # Reading the figures is recorded as review records its lists: who read which report.
        record = AuditRecord(
            actor=principal.username,
            office=principal.office,
            action="report.read",
            object_kind="report",
            object_id=kind,
            client_address=client_address,
            detail={"period_start": period.start.isoformat(), "period_end": period.end.isoformat()},
        )
        await uow.repos.audit.append(principal.tenant, [record])
        await uow.commit()


def _targets(
    rows: Sequence[tuple[str, int, str, str | None, str | None, str]],
) -> dict[tuple[str, int], dict[str, Any]]:
    """One entry per decided target (a decision's target index) with its measures."""
    targets: dict[tuple[str, int], dict[str, Any]] = {}
    for decision_id, index, kind, level, unit, measure in rows:
        target = targets.setdefault((decision_id, index), {"kind": kind, "level": level, "unit": unit, "measures": []})
        target["measures"].append(measure)
    return targets


def _totals(matters: dict[str, int], targets: dict[tuple[str, int], dict[str, Any]]) -> Totals:
    return Totals(
        **matters,
        persons=sum(1 for t in targets.values() if t["kind"] == "person"),
        organisations=sum(1 for t in targets.values() if t["kind"] == "organisation"),
        measures=sum(len(t["measures"]) for t in targets.values()),
    )


def readings_stamp(pack: RulePack, period: Period, choices: Sequence[ReadingChoice]) -> list[StampedReading]:
    """Every interpretation point of the pack with the reading in force on the period's first
    day, and each reading that takes over within the period from the day it does: the figures
    were counted under these."""
    stamped = []
    changes = sorted({c.effective_from for c in choices if period.start < c.effective_from <= period.end})
    for point in pack.points:
        held: str | None = None
        for day in [period.start, *changes]:
            reading_id = readings_in_force(choices, day).get(point.id, point.default)
            if reading_id == held:
                continue
            held = reading_id
            reading = point.reading(reading_id)
            stamped.append(
                StampedReading(
                    point=point.id,
                    question=point.question.strip(),
                    reading=reading_id,
                    label=reading.label if reading is not None else reading_id,
                    default=reading_id == point.default,
                    in_force_from=day,
                    citations=[a.citation.text for a in point.articles],
                )
            )
    return stamped
