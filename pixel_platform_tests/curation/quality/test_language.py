"""Language identification: fast paths and lingua."""

from __future__ import annotations

import pytest

from pixel_platform.curation.quality import language
from pixel_platform.curation.quality.language import UNDETERMINED, detect_language
from pixel_platform_tests.curation.quality.support import GOOD_EN, GOOD_ZH


@pytest.mark.parametrize(("text", "code"), [
    ("Hola, me siento muy triste y no sé qué hacer con mi vida. Todos los días son iguales.",
     "es"),
    ("Je me sens très seul depuis que j'ai déménagé et je ne sais pas à qui parler.", "fr"),
    ("Ich fühle mich seit Wochen erschöpft und kann nachts nicht schlafen.", "de"),
    ("最近仕事のストレスで眠れなくて、毎日とても疲れています。", "ja"),
    ("Doctor, I have a persistent cough; fever; fatigue.", "en"),
])
def test_lingua_decides_when_no_fast_path_applies(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_fast_paths_do_not_call_lingua(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(languages: tuple[str, ...]) -> None:
        raise AssertionError("lingua called")

    monkeypatch.setattr(language, "_detector", refuse)
    assert detect_language(GOOD_EN[0]) == "en"
    assert detect_language(GOOD_EN[0].replace("'", "\u2019")) == "en"  # curly quotes
    assert detect_language(GOOD_ZH[0]) == "zh"


def test_nothing_to_detect_is_undetermined() -> None:
    assert detect_language("12345 !!! :)") == UNDETERMINED
