"""One class per survey question type, each knowing all it does: check its definition, check an answer,
aggregate answers, give its export cells, say what to draw for its result, and ask itself in chat.
Pure: plain data in and out, message keys (translated at the edge), no Flask, no database.

Adding a type is adding a class here and registering it; nothing else switches on the type."""
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from core.numbers import decimal_text
from core.understanding import normalise, parse_choice, parse_number
from surveys import reading

OTHER = "__other__"
MAX_TEXT = 2000
MAX_PHOTOS = 3
PHOTO_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png)$")  # a stored photo's name (core.uploads.STORED_NAME)
EMPTY = (None, "", [], {})
PERCENTILES = (10, 25, 50, 75, 90)
SKIP_WORDS = {"0", "跳过", "不知道", "不清楚", "不好说", "没有", "没有了", "没了", "无", "就这些", "skip", "none"}


@dataclass(frozen=True)
class Fault:
    """One problem, at a path in the definition or at a question of a response."""

    path: str
    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Chart:
    """What a question's result looks like: the figure, its rows (labels resolved) and a summary key.

    figure: "bars" (label, count) | "distribution" (label, count) | "ranks" (label, points) |
    "grid" (row label, counts by scale column) | "texts" (the answers themselves)."""

    figure: str
    rows: tuple = ()
    columns: tuple = ()
    texts: tuple = ()
    summary: tuple = None          # (message key, params) or None


@dataclass(frozen=True)
class Prompt:
    """A question asked in chat: the lines to show and a hint key saying how to answer."""

    lines: tuple
    hint: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Understood:
    """What a chat reply meant: the answer (or a part of it, `done` False), and what to repeat back."""

    value: object
    done: bool = True
    echo: str = None


@dataclass(frozen=True)
class NumberFigures:
    """A number question's answers as the results read them: how many, their exact sum, the lowest and
    highest, how many fall in each histogram bin, and the values at the places the median and percentiles
    read ({place from 0 in order of value: value})."""

    total: int
    exact: object
    low: object
    high: object
    bins: dict
    at: dict


class NotUnderstood(Exception):
    """The reply could not be read as an answer; `key` says what is expected."""

    def __init__(self, key, **params):
        self.key, self.params = key, params
        super().__init__(key)


def decimal(value):
    """An exact number as people read it (core.numbers' one way), '-' when there is none."""
    return "-" if value is None else decimal_text(value)


def _option_ids(question, key="options"):
    return [o["id"] for o in question.get(key, []) or [] if isinstance(o, dict) and "id" in o]


def _labels(question, key="options"):
    return {o["id"]: str(o.get("label") or o["id"]) for o in question.get(key, []) or []
            if isinstance(o, dict) and "id" in o}


def _runs(counted, key=None):
    """[(value, how many)] in order of value, equal values merged, from [(answer, building, how many)]."""
    merged = {}
    for answer, _b, n in counted:
        value = key(answer) if key else answer
        merged[value] = merged.get(value, 0) + n
    return sorted(merged.items())


class _Positions:
    """Values at positions of many runs written out, found by bisection over the running totals."""

    def __init__(self, runs):
        from itertools import accumulate
        self.values = [value for value, _n in runs]
        self.ends = list(accumulate(n for _value, n in runs))

    def __getitem__(self, index):
        from bisect import bisect_right
        return self.values[bisect_right(self.ends, index)]


def _median_of(runs, total, at=None):
    if total == 0:
        return None
    at = at or _Positions(runs)
    middle = total // 2
    if total % 2:
        return Fraction(at[middle])
    return Fraction(Fraction(at[middle - 1]) + Fraction(at[middle]), 2)


