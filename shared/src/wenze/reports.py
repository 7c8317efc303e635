"""What every report counts, in the words reports, their exports and the console show: one
list, so a report's totals and the page showing them cannot name a figure differently."""

from __future__ import annotations

TOTAL_LABELS: dict[str, str] = {
    "received": "收到问责事项",
    "accepted": "受理",
    "rejected": "不予受理或移交",
    "routed": "分办",
    "consultations": "提请会商",
    "decided": "作出问责决定的事项",
    "persons": "问责人次（个人）",
    "organisations": "问责党组织（个）",
    "measures": "问责措施（项）",
}
