"""The images themselves, not the source tree: intake, routing and review run as containers
(through testcontainers, on whatever engine ``DOCKER_HOST`` names: Docker, or podman's Docker
API) the way a deployment runs them, against the session's PostgreSQL, NATS and test issuer on
this host. ``make smoke-images`` runs it after ``make images``; without an engine or without the
images it skips, naming which (docs/operations/images.md)."""

from __future__ import annotations

import os
import resource
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from docker.errors import DockerException, ImageNotFound
from docker.types import Ulimit
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.docker_client import DockerClient, get_docker_host

from wenze_devtools.testing.infra import NatsServer, free_port, service_env

pytestmark = [pytest.mark.integration, pytest.mark.containers]

SERVICES = ("intake", "routing", "review")
DATA_DIR = "/var/lib/wenze"
READY_SECONDS = 180.0
# `docker stop`'s grace period before SIGKILL: a worker that ignored SIGTERM would take all of
# it and end with 137.
STOP_GRACE_SECONDS = 30
REPOSITORY = Path(__file__).resolve().parents[1]


def image_tag() -> str:
    """``WENZE_IMAGE_TAG``, else the tag ``make images`` gives by default (``git describe``)."""
    if tag := os.environ.get("WENZE_IMAGE_TAG"):
        return tag
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPOSITORY, capture_output=True, text=True
    )
    return described.stdout.strip() if described.returncode == 0 and described.stdout.strip() else "dev"


def image_name(service: str) -> str:
    return f"{os.environ.get('WENZE_IMAGE_PREFIX', 'localhost/wenze')}/{service}:{image_tag()}"


@pytest.fixture(scope="session")
def container_images() -> Iterator[dict[str, str]]:
    """The engine and the three images, or a skip saying which is missing. Listed first by the
    test so that it skips before any database, NATS server or issuer is started."""
    where = get_docker_host() or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = DockerClient(timeout=5)
        client.client.ping()
    except DockerException as exc:
        pytest.skip(f"no container engine answers at {where}: {exc}")
    images = {service: image_name(service) for service in SERVICES}
    for image in images.values():
        try:
            client.client.images.get(image)
        except ImageNotFound:
            pytest.skip(f"image {image} missing at {where} (make images IMAGE_TAG={image_tag()})")
    client.client.close()
    # Ryuk, testcontainers' reaper, is an image from a registry this host may not reach; the
    # fixtures below remove every container and volume they make.
    was_disabled = testcontainers_config.ryuk_disabled
    testcontainers_config.ryuk_disabled = True
    yield images
    testcontainers_config.ryuk_disabled = was_disabled


def container(image: str, command: list[str], env: dict[str, str], volume: str, name: str) -> DockerContainer:
    """A container as the chart runs one: read-only root, user 10001, no capabilities, the
    data directory and /tmp the only writable places. Host networking, so the container
    reaches PostgreSQL, NATS and the issuer on 127.0.0.1 as the test does."""
    return (
        DockerContainer(image, command=command, env=env, name=name)
        # ``U``: the engine makes the volume the container user's; a tmpfs there stays root's
        # on podman 4.3.
        .with_volume_mapping(volume, DATA_DIR, "rw,U")
        .with_tmpfs_mount("/tmp")
        .with_kwargs(
            user="10001:10001",
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            network_mode="host",
            ulimits=[limit("nofile", resource.RLIMIT_NOFILE, 20000), limit("nproc", resource.RLIMIT_NPROC, 4096)],
        )
    )


def limit(name: str, which: int, wanted: int) -> Ulimit:
    """``wanted``, or this host's hard limit if lower: podman otherwise asks for more than the
    hard limit, which a process without CAP_SYS_RESOURCE may not set."""
    hard = resource.getrlimit(which)[1]
    value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    return Ulimit(name=name, soft=value, hard=value)


def logs(c: DockerContainer) -> str:
    out, err = c.get_logs()
    return (out + err).decode(errors="replace")[-4000:]


