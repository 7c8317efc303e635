"""Small synchronous HTTP clients for the services' APIs, turning problem+json answers into
exceptions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import quote

import httpx

DEFAULT_INTAKE_URL = "http://127.0.0.1:8001"
DEFAULT_REVIEW_URL = "http://127.0.0.1:8003"
DEFAULT_EXECUTION_URL = "http://127.0.0.1:8004"
DEFAULT_NOTIFICATION_URL = "http://127.0.0.1:8005"

IMPORT_MEDIA_TYPES = {
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ApiError(Exception):
    """Any failure talking to the API; the CLI turns it into a message and an exit code."""


class ProblemError(ApiError):
    """The API answered with an error status; ``problem`` is the RFC 9457 body (or one made up
    from the status when the body was not a problem document, e.g. from a proxy)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}".strip())


class Unreachable(ApiError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach {url}: {reason}")


def media_type_for(path: Path) -> str | None:
    return IMPORT_MEDIA_TYPES.get(path.suffix.lower())


def _problem_from(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and ("title" in body or "type" in body):
        body.setdefault("status", response.status_code)
        return body
    text = response.text.strip()
    return {
        "type": "about:blank",
        "title": response.reason_phrase or "HTTP error",
        "status": response.status_code,
        **({"detail": text[:500]} if text else {}),
    }


class ApiClient:
    def __init__(
        self, base_url: str, token: str | None, *, timeout: float = 60.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(self.base_url, str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ProblemError(response.status_code, _problem_from(response))
        return response

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object a call answers with."""
        data = self._request(method, path, **kwargs).json()
        if not isinstance(data, dict):
            raise ApiError(f"{method} {path} answered with JSON that is not an object")
        return data


class IntakeClient(ApiClient):
    def submit(self, body: Mapping[str, Any], *, idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """Returns the matter and whether the answer replays an earlier submission."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self._request("POST", "/v1/matters", json=body, headers=headers)
        return response.json(), response.headers.get("Idempotency-Replayed") == "true"

    def list_page(self, filters: Mapping[str, Any], *, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
        params = {k: str(v) for k, v in filters.items() if v is not None}
        params["limit"] = str(limit)
        if cursor:
            params["cursor"] = cursor
        return self._object("GET", "/v1/matters", params=params)

    def list_all(
        self, filters: Mapping[str, Any], *, cursor: str | None = None, limit: int = 200
    ) -> Iterator[dict[str, Any]]:
        while True:
            page = self.list_page(filters, cursor=cursor, limit=limit)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def get(self, matter_id: str) -> dict[str, Any]:
        return self._object("GET", f"/v1/matters/{matter_id}")

    def matter_id(self, reference: str) -> str:
        """The id of the matter ``reference`` names: its id, or its number (KS-2026-00002)."""
        if _is_uuid(reference):
            return reference
        page = self.list_page({"number": reference}, limit=1)
        if not page["items"]:
            raise ProblemError(
                404,
                {"title": "Not found", "status": 404, "detail": f"no matter numbered {reference} that you may read"},
            )
        found: str = page["items"][0]["id"]
        return found

    def timeline(self, matter_id: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._request("GET", f"/v1/matters/{matter_id}/timeline").json()
        return entries

    def sources(self) -> list[dict[str, Any]]:
        sources: list[dict[str, Any]] = self._request("GET", "/v1/sources").json()
        return sources

    def accept(self, matter_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._object("POST", f"/v1/matters/{matter_id}/acceptance", json=body)

    def accept_import(self, job_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        # Intake answers once every matter is accepted: minutes for a city's screening (409,112
        # matters took 165 s on two busy cores), so the answer is waited for however long.
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        return self._object("POST", f"/v1/matter-imports/{job_id}/acceptance", json=body, timeout=timeout)

    def start_import(self, content: IO[bytes] | bytes, *, media_type: str, filename: str | None) -> dict[str, Any]:
        headers = {"Content-Type": media_type}
        if filename:
            # Header values are ASCII on the wire: the name travels percent-encoded, as intake reads it.
            headers["X-Filename"] = quote(filename)
        return self._object("POST", "/v1/matter-imports", content=content, headers=headers)

    def get_import(self, job_id: str) -> dict[str, Any]:
        return self._object("GET", f"/v1/matter-imports/{job_id}")

    def import_errors(self, job_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        page = self._object("GET", f"/v1/matter-imports/{job_id}/errors", params={"limit": str(limit)})
        items: list[dict[str, Any]] = page["items"]
        return items


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class ReviewClient(ApiClient):
    def tasks(self, state: str | None) -> list[dict[str, Any]]:
        params = {"state": state} if state else {}
        tasks: list[dict[str, Any]] = self._request("GET", "/v1/tasks", params=params).json()
        return tasks

    def work_queue(self, *, limit: int = 50, offset: int = 0, matter_id: str | None = None) -> dict[str, Any]:
        """A page of the office's open tasks, each with its matter's number, summary and targets
        (``items``), and how many there are in all (``total``)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if matter_id is not None:
            params["matter_id"] = matter_id
        return self._object("GET", "/v1/work-queue", params=params)

    def claim(self, task_id: str) -> dict[str, Any]:
        return self._object("POST", f"/v1/tasks/{task_id}/claim")

    def reassign(self, task_id: str, username: str) -> dict[str, Any]:
        return self._object("POST", f"/v1/tasks/{task_id}/reassign", json={"username": username})

    def matter_timeline(self, matter_id: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._request("GET", f"/v1/matters/{matter_id}/timeline").json()
        return entries

    def subject(self, task: Mapping[str, Any]) -> dict[str, Any]:
        """What a task is about, as review shows it (its matter's number and summary among
        the rest): the consultation or joint review a deliberation task is on, else the case."""
        kind = str(task["kind"])
        if kind.startswith("consultation_"):
            return self._object("GET", f"/v1/consultations/{task['subject_id']}")
        if kind.startswith("joint_review_"):
            return self._object("GET", f"/v1/joint-reviews/{task['subject_id']}")
        return self._object("GET", f"/v1/cases/{task['case_id']}")

    def cases(self, matter_id: str) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = self._request("GET", "/v1/cases", params={"matter_id": matter_id}).json()
        return cases

    def act(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One step of the review procedure: a signature, an approval, findings, a recommendation…"""
        return self._object("POST", path, json=body)


class RoutingClient(ApiClient):
    def slips(self, matter_id: str) -> list[dict[str, Any]]:
        slips: list[dict[str, Any]] = self._request("GET", "/v1/slips", params={"matter_id": matter_id}).json()
        return slips

    def points(self) -> dict[str, Any]:
        """The tenant's interpretation points, each with the reading in force today."""
        return self._object("GET", "/v1/rules/points")


class ReportingClient(ApiClient):
    """Reporting's calls a page needs: where one matter is now across every service, the
    reports with their charts and exports, and the case library."""

    def progress(self, matter_id: str) -> dict[str, Any]:
        return self._object("GET", f"/v1/matters/{quote(matter_id, safe='')}/progress")

    def report(self, kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A report as JSON: ``kind`` is ``monthly``, ``month-end``, ``half-year`` or ``statistics``."""
        return self._object("GET", f"/v1/reports/{quote(kind, safe='')}", params=dict(params))

    def report_file(self, kind: str, params: Mapping[str, Any], fmt: str) -> httpx.Response:
        """A report's export (``csv`` or ``xlsx``), with reporting's media type and file name."""
        return self._request("GET", f"/v1/reports/{quote(kind, safe='')}", params={**params, "format": fmt})

    def chart(self, chart: str, year: int, month: int, fmt: str) -> httpx.Response:
        """A chart (``png`` or ``svg``) as reporting draws it."""
        params = {"year": year, "month": month, "format": fmt}
        return self._request("GET", f"/v1/reports/charts/{quote(chart, safe='')}", params=params)

    def cases(self, year: int, month: int, *, typical_only: bool = False) -> dict[str, Any]:
        """The month's decided cases of the case library, each saying whether it is typical."""
        params: dict[str, Any] = {"year": year, "month": month, **({"typical": "true"} if typical_only else {})}
        return self._object("GET", "/v1/case-library", params=params)

    def case_notice(self, year: int, month: int) -> dict[str, Any]:
        """The draft public notice naming the month's typical cases (needs ``case_library:curate``)."""
        return self._object("GET", "/v1/case-library/notice", params={"year": year, "month": month})

    def mark_typical(self, decision_id: str, reason: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        path = f"/v1/case-library/{quote(decision_id, safe='')}/typical"
        return self._object("POST", path, json={"reason": reason}, headers=headers)

    def withdraw_typical(self, decision_id: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._object("POST", f"/v1/case-library/{quote(decision_id, safe='')}/typical/withdraw", headers=headers)

    def anonymised_cases(self, year: int, month: int, fmt: str) -> httpx.Response:
        """The month's cases without names or numbers (``json`` or ``csv``), as reporting writes them."""
        return self._request("GET", "/v1/case-library/anonymised", params={"year": year, "month": month, "format": fmt})


class ExecutionClient(ApiClient):
    """Sanction-execution's reads: an office's open deadlines, a matter's executions."""

    def deadlines(self, office: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._request("GET", f"/v1/offices/{quote(office, safe='')}/deadlines").json()
        return found

    def executions(self, *, matter_id: str) -> list[dict[str, Any]]:
        """The executions of a matter's decisions the caller may read, with their steps and deadlines."""
        found: list[dict[str, Any]] = self._request("GET", "/v1/executions", params={"matter_id": matter_id}).json()
        return found


class NotificationClient(ApiClient):
    """The notification service's operator calls: the deliveries and their re-drive."""

    def deliveries(self, state: str | None, limit: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit, **({"state": state} if state else {})}
        data = self._request("GET", "/v1/deliveries", params=params).json()
        if not isinstance(data, list):
            raise ApiError("GET /v1/deliveries answered with JSON that is not a list")
        return data

    def attempts(self, delivery_id: str) -> dict[str, Any]:
        return self._object("GET", f"/v1/deliveries/{delivery_id}/attempts")

    def redrive(self, delivery_id: str) -> dict[str, Any]:
        return self._object("POST", f"/v1/deliveries/{delivery_id}/redrive")