def _rank(total, share):
    """The nearest rank (from 1) of a percentile."""
    return int(max(1, -(-share * total // 100)))


def _percentile_of(runs, total, share, at=None):
    """Nearest-rank percentile."""
    if not total:
        return None
    return (at or _Positions(runs))[_rank(total, share) - 1]


def _writable(words):
    """Whether a resident's own words may be kept: text, not too long, and without the character U+0000 (which
    PostgreSQL's jsonb, where answers are kept, cannot hold)."""
    return isinstance(words, str) and len(words) <= MAX_TEXT and "\x00" not in words


def _title(question):
    return question.get("title") or question["id"]


def _numbered(labels):
    return tuple(f"{n} {label}" for n, label in enumerate(labels, start=1))


def _example(count, ordered=False):
    """Option numbers to show as an example reply: '1 3' for a choice, '2 1 3' for an order."""
    if ordered:
        return " ".join(str(n) for n in [2, 1, *range(3, count + 1)][:count])
    return "1 3" if count >= 3 else "1 2"


class Kind:
    """A question type. Subclasses override what differs; the defaults suit a one-value answer."""

    name = ""
    options_key = None              # the definition field with the choices, if any
    skip_words = frozenset({"0", "跳过", "skip"})   # what skips an optional question in chat
    skip_hint = "survey.chat.may_skip"
    summed = False                  # whether the database may sum whole-number answers up (`figured`)

    # definition
    def faults(self, question, path):
        """What is wrong with this question's own fields."""
        return []

    # answers
    def check(self, question, given, catalogue_codes=()):
        """None when the answer is valid, else (message key, params)."""
        raise NotImplementedError

    def stored_files(self, question, answer):
        """The stored uploads an answer names (photos), which belong to the response."""
        return []

    def aggregate(self, question, given):
        """Result fields for QuestionResult from [(answer, building)] of non-empty answers."""
        return self.tally(question, [(answer, building, 1) for answer, building in given])

    def tally(self, question, counted):
        """The same from counted answers: [(answer, building, how many)] (equal answers may come in one
        entry or several; the result is the same)."""
        return {}

    def written(self, question):
        """The result field that holds written words read in order apart from the counts ("texts",
        "other_texts"), or None."""
        return None

    def written_value(self, question, answer):
        """The words that field takes from one answer, or None."""
        return None

    def written_values(self, question, answers):
        """The words that field takes from many answers, in their order."""
        found = (self.written_value(question, answer) for answer in answers)
        return [words for words in found if words is not None]

    # export
    def columns(self, question, other_header):
        """(key part, header) pairs: one column unless the type needs more."""
        return [(None, _title(question))]

    def cell(self, question, answer, part):
        """One export cell's value for this answer (never None: empty text when unanswered)."""
        return "" if answer in EMPTY else answer

    # conditions
    def value_label(self, question, value):
        """A condition's value in the words the committee sees."""
        return _labels(question, self.options_key or "options").get(value, str(value)) if self.options_key \
            else str(value)

    def value_of(self, question, typed):
        """A condition value typed in the editor (an option's label or id, or a number) as stored."""
        typed = (typed or "").strip()
        if self.options_key:
            labels = _labels(question, self.options_key)
            if typed in labels:
                return typed
            for ident, label in labels.items():
                if normalise(label) == normalise(typed):
                    return ident
        return typed

    # results
    def chart(self, question, result, names=None):
        """The Chart for this question's result; `names` resolves codes the definition doesn't label
        (catalogue items). An 'other' answer keeps the label OTHER, for the edge to translate."""
        raise NotImplementedError

    # chat
    def chat_obstacle(self, question):
        """None when this question can be asked in chat (as most can), else the message key of the reason."""

    def ask(self, question, partial=None):
        """The Prompt that asks this question in chat (or its next part)."""
        raise NotImplementedError

    def understand(self, question, text, partial=None):
        """Understood for a chat reply, or raise NotUnderstood."""
        raise NotImplementedError


class Single(Kind):
    """One choice among options, optionally with 'other, please say'."""

    name = "single"
    options_key = "options"

    def faults(self, question, path):
        return [] if _option_ids(question) else [Fault(f"{path}.options", "survey.def.options")]

    def check(self, question, given, catalogue_codes=()):
        if isinstance(given, dict) and given.get("choice") == OTHER and question.get("other"):
            text = given.get("text", "")
            return None if set(given) <= {"choice", "text"} and _writable(text) and text.strip() else (
                "survey.answer.other_text", {})
        return None if given in _option_ids(question) else ("survey.answer.option", {})

    def tally(self, question, counted):
        return _count_choices(counted)

    def written(self, question):
        return "other_texts" if question.get("other") else None

    def written_value(self, question, answer):
        return answer.get("text", "") if isinstance(answer, dict) and answer.get("choice") == OTHER else None

    def columns(self, question, other_header):
        result = [(None, _title(question))]
        if question.get("other"):
            result.append((OTHER, f"{_title(question)} - {other_header}"))
        return result

    def cell(self, question, answer, part):
        if answer in EMPTY:
            return ""
        if part == OTHER:
            return answer.get("text", "") if isinstance(answer, dict) and answer.get("choice") == OTHER else ""
        if isinstance(answer, dict):
            return ""
        return _labels(question).get(answer, str(answer))

    def chart(self, question, result, names=None):
        labels = _labels(question)
        rows = tuple((labels.get(k, k), v) for k, v in sorted(result.counts.items(), key=lambda kv: -kv[1]))
        return Chart("bars", rows, texts=tuple(result.other_texts))

    def _choices(self, question):
        labels = [str(o.get("label") or o["id"]) for o in question["options"]]
        return labels

    def ask(self, question, partial=None):
        if partial == OTHER:
            return Prompt((_title(question),), "survey.chat.other_text")
        lines = _numbered(self._choices(question))
        if question.get("other"):
            return Prompt((_title(question), *lines), "survey.chat.one_or_other", {"other": len(lines) + 1})
        return Prompt((_title(question), *lines), "survey.chat.one")

    def understand(self, question, text, partial=None):
        options = question["options"]
        if partial == OTHER:
            said = (text or "").strip()
            if not said or normalise(said) in SKIP_WORDS:
                raise NotUnderstood("survey.chat.text_needed")
            return Understood({"choice": OTHER, "text": said[:MAX_TEXT]})
        number = reading.small_int(text)
        if number is not None and 1 <= number <= len(options):
            return Understood(options[number - 1]["id"])
        if number is not None and question.get("other") and number == len(options) + 1:
            return Understood(OTHER, done=False)
        index = parse_choice(text, self._choices(question))
        if index is not None:
            return Understood(options[index]["id"])
        raise NotUnderstood("survey.chat.not_one", highest=len(options) + (1 if question.get("other") else 0))


def _count_choices(counted):
    answered = sum(n for _a, _b, n in counted)
    counts, others, per_building = Counter(), [], defaultdict(Counter)
    for answer, building, n in counted:
        chosen = answer if isinstance(answer, list) else [
            answer.get("choice") if isinstance(answer, dict) else answer]
        if isinstance(answer, dict) and answer.get("choice") == OTHER:
            others.extend([answer.get("text", "")] * n)
        for option in chosen:
            counts[option] += n
            per_building[building][option] += n
    return {"counts": dict(counts), "other_texts": tuple(others),
            "shares": {k: Fraction(v, answered) for k, v in counts.items()} if answered else {},
            "by_building": {b: dict(c) for b, c in per_building.items() if b is not None}}


class Multiple(Kind):
    """Several choices among options, between min and max of them."""

    name = "multiple"
    options_key = "options"

    def faults(self, question, path):
        options = _option_ids(question)
        if not options:
            return [Fault(f"{path}.options", "survey.def.options")]
        low, high = question.get("min", 0), question.get("max", len(options))
        if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= len(options)):
            return [Fault(f"{path}.max", "survey.def.bounds")]
        return []

    def allowed(self, question, catalogue_codes):
        return _option_ids(question)

    def check(self, question, given, catalogue_codes=()):
        allowed = self.allowed(question, catalogue_codes)
        if not isinstance(given, list) or len(set(map(str, given))) != len(given) or any(
                g not in allowed for g in given):
            return "survey.answer.option", {}
        low, high = question.get("min", 0), question.get("max", len(allowed))
        return None if low <= len(given) <= high else ("survey.answer.count", {"min": low, "max": high})

    def tally(self, question, counted):
        return _count_choices(counted)

    def cell(self, question, answer, part):
        if answer in EMPTY:
            return ""
        labels = _labels(question)
        return "、".join(str(labels.get(a, a)) for a in answer) if isinstance(answer, list) else ""

    def chart(self, question, result, names=None):
        labels = dict(names or {}, **_labels(question))
        return Chart("bars", tuple((labels.get(k, k), v) for k, v in sorted(result.counts.items(),
                                                                          key=lambda kv: -kv[1])))

    def ask(self, question, partial=None):
        options = question["options"]
        low, high = question.get("min", 0), question.get("max", len(options))
        return Prompt((_title(question), *_numbered(str(o.get("label") or o["id"]) for o in options)),
                      "survey.chat.several", {"min": max(low, 1), "max": high, "example": _example(len(options))})

    def understand(self, question, text, partial=None):
        options = question["options"]
        numbers = reading.option_numbers(text, len(options))
        if numbers is None:
            index = parse_choice(text, [str(o.get("label") or o["id"]) for o in options])
            numbers = None if index is None else [index + 1]
        low, high = question.get("min", 0), question.get("max", len(options))
        if numbers is None or any(not 1 <= n <= len(options) for n in numbers) or len(set(numbers)) != len(numbers):
            raise NotUnderstood("survey.chat.not_understood")
        if not low <= len(numbers) <= high:
            raise NotUnderstood("survey.chat.count", min=max(low, 1), max=high)
        return Understood([options[n - 1]["id"] for n in numbers])


class Catalogue(Multiple):
    """Several renovation catalogue items, by code (the catalogue is too long to list in chat)."""

    name = "catalogue"
    options_key = None

    def faults(self, question, path):
        return []

    def allowed(self, question, catalogue_codes):
        return list(catalogue_codes)

    def cell(self, question, answer, part):
        return "、".join(str(a) for a in answer) if isinstance(answer, list) and answer else ""

    def chat_obstacle(self, question):
        return "survey.chat.cannot_catalogue"


class Ranking(Kind):
    """Every option put in order, most wanted first; aggregated by Borda points."""

    name = "ranking"
    options_key = "options"

    def faults(self, question, path):
        return [] if _option_ids(question) else [Fault(f"{path}.options", "survey.def.options")]

    def check(self, question, given, catalogue_codes=()):
        options = _option_ids(question)
        return None if isinstance(given, list) and sorted(map(str, given)) == sorted(options) and len(
            set(map(str, given))) == len(given) else ("survey.answer.ranking", {})

    def tally(self, question, counted):
        options = _option_ids(question)
        borda = {o: 0 for o in options}
        for answer, _b, n in counted:
            for position, option in enumerate(answer):
                borda[option] += (len(options) - 1 - position) * n
        return {"borda": dict(sorted(borda.items(), key=lambda item: (-item[1], options.index(item[0]))))}

    def cell(self, question, answer, part):
        return Multiple.cell(self, question, answer, part)

    def chart(self, question, result, names=None):
        labels = _labels(question)
        return Chart("ranks", tuple((labels.get(k, k), v) for k, v in result.borda.items()),
                     summary=("survey.result.borda", {}))

    def ask(self, question, partial=None):
        options = question["options"]
        return Prompt((_title(question), *_numbered(str(o.get("label") or o["id"]) for o in options)),
                      "survey.chat.rank", {"count": len(options), "example": _example(len(options), True)})

    def understand(self, question, text, partial=None):
        options = question["options"]
        numbers = reading.option_numbers(text, len(options)) or []
        if len(numbers) == len(options) - 1 and len(set(numbers)) == len(numbers):
            numbers += [n for n in range(1, len(options) + 1) if n not in numbers]   # the last one is implied
        if sorted(numbers) != list(range(1, len(options) + 1)):
            raise NotUnderstood("survey.chat.not_understood")
        return Understood([options[n - 1]["id"] for n in numbers])


_RATING_WORDS = {"非常满意": 5, "很满意": 5, "特别满意": 5, "满意": 4, "比较满意": 4, "还可以": 3, "一般": 3,
                 "还行": 3, "基本满意": 3, "不太满意": 2, "不满意": 2, "很不满意": 1, "非常不满意": 1, "很差": 1}


class Rating(Kind):
    """A rating from 1 (very unhappy) to 5 (very happy)."""

    name = "rating"
    LEVELS = (1, 2, 3, 4, 5)

    def check(self, question, given, catalogue_codes=()):
        return None if isinstance(given, int) and not isinstance(given, bool) and 1 <= given <= 5 else (
            "survey.answer.rating", {})

    def tally(self, question, counted):
        total = sum(n for _a, _b, n in counted)
        runs = _runs(counted)
        sums, counts = defaultdict(int), defaultdict(int)
        for answer, building, n in counted:
            sums[building] += answer * n
            counts[building] += n
        return {"mean": Fraction(sum(v * n for v, n in runs), total) if total else None,
                "median": _median_of(runs, total),
                "distribution": {k: sum(n for v, n in runs if v == k) for k in self.LEVELS},
                "by_building": {b: Fraction(sums[b], counts[b]) for b in counts if b is not None}}

    def value_of(self, question, typed):
        number = reading.small_int(typed or "")
        return number if number is not None else (typed or "").strip()

    def chart(self, question, result, names=None):
        return Chart("distribution", tuple((f"{k} ★", v) for k, v in sorted(result.distribution.items())),
                     summary=("survey.result.mean_median", {"mean": decimal(result.mean),
                                                            "median": decimal(result.median)}))

    def ask(self, question, partial=None):
        return Prompt((_title(question),), "survey.chat.rating")

    def understand(self, question, text, partial=None):
        said = normalise(text)
        number = _RATING_WORDS.get(said)
        if number is None:
            number = reading.small_int(said)
        if number not in self.LEVELS:
            raise NotUnderstood("survey.chat.not_understood")
        return Understood(number)


class Number(Kind):
    """A number (an amount of money, a count), with an optional unit, minimum and maximum."""

    name = "number"
    BINS = 10
    summed = True
    skip_words = frozenset({"跳过", "skip", "不知道", "不清楚", "不好说"})   # 0 is an amount here
    skip_hint = "survey.chat.may_skip_word"

    def faults(self, question, path):
        low, high = question.get("min"), question.get("max")
        for value in (low, high):
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                return [Fault(f"{path}.max", "survey.def.bounds")]
        if low is not None and high is not None and low > high:
            return [Fault(f"{path}.max", "survey.def.bounds")]
        return []

    def check(self, question, given, catalogue_codes=()):
        if not isinstance(given, (int, float)) or isinstance(given, bool):
            return "survey.answer.number", {}
        low, high = question.get("min"), question.get("max")
        if (low is not None and given < low) or (high is not None and given > high):
            return "survey.answer.range", {"min": low, "max": high}
        return None

    def tally(self, question, counted):
        return self.figured(question, self.figures(_runs(counted)))

    def positions(self, total):
        """The places (from 0, in order of value) the median and the percentiles of `total` answers read."""
        if not total:
            return ()
        middle = total // 2
        wanted = {middle} if total % 2 else {middle - 1, middle}
        return sorted(wanted | {_rank(total, p) - 1 for p in PERCENTILES})

    def figures(self, runs):
        """What the results read of a number question's [(value, how many)] in order of value; the database
        reads the same of whole numbers where they are kept."""
        # Python's ints and floats compare and hash exactly (5 == 5.0): sort and merge them as they are, and
        # make exact fractions only of the few figures shown.
        total = sum(n for _v, n in runs)
        if not runs:
            return NumberFigures(0, 0, None, None, {}, {})
        low, high = runs[0][0], runs[-1][0]
        bins = {}
        if high > low:
            whole, span = all(type(v) is int for v, _n in runs), Fraction(high) - Fraction(low)
            for value, n in runs:
                if whole:
                    index = (value - low) * self.BINS // (high - low)
                else:
                    index = int((Fraction(value) - Fraction(low)) * self.BINS / span)
                index = min(index, self.BINS - 1)
                bins[index] = bins.get(index, 0) + n
        else:
            bins = {0: total}
        exact = sum(v * n for v, n in runs if type(v) is int) + sum(
            (Fraction(v) * n for v, n in runs if type(v) is not int), Fraction(0))
        at = _Positions(runs)
        return NumberFigures(total, exact, low, high, bins, {i: at[i] for i in self.positions(total)})

    def figured(self, question, figures):
        """The result's fields from a number question's figures."""
        total = figures.total
        if not total:
            return {"mean": None, "median": None, "histogram": {}, "bin_width": None,
                    "percentiles": {p: None for p in PERCENTILES}}
        low, high = Fraction(figures.low), Fraction(figures.high)
        width = (high - low) / self.BINS if high > low else None
        histogram = {f"{low + i * (width or 1)}": count for i, count in sorted(figures.bins.items())}
        return {"mean": Fraction(figures.exact) / total, "median": _median_of(None, total, figures.at),
                "histogram": histogram, "bin_width": width,
                "percentiles": {p: Fraction(_percentile_of(None, total, p, figures.at)) for p in PERCENTILES}}

    def value_of(self, question, typed):
        number = parse_number(typed or "")
        if number is None:
            return (typed or "").strip()
        value = reading.amount(number)
        return int(value) if value.denominator == 1 else float(value)

    def chart(self, question, result, names=None):
        unit, width = question.get("unit", ""), result.bin_width
        rows = tuple((f"{decimal(Fraction(start))}{unit}" if width is None else
                      f"{decimal(Fraction(start))}–{decimal(Fraction(start) + width)}{unit}", count)
                     for start, count in result.histogram.items())
        return Chart("distribution", rows,
                     summary=("survey.result.mean_median", {"mean": decimal(result.mean) + unit,
                                                            "median": decimal(result.median) + unit}))

    def ask(self, question, partial=None):
        unit = question.get("unit", "")
        return Prompt((_title(question),), "survey.chat.number_unit" if unit else "survey.chat.number",
                      {"unit": unit} if unit else {})

    def understand(self, question, text, partial=None):
        number = parse_number(text)
        low, high = question.get("min"), question.get("max")
        if number is None:
            raise NotUnderstood("survey.chat.not_number")
        value = reading.amount(number)
        if (low is not None and value < low) or (high is not None and value > high):
            unit = question.get("unit", "")
            if low is not None and high is not None:
                raise NotUnderstood("survey.chat.number_range", min=decimal(low), max=decimal(high), unit=unit)
            if low is not None:
                raise NotUnderstood("survey.chat.number_min", min=decimal(low), unit=unit)
            raise NotUnderstood("survey.chat.number_max", max=decimal(high), unit=unit)
        stored = int(value) if value.denominator == 1 else float(value)
        return Understood(stored, echo=f"{decimal(value)}{question.get('unit', '')}")


class Text(Kind):
    """Free text in the resident's own words."""

    name = "text"
    skip_words = frozenset(SKIP_WORDS)
    skip_hint = None                # the prompt itself says how to skip

    def check(self, question, given, catalogue_codes=()):
        return None if _writable(given) else ("survey.answer.text", {})

    def tally(self, question, counted):
        return {"texts": tuple(a for a, _b, n in counted for _ in range(n))}

    def written(self, question):
        return "texts"

    def written_value(self, question, answer):
        return None if answer in EMPTY else answer

    def written_values(self, question, answers):
        return list(filter(None, answers))   # words: of EMPTY, only None and "" can come

    def chart(self, question, result, names=None):
        return Chart("texts", texts=tuple(result.texts))

    def ask(self, question, partial=None):
        return Prompt((_title(question),), "survey.chat.text_required" if question.get("required")
                      else "survey.chat.text")

    def understand(self, question, text, partial=None):
        said = (text or "").strip()
        if normalise(said) in SKIP_WORDS:
            if question.get("required"):
                raise NotUnderstood("survey.chat.text_needed")
            return Understood("")
        if not said:
            raise NotUnderstood("survey.chat.text_needed")
        return Understood(said[:MAX_TEXT])


class Matrix(Kind):
    """Rows (e.g. items) each given one level of a scale (e.g. satisfied / not)."""

    name = "matrix"
    options_key = None

    def faults(self, question, path):
        if not _option_ids(question, "rows") or not _option_ids(question, "scale"):
            return [Fault(f"{path}.rows", "survey.def.matrix")]
        return []

    def check(self, question, given, catalogue_codes=()):
        rows, scale = _option_ids(question, "rows"), _option_ids(question, "scale")
        if not isinstance(given, dict) or any(k not in rows or v not in scale for k, v in given.items()):
            return "survey.answer.matrix", {}
        return None

    def tally(self, question, counted):
        matrix = defaultdict(Counter)
        for answer, _b, n in counted:
            for row, level in answer.items():
                matrix[row][level] += n
        return {"matrix": {row: dict(levels) for row, levels in matrix.items()}}

    def columns(self, question, other_header):
        return [(row["id"], f"{_title(question)} - {row.get('label', row['id'])}") for row in question["rows"]]

    def cell(self, question, answer, part):
        if not isinstance(answer, dict):
            return ""
        return _labels(question, "scale").get(answer.get(part), "")

    def chart(self, question, result, names=None):
        scale = _option_ids(question, "scale")
        labels = _labels(question, "rows")
        rows = tuple((labels[row], tuple(result.matrix.get(row, {}).get(level, 0) for level in scale))
                     for row in _option_ids(question, "rows"))
        return Chart("grid", rows, columns=tuple(_labels(question, "scale")[s] for s in scale))

    def _next_row(self, question, partial):
        return next(r for r in question["rows"] if r["id"] not in (partial or {}))

    def ask(self, question, partial=None):
        row = self._next_row(question, partial)
        scale = [str(s.get("label") or s["id"]) for s in question["scale"]]
        lines = (_title(question), f"· {row.get('label') or row['id']}", *_numbered(scale))
        return Prompt(lines, "survey.chat.one")

    def understand(self, question, text, partial=None):
        row = self._next_row(question, partial)
        scale = question["scale"]
        number = reading.small_int(text)
        if number is None or not 1 <= number <= len(scale):
            index = parse_choice(text, [str(s.get("label") or s["id"]) for s in scale])
            number = None if index is None else index + 1
        if number is None:
            raise NotUnderstood("survey.chat.not_one", highest=len(scale))
        done = dict(partial or {}, **{row["id"]: scale[number - 1]["id"]})
        return Understood(done, done=len(done) == len(question["rows"]))


class Photo(Kind):
    """Up to three photos (uploaded in the mini-program)."""

    name = "photo"

    def check(self, question, given, catalogue_codes=()):
        if not (isinstance(given, list) and all(isinstance(p, str) for p in given) and len(given) <= MAX_PHOTOS):
            return ("survey.answer.photo", {})
        if not all(PHOTO_NAME.match(p) for p in given):  # only names the photo upload gave back
            return ("survey.answer.photo_name", {})
        return None

    def stored_files(self, question, answer):
        return list(answer) if isinstance(answer, list) else []

    def cell(self, question, answer, part):
        return "、".join(answer) if isinstance(answer, list) and answer else ""

    def chart(self, question, result, names=None):
        return Chart("none")

    def chat_obstacle(self, question):
        return "survey.chat.cannot_photo"


KINDS = {kind.name: kind for kind in (Single(), Multiple(), Catalogue(), Ranking(), Rating(), Number(), Text(),
                                      Matrix(), Photo())}


def kind_of(question):
    """The Kind of a question (KeyError for a type the registry doesn't know)."""
    return KINDS[question["type"]]