@dataclass
class ServiceContainers:
    service: str
    api: DockerContainer
    worker: DockerContainer
    port: int
    health_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_ready(c: DockerContainer, url: str, what: str) -> dict[str, Any]:
    """``/readyz``'s body once it answers 200; fails at once, with the logs, if the container ends."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        c.reload()
        assert c.status == "running", f"{what} ended ({c.status}):\n{logs(c)}"
        try:
            response = httpx.get(f"{url}/readyz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not ready in {READY_SECONDS}s:\n{logs(c)}")


@pytest.fixture(scope="session")
def containers(
    container_images: dict[str, str], nats_server: NatsServer, database_url: str, issuer_url: str
) -> Iterator[dict[str, ServiceContainers]]:
    run = uuid.uuid4().hex[:8]
    engine = DockerClient()
    volumes = {service: f"wenze-smoke-{run}-{service}" for service in SERVICES}
    started: list[DockerContainer] = []

    def env(service: str) -> dict[str, str]:
        return service_env(
            service, database_url=database_url, nats_url=nats_server.url, oidc_base_url=issuer_url, data_dir=DATA_DIR
        )

    def one_off(service: str, command: str) -> str:
        """``migrate`` or ``streams`` run to completion, as a deployment's jobs run them."""
        name = f"wenze-smoke-{run}-{service}-{command}"
        c = container(container_images[service], [command], env(service), volumes[service], name)
        started.append(c.start())
        code = c.wait()
        output = logs(c)
        assert code == 0, f"{service} {command} exited with {code}:\n{output}"
        return output

    try:
        for service in SERVICES:
            assert f"{service}: schema up to date" in one_off(service, "migrate")
        for service in SERVICES:
            assert f"stream {service.upper()} ({service}.>)" in one_off(service, "streams")
        stack: dict[str, ServiceContainers] = {}
        for service in SERVICES:
            port, health_port = free_port(), free_port()
            worker = container(
                container_images[service],
                ["worker", "--health-port", str(health_port)],
                env(service),
                volumes[service],
                f"wenze-smoke-{run}-{service}-worker",
            )
            started.append(worker.start())
            api = container(
                container_images[service],
                ["api", "--host", "127.0.0.1", "--port", str(port)],
                env(service),
                volumes[service],
                f"wenze-smoke-{run}-{service}-api",
            )
            started.append(api.start())
            stack[service] = ServiceContainers(service, api, worker, port, health_port)
        yield stack
    finally:
        for c in reversed(started):
            c.stop()
        for volume in volumes.values():
            try:
                engine.client.volumes.get(volume).remove(force=True)
            except DockerException:
                pass  # never created: its service's first container did not start
        engine.client.close()


@pytest.fixture(scope="session")
def stack(containers: dict[str, ServiceContainers]) -> dict[str, ServiceContainers]:
    """What the end-to-end helpers (conftest's ``Tenant``) call: each service's API URL."""
    return containers


# A city-managed cadre of a department the first discipline-supervision office is linked to:
# under Kunshan's rules (昆纪办发〔2019〕19号) routing opens a consultation of five offices.
CITY_CADRE = {
    "kind": "person",
    "name": "钱国强",
    "post": "副局长",
    "unit": "市发展和改革委员会",
    "cadre_level": "city_managed",
    "sector": "city_department",
    "party_member": True,
}


def test_images_serve_the_kunshan_smoke_path(
    container_images: dict[str, str],
    containers: dict[str, ServiceContainers],
    tenant_for: Callable[[str], Any],
) -> None:
    for service, running in containers.items():
        for c, url, what in (
            (running.api, running.url, f"{service} api"),
            (running.worker, f"http://127.0.0.1:{running.health_port}", f"{service} worker"),
        ):
            ready = wait_ready(c, url, what)
            assert ready == {"status": "ok", "checks": {"database": "ok", "nats": "ok"}}, (what, ready)
    intake = containers["intake"].api
    assert intake.exec(["id", "-u"]).output.decode().strip() == "10001"
    write = intake.exec(["touch", "/app/written"])
    assert write.exit_code != 0 and b"Read-only file system" in write.output, write

    ks = tenant_for("wenze-kunshan")
    matter = ks.submit_and_accept(
        "ks-supervision-1", "ks-intake", source="city_government", targets=[CITY_CADRE], proposed_form="form_2"
    )
    slip = ks.slips(matter["id"], "ks-intake")[0]
    assert slip["state"] == "in_consultation" and slip["number"].startswith("昆纪委问分〔"), slip
    task = ks.user("ks-case-management").task_of_matter("consultation_signature", matter["id"])
    consultation = ks.user("ks-intake").get("review", f"/v1/consultations/{task['subject_id']}")
    assert "case_management_office" in consultation["participants"], consultation

    # SIGTERM, as `podman stop` and Kubernetes send it: the worker drains and exits 0 well
    # within the grace period rather than being killed at its end.
    worker = containers["routing"].worker.get_wrapped_container()
    began = time.monotonic()
    worker.stop(timeout=STOP_GRACE_SECONDS)
    code = containers["routing"].worker.wait()
    took = time.monotonic() - began
    assert code == 0, f"routing worker exited with {code}:\n{logs(containers['routing'].worker)}"
    assert took < 10, f"routing worker took {took:.1f}s to stop"
    print(f"routing worker: exit code {code} {took:.1f}s after SIGTERM")
