"""Units' names as people type them: compared without width, spacing or punctuation differences."""

from __future__ import annotations

import re
import unicodedata

_PUNCT = re.compile(r"[\s()（）\[\]【】〔〕<>《》、，,.。·・:：;；\-—_'\"“”‘’/\\]+")


def plain_name(name: str) -> str:
    """A name as typed, without width, spacing or punctuation differences."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", name or ""))


def unit_key(unit: str | None) -> str:
    """A unit's name for matching: width, spaces and punctuation ignored; 某县 = 某县人民政府."""
    text = re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", unit or ""))
    return text.removesuffix("人民政府") or text
