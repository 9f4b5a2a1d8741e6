"""Units' names as people type them: compared without width, spacing or punctuation differences."""

from __future__ import annotations

import re
import unicodedata

# compiled on first use (re caches it): a one-file check never needs it, and its class is slow to compile
_PUNCT = r"[\s()（）\[\]【】〔〕<>《》、，,.。·・:：;；\-—_'\"“”‘’/\\]+"


def plain_name(name: str) -> str:
    """A name as typed, without width, spacing or punctuation differences."""
    return re.sub(_PUNCT, "", unicodedata.normalize("NFKC", name or ""))


def unit_key(unit: str | None) -> str:
    """A unit's name for matching: width, spaces and punctuation ignored; 某县 = 某县人民政府."""
    text = re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", unit or ""))
    return text.removesuffix("人民政府") or text
