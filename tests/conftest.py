"""Shared test fixtures: the fictional fixture project and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURE_PROJECT = REPO / "tests" / "fixtures" / "project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private, writable copy of the fixture project (a complete small registry)."""
    target = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, target)
    return target


Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """Invoke ``hubdir`` in-process: ``run(root, "validate", "--lang", "en")``."""

    def invoke(root: Path, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """The fixture project built once per session: ``(project root, site folder, BuildResult)``."""
    from generator import build
    from generator.config import load_config

    root = tmp_path_factory.mktemp("site-project") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    out = root / "build" / "site"
    result = build.build(load_config(root), out, quiet=True)
    return root, out, result


#: Issue 14: brand images, correction channels and an official footer, appended to the fixture's config.
RESIDENT_FIXTURE = REPO / "tests" / "fixtures" / "resident"


@pytest.fixture(scope="session")
def resident_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """The fixture project plus ``tests/fixtures/resident`` (config sections and images), built once."""
    from generator import build
    from generator.config import load_config

    root = tmp_path_factory.mktemp("resident-project") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    shutil.copytree(RESIDENT_FIXTURE / "assets", root / "assets")
    config = root / "site_config.yml"
    config.write_text(config.read_text("utf-8") + (RESIDENT_FIXTURE / "site_config.extra.yml").read_text("utf-8"))
    out = root / "build" / "site"
    result = build.build(load_config(root), out, quiet=True)
    return root, out, result


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system Chromium for one browser-test module (modules skip first when it is absent)."""
    from browser_support import launch

    with launch() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def base_url(built_site: tuple[Path, Path, object]) -> Iterator[str]:
    """The fixture site served on 127.0.0.1; modules that test another site define their own."""
    from browser_support import serve_directory

    with serve_directory(built_site[1]) as url:
        yield url
