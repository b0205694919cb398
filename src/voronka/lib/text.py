"""Text helpers: normalised keys for matching and searching."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_COMPANY_FORMS = re.compile(
    r"\b(ооо|оао|зао|пао|ао|ип|нко|ltd|llc|inc|gmbh|corp|co|plc|ag|sa)\b\.?", flags=re.IGNORECASE
)
_PUNCTUATION = re.compile(r"[\"'«»“”„`.,()\-–—/\\]+")


def fold(text: str) -> str:
    """Return `text` lower-cased, with ё→е, accents removed and spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def company_key(title: str) -> str:
    """Return a key under which spellings of one company title meet ("ООО «Ромашка»" = "Ромашка")."""
    text = fold(title)
    text = _PUNCTUATION.sub(" ", text)
    text = _COMPANY_FORMS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def person_name(*parts: str | None) -> str:
    """Return the non-empty parts of a name joined by spaces ("Пётр", "", "Сидоров" → "Пётр Сидоров")."""
    return " ".join(part for part in parts if part)


def search_key(*parts: str) -> str:
    """Return the folded text a list search matches against."""
    return " ".join(fold(part) for part in parts if part)[:2000]
