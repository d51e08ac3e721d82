"""Match a resident's free text (typed or spoken) to the likeliest catalogue items. Pure."""
import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.csv"


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name_zh: str
    name_en: str
    cls: str = ""


@lru_cache(maxsize=1)
def load_synonyms(path=SYNONYMS_FILE):
    """The phrases residents use, each mapped to catalogue codes."""
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple((row["phrase"].lower(), tuple(row["codes"].split())) for row in csv.DictReader(handle))


@lru_cache(maxsize=1)
def _segmenter():
    import jieba
    jieba.setLogLevel(60)
    for phrase, _codes in load_synonyms():
        if not phrase.isascii():
            jieba.add_word(phrase, freq=2000)
    return jieba


def initialise():
    """Load the segmenter's dictionary now rather than inside a resident's first message."""
    _segmenter().initialize()


def tokens(text):
    """Words of a Chinese or English sentence."""
    text = text.lower()
    words = [w.strip() for w in _segmenter().cut(text) if w.strip()]
    return words + re.findall(r"[a-z]+", text)


@lru_cache(maxsize=64)
def _name_tokens(catalogue):
    """Each entry's name as words (the catalogue is a tuple, so this is computed once per catalogue)."""
    return tuple((entry.code, frozenset(tokens(entry.name_zh))) for entry in catalogue)


def suggest(text, catalogue, limit=3):
    """Catalogue codes ranked by how well they match `text` (best first); empty when nothing fits.

    A whole catalogue name in the text weighs most, then a resident's phrase (longer phrases
    outweigh the single characters inside them), then single words shared with a name."""
    if not text or not text.strip():
        return []
    lowered = text.lower()
    known = {entry.code for entry in catalogue}
    scores = Counter()
    for entry in catalogue:
        for name in (entry.name_zh, entry.name_en.lower()):
            if name and name in lowered:
                scores[entry.code] += 10
    words = set(tokens(text))
    for phrase, codes in load_synonyms():
        hit = phrase in words if phrase.isascii() else phrase in lowered
        if hit:
            for rank, code in enumerate(codes):
                scores[code] += len(phrase) * 2 - rank
    for code, name_words in _name_tokens(tuple(catalogue)):
        scores[code] += sum(len(w) for w in words & name_words if len(w) > 1)
    ranked = [code for code, score in scores.most_common() if score > 0 and code in known]
    return ranked[:limit]
