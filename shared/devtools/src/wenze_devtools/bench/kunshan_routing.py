"""Kunshan's routing decision written by hand in Python: the baseline of the rules engine's figure.

The same tables as ``shared/rulesets/kunshan/decisions/routing.yaml`` in plain ``if``
statements, as a developer would write them without a rules engine, building the same kind
of explanation record (each fired rule with the table it belongs to, the facts its condition
read, what it set and the articles it cites). ``tests/unit/bench/test_rules_bench.py`` checks
that it answers exactly as the pack does over every combination of the facts, so the
baseline cannot drift from the decision it stands for.
"""

from __future__ import annotations

from typing import Any

from wenze.rules import get_pack

_PARTICIPANTS = [
    "party_conduct_office",
    "case_management_office",
    "case_trial_office",
    "discipline_supervision_office",
    "review_investigation_office",
]
_ESCALATION = [
    {
        "step": "leaders_in_charge",
        "actor": "leader_in_charge",
        "with": ["party_conduct_office", "case_management_office"],
        "action": "党风政风监督室和案件监督管理室双方分管领导商议决定",
    },
    {
        "step": "secretary_special_meeting",
        "actor": "secretary_special_meeting",
        "action": "商议后仍有分歧的提交书记专题会研究",
    },
]
_DEPARTMENT_SECTORS = frozenset({"city_department", "people_organisation", "direct_unit", "state_enterprise"})


def _citations() -> dict[str, list]:
    """Each rule's citations, resolved once from the pack (as a hand-written module would
    hold them as constants)."""
    decision = get_pack("kunshan")._pack.decisions["routing"]
    return {rule.id: rule.citation_list for rule in decision.rules()}


