"""The synthetic registry generator (bench/synth.py): deterministic, valid, complete."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import synth  # noqa: E402
from generator import yamlio  # noqa: E402


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synth_300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "p300"
    synth.write_project(300, out)
    return out


def test_same_n_same_bytes(synth_300: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synth.write_project(300, again)
    assert _files(again) == _files(synth_300)


def test_counts_divisions_and_config(synth_300: Path) -> None:
    counts = {r: len(list((synth_300 / "content" / r).glob("*.yml"))) for r in synth.REGISTRIES}
    assert sum(counts.values()) == 300
    assert all(v > 0 for v in counts.values())
    assert len(list((synth_300 / "content" / "divisions").glob("*.yml"))) == 217
    assert (synth_300 / "site_config.yml").read_bytes() == (REPO / "site_config.yml").read_bytes()


def test_small_output_validates_clean(synth_300: Path, run) -> None:  # type: ignore[no-untyped-def]
    result = run(synth_300, "validate", "--strict", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert not report["problems"]


def test_tiny_output_validates_clean(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    synth.write_project(synth.MIN_RECORDS, tmp_path / "tiny")
    result = run(tmp_path / "tiny", "validate", "--strict")
    assert result.exit_code == 0, result.output


def test_every_field_and_status_represented(synth_300: Path) -> None:
    for registry in synth.REGISTRIES:
        seen: set[str] = set()
        statuses: set[str] = set()
        for path in (synth_300 / "content" / registry).glob("*.yml"):
            data = yamlio.load_file(path)
            seen |= set(data)
            statuses.add(data["status"])
        assert set(synth.schema_order(registry)) <= seen, registry
        assert {"active"} < statuses, registry


def test_names_are_fictional(synth_300: Path) -> None:
    for registry in synth.REGISTRIES:
        for path in (synth_300 / "content" / registry).glob("*.yml"):
            assert yamlio.load_file(path)["name"].startswith("示例"), path


def test_canonical_style(synth_300: Path) -> None:
    text = (synth_300 / "content" / "hubs" / "hub-440606-union.yml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../schemas/hubs.schema.json"
    assert 'division: "440606"' in lines
    assert any(line.startswith('    value: "0757-2') for line in lines)
    keys = [line.split(":")[0] for line in lines[1:] if line and not line.startswith((" ", "#"))]
    order = synth.schema_order("hubs")
    assert keys == sorted(keys, key=order.index)


def test_too_few_records_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--records", "5", "--out", str(tmp_path / "x")]) == 2
    assert "at least 20" in capsys.readouterr().err
    (tmp_path / "y").mkdir()
    assert synth.main(["--records", "30", "--out", str(tmp_path / "y")]) == 2
    assert "--force" in capsys.readouterr().err


def test_output_is_fmt_canonical(synth_300: Path, run) -> None:  # type: ignore[no-untyped-def]
    result = run(synth_300, "fmt", "--check")
    assert result.exit_code == 0, result.output
