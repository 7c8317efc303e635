"""The documents of the seed attachments, issued for a matter: numbered once by the pack's
pattern, filled from what notification knows of the matter, rendered as DOCX and PDF."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from wenze.auth.access import MatterAccess, may_read
from wenze.auth.principal import Principal
from wenze.ids import new_id
from wenze.problems import invalid
from wenze.rules import RulePack
from wenze_notification.audit import audit
from wenze_notification.documents import render
from wenze_notification.documents.forms import FormSpec, forms_of
from wenze_notification.documents.models import IssuedDocument
from wenze_notification.errors import DocumentKindUnknown, DocumentNotReady, MatterNotFound, found
from wenze_notification.matters.models import KnownMatter
from wenze_notification.notices.recipients import label_of
from wenze_notification.repositories import NotificationUnitOfWork, NotificationUnitOfWorkFactory, kept

# The forms whose numbers review gives (KnownMatter attribute -> what review concludes).
REVIEW_NUMBERED = {"consultation": "consultation (会商)", "joint_review": "joint review (会审)"}


class DocumentService:
    def __init__(
        self,
        uow: NotificationUnitOfWorkFactory,
        *,
        packs: Callable[[str], RulePack],
        clock: Callable[[], dt.datetime],
        font: Callable[[], Any],
    ) -> None:
        self.uow = uow
        self.packs = packs
        self.clock = clock
        self.font = font

    def forms(self, tenant: str) -> dict[str, FormSpec]:
        return forms_of(self.packs(tenant).directory)

    async def issue(
        self, principal: Principal, matter_id: str, kind: str, target: str | None, *, client_address: str | None
    ) -> IssuedDocument:
        """The document of ``kind`` for the matter (and person ``target``), issued now if it
        was not before: a document keeps the number it was first given."""
        pack = self.packs(principal.tenant)
        spec = self.forms(principal.tenant).get(kind)
        if spec is None:
            raise DocumentKindUnknown(
                f"the pack of {principal.tenant} has no form {kind!r}; it has {sorted(self.forms(principal.tenant))}"
            )
        async with self.uow() as uow:
            matter = await self._readable(uow, principal, matter_id)
            subject_key = target or ""
            existing = await uow.repos.documents.issued(principal.tenant, matter.matter_id, kind, subject_key)
            if existing is not None:
                return kept(uow, existing)
            issued_on = pack.local_date(self.clock())
            number = await self._number(uow, pack, spec, matter, issued_on)
            fields = fields_of(pack, matter, number=number, issued_on=issued_on, target=target, issuer=principal)
            document = IssuedDocument(
                id=new_id(),
                tenant=principal.tenant,
                matter_id=matter.matter_id,
                kind=kind,
                subject_key=subject_key,
                number=number,
                issued_on=issued_on,
                fields=fields,
                issued_by=principal.username,
            )
            uow.repos.documents.add(document)
            await uow.repos.audit.append(
                principal.tenant,
                [
                    audit(
                        principal,
                        client_address,
                        "document.issue",
                        "document",
                        document.id,
                        matter_id=matter.matter_id,
                        kind=kind,
                        number=number,
                        cite=spec.cite,
                    )
                ],
            )
            await uow.commit()
            return kept(uow, document)

    async def of_matter(self, principal: Principal, matter_id: str) -> list[IssuedDocument]:
        async with self.uow() as uow:
            matter = await self._readable(uow, principal, matter_id)
            return kept(uow, await uow.repos.documents.of_matter(principal.tenant, matter.matter_id))

    async def rendered(self, principal: Principal, matter_id: str, kind: str, subject_key: str, fmt: str) -> bytes:
        async with self.uow() as uow:
            matter = await self._readable(uow, principal, matter_id)
            document = kept(
                uow, await uow.repos.documents.issued(principal.tenant, matter.matter_id, kind, subject_key)
            )
        if document is None:
            raise DocumentKindUnknown(f"no {kind} has been issued for the matter")
        spec = self.forms(principal.tenant).get(kind)
        if spec is None:
            raise DocumentKindUnknown(f"the pack has no form {kind!r} any more")
        filled = spec.fill(document.fields)
        # Setting a page is CPU work of a second or so: off the event loop, which serves other requests meanwhile.
        if fmt == "pdf":
            return await asyncio.to_thread(render.to_pdf, filled, self.font())
        return await asyncio.to_thread(render.to_docx, filled)

    async def _readable(self, uow: NotificationUnitOfWork, principal: Principal, matter_id: str) -> KnownMatter:
        matter = await found(
            matter_id, MatterNotFound, "matter", lambda: uow.repos.matters.get(principal.tenant, matter_id)
        )
        if not may_read(principal, access_of(matter)):
            raise MatterNotFound(f"no matter {matter_id} for the caller")
        return matter

    @staticmethod
    async def _number(
        uow: NotificationUnitOfWork, pack: RulePack, spec: FormSpec, matter: KnownMatter, issued_on: dt.date
    ) -> str:
        # The slip's number is routing's: the form shows it rather than numbering the slip again.
        if spec.numbering == "routing_slip" and matter.slip_number:
            return matter.slip_number
        # Review numbers its consultations and joint reviews when they open; a second number
        # of the same pattern from here would give one 会商表 or 会审表 two.
        if spec.numbering in REVIEW_NUMBERED:
            deliberation = getattr(matter, spec.numbering) or {}
            if not deliberation.get("number"):
                raise DocumentNotReady(
                    f"the {spec.numbering.replace('_', ' ')} form takes review's number, which review has not "
                    f"announced for this matter: its {REVIEW_NUMBERED[spec.numbering]} has not concluded"
                )
            return str(deliberation["number"])
        if spec.numbering not in pack.number_kinds():
            raise invalid(
                "kind", f"the pack numbers no {spec.numbering!r} documents", code="document_numbering_unknown"
            )
        sequence = await uow.repos.documents.reserve_number(pack.tenant, spec.numbering, issued_on.year)
        return pack.number(spec.numbering, issued_on.year, sequence, issued_on)


def access_of(matter: KnownMatter) -> MatterAccess:
    consultation = matter.consultation or {}
    return MatterAccess.of(
        offices=[matter.handler, *matter.cc, consultation.get("lead"), *consultation.get("participants", [])],
        levels=[t.get("cadre_level") or t.get("org_level") for t in matter.targets],
        units=[t.get("unit") for t in matter.targets],
    )


def chinese_date(day: dt.date | str | None) -> str:
    if day is None:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return f"{day.year}年{day.month}月{day.day}日"


def contact_of(pack: RulePack, issuer: Principal) -> str:
    """Who the addressee may call about a letter: the issuing officer and their office."""
    name = issuer.claims.get("name")
    office = issuer.office_name or (label_of(pack, issuer.office) if issuer.office else "")
    return f"{office} {name if isinstance(name, str) and name else issuer.username}".strip()


def fields_of(
    pack: RulePack, matter: KnownMatter, *, number: str, issued_on: dt.date, target: str | None, issuer: Principal
) -> dict[str, Any]:
    """Every field a form may show, from the matter, as the form's reader reads them (labels, Chinese dates)."""
    consultation = matter.consultation or {}
    decision = matter.decision or {}
    handler = matter.handler or consultation.get("handler")
    participants = [consultation.get("lead"), *consultation.get("participants", [])]
    offices = [code for code in dict.fromkeys(participants) if code] or [c for c in [handler, *matter.cc] if c]
    source = label_of(pack, matter.source) if matter.source else ""
    if matter.source_reference:
        source = f"{source}（{matter.source_reference}）"
    persons = [
        {
            "name": m["target"].get("name") or "",
            "post": m["target"].get("post") or "",
            "unit": m["target"].get("unit") or "",
            "measures": "、".join(label_of(pack, code) for code in m.get("measures", [])),
            "basis": "、".join(decision.get("citations", [])),
            "implemented_by": label_of(pack, handler) if handler else "",
        }
        for m in decision.get("measures", [])
    ]
    chosen = next((p for p in persons if target and p["name"] == target), persons[0] if persons else None)
    return {
        "number": number,
        "issued_on": chinese_date(issued_on),
        "matter_number": matter.number,
        "source": source,
        "summary": matter.summary,
        "facts": matter.facts or "",
        "handler": label_of(pack, handler) if handler else "",
        "cc": "、".join(label_of(pack, code) for code in matter.cc),
        "participants": "、".join(label_of(pack, code) for code in offices),
        "persons": persons,
        "person": chosen
        or {"name": target or "", "post": "", "unit": "", "measures": "", "basis": "", "implemented_by": ""},
        "decision_number": decision.get("number", ""),
        "decided_on": chinese_date(decision.get("decided_on")),
        "contact": contact_of(pack, issuer),
    }
