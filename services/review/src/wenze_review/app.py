"""The review service: consultations (会商), investigations, recommendations, joint reviews
(会审), approvals, hearings (陈述申辩), decisions, escalations.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze_review.config import ReviewSettings
from wenze_review.repositories import make_repositories

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: ReviewSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or ReviewSettings(),
        title="Wenze review",
        description=(
            "Review of routed matters: consultations (会商), investigations, recommendations, "
            "joint reviews (会审), approvals, hearings (陈述申辩), decisions and escalations."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
    )
