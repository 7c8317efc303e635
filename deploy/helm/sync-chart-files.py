"""Copy the rule packs and the Keycloak realm files into the chart, which can read only its
own files. `make chart-files` runs it; a test (deploy/helm/tests) fails while a copy is stale.

The packs' YAML test cases stay behind: the services never read them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHART_FILES = ROOT / "deploy" / "helm" / "wenze" / "files"
SOURCES = {
    "rulesets": (ROOT / "shared" / "rulesets", shutil.ignore_patterns("cases", "__pycache__", "*.pyc")),
    "keycloak": (ROOT / "deploy" / "keycloak", shutil.ignore_patterns("*.md")),
}


def expected_files() -> dict[str, bytes]:
    """Path under files/ → content, for every file the chart should carry."""
    files: dict[str, bytes] = {}
    for name, (source, ignore) in SOURCES.items():
        for path in sorted(source.rglob("*")):
            if path.is_dir():
                continue
            relative = path.relative_to(source)
            ignored = any(ignore(str(parent), [part]) for parent, part in _steps(source, relative))
            if not ignored:
                files[f"{name}/{relative.as_posix()}"] = path.read_bytes()
    return files


def _steps(source: Path, relative: Path) -> list[tuple[Path, str]]:
    """Each (directory, entry) on the way from ``source`` to the file, as copytree sees them."""
    steps, parent = [], source
    for part in relative.parts:
        steps.append((parent, part))
        parent = parent / part
    return steps


def main() -> None:
    for name, (source, ignore) in SOURCES.items():
        target = CHART_FILES / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=ignore)
        print(f"copied {source.relative_to(ROOT)} to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