class KunshanRouting:
    def __init__(self) -> None:
        self.citations = _citations()

    def __call__(self, facts: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        kind = facts["target_kind"]
        cadre = facts.get("cadre_level")
        org = facts.get("organisation_level")
        sector = facts["sector"]
        forms = frozenset(facts.get("proposed_forms") or ())
        multiple = bool(facts.get("multiple_parties", False))
        key_supervised = bool(facts.get("key_supervised", False))
        cite = self.citations
        out: dict[str, Any] = {}
        fired: list[dict[str, Any]] = []

        def fire(table: str, rule: str, read: dict[str, Any], **outputs: Any) -> None:
            out.update(outputs)
            fired.append({"table": table, "rule": rule, "facts": read, "outputs": outputs, "citations": cite[rule]})

        # target_class (first hit, required)
        if kind == "person" and cadre == "city_managed":
            fire(
                "target_class",
                "class_city_managed_cadre",
                {"target_kind": kind, "cadre_level": cadre},
                target_class="major",
            )
        elif kind == "organisation" and org == "township_section":
            fire(
                "target_class",
                "class_township_organisation",
                {"target_kind": kind, "organisation_level": org},
                target_class="major",
            )
        elif kind == "person" and cadre == "not_city_managed":
            fire("target_class", "class_other_cadre", {"target_kind": kind, "cadre_level": cadre}, target_class="minor")
        elif kind == "organisation" and org == "below_township_section":
            fire(
                "target_class",
                "class_lower_organisation",
                {"target_kind": kind, "organisation_level": org},
                target_class="minor",
            )
        elif kind == "unknown":
            fire("target_class", "class_undetermined", {"target_kind": kind}, target_class="undetermined")
        else:
            raise ValueError("no target class for these facts")
        cls = out["target_class"]
        major = cls == "major"

        # consultation (first hit, required)
        if major:
            fire(
                "consultation",
                "consultation_required",
                {"target_class": cls},
                consultation_required=True,
                consultation_lead="party_conduct_office",
                consultation_participants=list(_PARTICIPANTS),
                consultation_signed_by_each=True,
                routing_approved_by=["commission_leaders"],
            )
        else:
            fire("consultation", "consultation_not_required", {"target_class": cls}, consultation_required=False)

        # handler (first hit, required)
        forms_read = {"target_class": cls, "proposed_forms": sorted(forms)}
        if major and (
            ("form_1" in forms and forms & {"form_2", "form_3", "form_4"})
            or ("form_2" in forms and forms & {"form_3", "form_4"})
        ):
            fire("handler", "handler_mixed_forms", forms_read, handler_by_consultation=True)
        elif major and multiple:
            fire(
                "handler",
                "handler_multiple_parties",
                {"target_class": cls, "multiple_parties": multiple},
                handler_by_consultation=True,
            )
        elif major and kind == "organisation":
            fire(
                "handler",
                "handler_organisation",
                {"target_class": cls, "target_kind": kind},
                handler="discipline_supervision_office",
            )
        elif major and kind == "person" and not forms:
            fire(
                "handler",
                "handler_no_form_yet",
                {"target_class": cls, "target_kind": kind, "proposed_forms": []},
                handler_by_consultation=True,
            )
        elif major and forms <= {"form_1", "form_2"}:
            fire("handler", "handler_forms_1_2", forms_read, handler="discipline_supervision_office")
        elif major and forms <= {"form_3", "form_4"}:
            fire(
                "handler",
                "handler_forms_3_4",
                forms_read,
                handler="review_investigation_office",
                cc=["case_management_office"],
            )
        elif cls == "minor" and sector == "district_town":
            fire(
                "handler",
                "handler_lower_district_town",
                {"target_class": cls, "sector": sector},
                handler="district_town_commission",
                cc=["discipline_supervision_office"],
            )
        elif cls == "minor" and sector in _DEPARTMENT_SECTORS:
            fire(
                "handler",
                "handler_lower_department",
                {"target_class": cls, "sector": sector},
                handler="dispatched_organ",
                cc=["discipline_supervision_office"],
            )
        elif cls == "undetermined" and sector == "district_town":
            fire(
                "handler",
                "investigate_undetermined_district_town",
                {"target_class": cls, "sector": sector},
                investigated_by="discipline_supervision_office",
                investigated_with=["district_town_commission"],
                recommendation_to="party_conduct_office",
                reclassify_after_investigation=True,
            )
        elif cls == "undetermined" and sector in _DEPARTMENT_SECTORS:
            fire(
                "handler",
                "investigate_undetermined_department",
                {"target_class": cls, "sector": sector},
                investigated_by="discipline_supervision_office",
                recommendation_to="party_conduct_office",
                reclassify_after_investigation=True,
            )
        else:
            raise ValueError("no handler for these facts")

        # handler_candidates (collect)
        if out.get("handler_by_consultation") is True:
            read = {"handler_by_consultation": True, "target_kind": kind, "proposed_forms": sorted(forms)}
            candidates: list[str] = []
            if kind == "organisation" or forms & {"form_1", "form_2"} or not forms:
                candidates.append("discipline_supervision_office")
                fired.append(
                    {
                        "table": "handler_candidates",
                        "rule": "candidate_supervision_office",
                        "facts": read,
                        "outputs": {"handler_candidates": ["discipline_supervision_office"]},
                        "citations": cite["candidate_supervision_office"],
                    }
                )
            if forms & {"form_3", "form_4"} or not forms:
                candidates.append("review_investigation_office")
                fired.append(
                    {
                        "table": "handler_candidates",
                        "rule": "candidate_investigation_office",
                        "facts": {"handler_by_consultation": True, "proposed_forms": sorted(forms)},
                        "outputs": {"handler_candidates": ["review_investigation_office"]},
                        "citations": cite["candidate_investigation_office"],
                    }
                )
            if candidates:
                out["handler_candidates"] = candidates

        # joint_review (first hit, required)
        if major or key_supervised:
            fire(
                "joint_review",
                "joint_review_ahead",
                {"target_class": cls, "key_supervised": key_supervised},
                joint_review_required=True,
            )
        else:
            fire(
                "joint_review",
                "no_joint_review_ahead",
                {"target_class": cls, "key_supervised": key_supervised},
                joint_review_required=False,
            )

        # consultation_escalation (first hit)
        if out["consultation_required"]:
            fire(
                "consultation_escalation",
                "consultation_escalation_chain",
                {"consultation_required": True},
                consultation_escalation=_ESCALATION,
            )
        return out, fired
