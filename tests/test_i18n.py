"""Message catalogues: both languages complete, every problem code the code can emit is translated."""

from __future__ import annotations

import re
import string

import pytest

from generator.i18n import LANGS, catalogue, t
from tests.conftest import REPO

CODE = re.compile(r"""["']([YSMCX]\d{3})["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_zh_and_en_have_the_same_keys() -> None:
    assert set(catalogue("zh")) == set(catalogue("en"))


def test_placeholders_match_between_languages() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    mismatched = {key for key in zh if placeholders(zh[key]) != placeholders(en[key])}
    assert not mismatched


def test_every_problem_code_in_the_code_is_translated() -> None:
    used: set[str] = set()
    for path in sorted((REPO / "generator").rglob("*.py")):
        used.update(CODE.findall(path.read_text("utf-8")))
    assert {"Y001", "S001", "M001", "C001"} <= used
    for lang in LANGS:
        missing = {
            code
            for code in used
            if f"problem.{code}.message" not in catalogue(lang)
            or f"problem.{code}.hint" not in catalogue(lang)
        }
        assert not missing, (lang, sorted(missing))


def test_every_problem_has_a_message_and_a_hint() -> None:
    for lang in LANGS:
        codes = {key.split(".")[1] for key in catalogue(lang) if key.startswith("problem.")}
        for code in codes:
            assert catalogue(lang)[f"problem.{code}.message"].strip()
            assert catalogue(lang)[f"problem.{code}.hint"].strip()


@pytest.mark.parametrize("lang", LANGS)
def test_values_are_non_empty_strings(lang: str) -> None:
    for key, value in catalogue(lang).items():
        assert isinstance(value, str) and value.strip(), key


def test_chinese_is_chinese_and_english_is_english() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    assert han.search(t("zh", "problem.Y006.message", key="name", first=2))
    for key, value in catalogue("en").items():
        if key.startswith("problem."):
            assert not han.search(value), key


def test_unknown_language_falls_back_to_chinese() -> None:
    assert t("fr", "summary.clean", files=3) == t("zh", "summary.clean", files=3)
