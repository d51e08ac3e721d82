"""Fitting values to WeChat's subscribe-message field limits. Pure: strings in, strings out.

Limits: thing <= 20 characters, phrase <= 5 Chinese characters, name <= 10 characters,
character_string / number / letter <= 32, time like "2026年11月26日 15:01", date like "2026年11月26日" (both in Beijing time).
Text is cut between whole characters as a reader sees them (Unicode's extended grapheme clusters, UAX #29:
an emoji with its modifiers or joined family, a flag, a keycap, a Hangul syllable written in jamo, a Devanagari
conjunct, a letter with its accents stay together), and a cut is marked with an ellipsis."""
import re
from dataclasses import dataclass

import regex

from core.times import wechat_date, wechat_time

LIMITS = {"thing": 20, "name": 10, "phrase": 5, "character_string": 32, "number": 32, "letter": 32,
          "car_number": 8, "phone_number": 17, "amount": 32}
ELLIPSIS = "…"
_GRAPHEME = regex.compile(r"\X")
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")


class FieldError(ValueError):
    """A value that cannot be made to fit its field (e.g. a number field given letters)."""


def graphemes(text):
    """Split text into the characters a reader sees (extended grapheme clusters)."""
    return _GRAPHEME.findall(text)


def cut(text, limit):
    """`text` shortened to at most `limit` visible characters, ending in an ellipsis if cut."""
    text = " ".join(str(text).split())
    clusters = graphemes(text)
    if len(clusters) <= limit:
        return text
    return "".join(clusters[:max(limit - 1, 0)]).rstrip() + ELLIPSIS


def format_time(moment):
    """'2026年11月26日 15:01' in Beijing time (a naive moment is UTC, as stored); text passes as it is."""
    return moment if isinstance(moment, str) else wechat_time(moment)


def format_date(moment):
    """'2026年11月26日' in Beijing time."""
    return moment if isinstance(moment, str) else wechat_date(moment)


def fit(kind, value):
    """The value as WeChat accepts it for a field of this kind."""
    if kind == "time":
        return format_time(value)
    if kind == "date":
        return format_date(value)
    if kind == "phrase":
        # phrase: Chinese characters only, at most five, no ellipsis (it would not be Chinese)
        chars = "".join(_CJK.findall(str(value)))
        if not chars:
            raise FieldError("phrase needs Chinese characters")
        return chars[:LIMITS["phrase"]]
    if kind == "number":
        text = str(value).strip()
        if not re.fullmatch(r"-?\d+(\.\d+)?", text) or len(text) > LIMITS["number"]:
            raise FieldError("not a number that fits")
        return text
    if kind in ("character_string", "letter"):
        text = re.sub(r"[^0-9A-Za-z_\-]" if kind == "character_string" else r"[^A-Za-z]", "", str(value))
        return text[:LIMITS[kind]]
    if kind in LIMITS:
        return cut(value, LIMITS[kind])
    raise FieldError(f"unknown field kind {kind}")


@dataclass(frozen=True)
class TemplateField:
    """One field of a subscribe template: its key (e.g. 'thing1') and kind (from the key's prefix)."""

    key: str

    @property
    def kind(self):
        return re.sub(r"\d+$", "", self.key)


def fit_data(values):
    """{'thing1': '...', 'time2': datetime} -> WeChat's {'thing1': {'value': ...}, ...}."""
    return {key: {"value": fit(TemplateField(key).kind, value)} for key, value in values.items()}


_CLAUSE = re.compile(r"(?<=[。；;！!？?，,\n])")
_TIMELY = re.compile(r"\d+\s*[月日号]|\d{1,2}[:：]\d{2}|周[一二三四五六日天]|[上下]午|今天|明天|后天|\d+点")


def fits(text, limit):
    """Whether `text` fits `limit` visible characters as it is."""
    return len(graphemes(" ".join(str(text).split()))) <= limit


def pick(candidates, limit):
    """The first candidate that fits whole; else the first one, cut. Facts are chosen, not sentences cut."""
    candidates = [" ".join(str(c).split()) for c in candidates if c and str(c).strip()]
    for candidate in candidates:
        if fits(candidate, limit):
            return candidate
    return cut(candidates[0], limit) if candidates else ""


def clauses(text):
    """A text's clauses without their closing punctuation: '因施工，12月2日停水。' -> ['因施工', '12月2日停水']."""
    parts = (p.strip().rstrip("。；;！!？?，,").strip() for p in _CLAUSE.split(str(text or "")))
    return [p for p in parts if p]


def push_fields(title, where, detail, body, when, limit=LIMITS["thing"], layouts=()):
    """The three fields of the notice message: thing1 what and where, thing2 the key fact, time3 when.

    thing1 tries '停水：1栋1单元' with the whole place, then without the compound, then the headline alone;
    thing2 tries the given detail, then a clause of the body with a date or time in it, then any clause.
    A kind whose facts that picking would drop gives its own `layouts` instead: (thing1, thing2) pairs, best first; the
    first whose two fields both fit whole is sent, else the last one, each field cut."""
    if layouts:
        pairs = [tuple(" ".join(str(part).split()) for part in pair) for pair in layouts]
        thing1, thing2 = next((pair for pair in pairs if fits(pair[0], limit) and fits(pair[1], limit)), pairs[-1])
        return {"thing1": cut(thing1, limit), "thing2": cut(thing2, limit), "time3": when}
    places = [where] if where else []
    if where and " " in where.strip():
        places.append(where.strip().split(" ", 1)[1])
    thing1 = pick([f"{title}：{place}" for place in places] + [title], limit)
    parts = clauses(body)
    timely = [p for p in parts if _TIMELY.search(p)]
    others = [p for p in parts if p not in timely]
    shorter = [re.sub(r"[（(]周.[)）]", "", p) for p in timely]  # the weekday goes before the hours do
    thing2 = pick([detail] + timely + shorter + ["，".join(others)] + others + [body], limit)
    return {"thing1": thing1, "thing2": thing2 or thing1, "time3": when}
