"""The message catalogs outside a web request: for the PDF reports, the year report's
spreadsheet and the command line, which speak the same words as the pages.

The catalogs are the web's own (booth/translations, compiled by ``make translations``);
English is the message ids themselves.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ballot.errors import Message, Translate, untranslated

TRANSLATIONS = Path(__file__).resolve().parents[1] / "booth" / "translations"
CHINESE = "zh_Hans_CN"


@functools.cache
def translator(language: str) -> Translate:
    """``gettext`` for a language: Chinese (any ``zh…``) or English (anything else)."""
    if language.lower().startswith("zh"):
        from babel.support import Translations
        return Translations.load(str(TRANSLATIONS), [CHINESE]).gettext
    return untranslated


def chinese(message: Message) -> str:
    """A message in Chinese: the documents that are Chinese by design (the PDF reports)."""
    return message.render(translator("zh"))
