"""What a short Chinese (or English) reply means: yes, no, cancel, done, a number or one of the options.

Pure: plain strings in, plain values out; no app, no database, no translation. Every conversation (the
official-account bot's flows, chat surveys) asks this module instead of keeping word lists of its own, so
one reply means the same thing at every step (voice.md "Understanding").

API (kept stable):
- `parse_yes_no(text)` -> True, False or None (not a yes or a no)
- `parse_choice(text, options)` -> the 0-based index of the chosen option, or None
- `parse_number(text)` -> a `Number` (an exact value, a rough value or a range), or None
- `is_cancel(text)` -> whether the person wants to stop or go back (0, 取消, 算了, 不要了 ...)
- `is_done(text)` -> whether the person says they have finished a step (好, 0, 没有了, 就这些 ...)
- `is_content(text)` -> whether a reply can be content (a wish's description), not a control word
"""
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

# Trailing punctuation, spaces and the full stop voice recognition adds.
_EDGE = re.compile(r"^[\s。.!！?？,，、~～…;；:：\"'“”‘’]+|[\s。.!！?？,，、~～…;；:：\"'“”‘’]+$")
# Particles that soften a reply without changing it: 同意吧, 好啊, 是的呢, 对呀.
_PARTICLES = "吧啊呀哈呢哦喔噢嘛啦咯哇嗯"
_LEADING = ("嗯嗯", "嗯", "哦", "噢", "喔", "那就", "那", "就", "我", "我们", "我们家", "我家", "俺")

YES_WORDS = frozenset({
    "1", "是", "是的", "是滴", "对", "对的", "对对", "对头", "好", "好的", "好滴", "行", "行的", "可以", "同意",
    "赞成", "支持", "嗯", "嗯嗯", "确认", "确定", "没问题", "要", "要的", "需要", "ok", "okay", "yes", "y",
    "yeah", "sure", "agree", "confirm", "👍", "👌", "/:strong", "/:ok", "[强]", "[ok]", "[好的]", "同意的",
})
NO_WORDS = frozenset({
    "2", "不", "不是", "否", "不对", "不行", "不同意", "不要", "不好", "不可以", "不用", "不需要", "不赞成",
    "反对", "没有", "没", "no", "n", "nope", "disagree", "👎", "/:weak", "[弱]",
})
CANCEL_WORDS = frozenset({
    "0", "取消", "算了", "不要了", "退出", "返回", "不用了", "不弄了", "不办了", "不填了", "不投了", "不投",
    "重来", "cancel", "quit", "exit", "stop", "back",
})
DONE_WORDS = frozenset({
    "0", "好", "好了", "好的", "行了", "可以了", "完成", "完了", "完毕", "提交", "结束", "没有", "没有了", "没了",
    "就这些", "就这样", "就这么多", "就这些了", "就这样吧", "没有别的了", "没别的了", "说完了", "无", "done",
    "finish", "finished", "ok", "that's all", "thats all", "nothing else", "none",
})

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3,
           "叁": 3, "仨": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
           "捌": 8, "九": 9, "玖": 9}
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_LATIN = {"k": 1000, "w": 10_000}
_D, _U = "".join(_DIGITS), "".join(_SMALL) + "".join(_BIG)  # character classes: digits, multipliers
_CN_RE = re.compile(rf"^[{_D}{_U}]+$")
_AMOUNT = re.compile(rf"(?:\d+(?:\.\d+)?|[{_D}{_U}]+(?:点[{_D}]+)?)[{_U}kw]*")

# Words around a number that say it is rough, or bounded on one side.
_ROUGH_BEFORE = ("大概", "大约", "大致", "约莫", "约", "差不多", "估计", "可能", "将近", "接近", "大慨", "左右是",
                 "about", "around", "roughly", "approx", "~")
_ROUGH_AFTER = ("左右", "上下", "前后", "多点", "来", "多", "出头", "几")
_AT_MOST = ("不超过", "最多", "顶多", "至多", "不到", "不多于", "up to", "at most", "max")
_AT_MOST_AFTER = ("以下", "以内", "之内", "以里", "内", "封顶")
_AT_LEAST = ("至少", "最少", "起码", "不少于", "at least", "min")
_AT_LEAST_AFTER = ("以上", "起", "起步")
_RANGE = re.compile(r"\s*(?:-|~|—|–|到|至|或者|或|to)\s*")
# Units a resident may add to a number; reported back, never part of the value.
_UNITS = ("万元", "块钱", "元钱", "人民币", "元", "块", "rmb", "yuan", "平方米", "平米", "平方", "m2", "sqm", "平",
          "米", "m", "个月", "月", "年", "天", "日", "小时", "分钟", "岁", "层", "楼", "户", "家", "人", "口人", "口",
          "个", "位", "辆", "台", "次", "分", "星", "%", "百分之")
# Lead-ins that carry no meaning of their own: 我愿意出5000, 能出两千.
_LEAD_INS = ("我觉得", "我认为", "我想", "应该是", "应该", "我愿意出", "愿意出", "我能出", "能出", "我出", "出",
             "可以出", "我选", "选", "是")


@dataclass(frozen=True)
class Number:
    """A number a person replied: exact (low == high), rough (approximate) or a range.

    `high` is None for "at least low" (5000以上); `low` is 0 for "at most high" (不超过8000).
    `value` is the single value when there is one (exact or rough), else None. `unit` is what followed
    the number (元, 平方米, 岁 ...), "" when nothing did. Values are exact Fractions (1.5万 = 15000).
    """

    low: Fraction
    high: Fraction | None
    approximate: bool = False
    unit: str = ""

    @property
    def is_range(self):
        return self.high != self.low

    @property
    def value(self):
        return self.low if self.high == self.low else None

    def contains(self, value):
        """Whether an exact value lies within this number's range (bounds included)."""
        value = Fraction(value)
        return self.low <= value and (self.high is None or value <= self.high)


def normalise(text):
    """NFKC (full-width digits and letters to half-width), trimmed, lower-case, without edge punctuation."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return _EDGE.sub("", text).strip()


def _variants(text):
    """The reply, then without leading interjections and trailing particles: 嗯，同意吧 -> 同意."""
    seen = [text]
    current = text
    for _round in range(3):
        stripped = current
        for lead in sorted(_LEADING, key=len, reverse=True):
            if stripped.startswith(lead) and len(stripped) > len(lead):
                stripped = _EDGE.sub("", stripped[len(lead):])
                break
        while len(stripped) > 1 and stripped[-1] in _PARTICLES:
            stripped = _EDGE.sub("", stripped[:-1])
        if stripped == current:
            break
        current = stripped
        seen.append(current)
    return seen


def _matches(text, words):
    return any(v in words for v in _variants(normalise(text)))


def parse_yes_no(text):
    """True for a yes (1, 是的, 好的, 同意吧, OK, 👍), False for a no (2, 不, 不同意, 不要), else None."""
    variants = _variants(normalise(text))
    if not variants[0]:
        return None
    for variant in variants:
        if variant in NO_WORDS:
            return False
        if variant in YES_WORDS:
            return True
    return None


def is_cancel(text):
    """Whether the reply asks to stop or go back: 0, 取消, 算了, 不要了, 退出, 返回."""
    return _matches(text, CANCEL_WORDS)


def is_done(text):
    """Whether the reply ends a step rather than adding to it: 好, 0, 没有了, 没了, 就这些, done."""
    return _matches(text, DONE_WORDS)


def is_content(text):
    """Whether a reply can be stored as content: not empty, not a control word, not a bare number."""
    value = normalise(text)
    if not value or is_done(value) or is_cancel(value) or parse_yes_no(value) is not None:
        return False
    if parse_number(value) is not None and not re.search(r"[a-z\u4e00-\u9fff]{2,}", _AMOUNT.sub("", value)):
        return False
    return bool(re.search(r"[a-z\u4e00-\u9fff]", value))


def _chinese_integer(text):
    """一万二千三百四十五 -> 12345; colloquial 一万五 -> 15000, 两千五 -> 2500; 二零二六 -> 2026."""
    if not text:
        return None
    if all(ch in _DIGITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    total, section, number = 0, 0, None
    last_unit, after_zero, previous = None, False, None
    for ch in text:
        if ch in _DIGITS:
            if previous is not None and previous in _DIGITS and _DIGITS[previous] != 0:
                return None  # 三四 without a unit: not a number this function reads
            if _DIGITS[ch] == 0:
                after_zero = True
                number = None
            else:
                number = _DIGITS[ch]
        elif ch in _SMALL:
            unit = _SMALL[ch]
            section += (1 if number is None else number) * unit
            number, last_unit, after_zero = None, unit, False
        else:
            unit = _BIG[ch]
            section += number or 0
            if unit == 100_000_000:
                total = (total + section) * unit
            else:
                total += section * unit
            section, number, last_unit, after_zero = 0, None, unit, False
        previous = ch
    if number is not None:
        if last_unit and not after_zero and previous in _DIGITS and text[-2] not in _DIGITS:
            number *= last_unit // 10  # 一万五 is 15000, 两千五 is 2500, 三百五 is 350
        section += number
    return total + section


def _amount(token):
    """One amount: 5000, 1.5万, 5k, 八十五点六, 两千五, 三万 -> Fraction; None if not an amount."""
    token = token.strip()
    if not token:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿kw]*)", token)
    if match:
        value = Fraction(match.group(1))
        for ch in match.group(2):
            value *= _SMALL.get(ch) or _BIG.get(ch) or _LATIN[ch]
        return value
    if "点" in token:
        whole, _sep, rest = token.partition("点")
        big = 1
        while rest and rest[-1] in _BIG:
            big *= _BIG[rest[-1]]
            rest = rest[:-1]
        if not rest or any(ch not in _DIGITS for ch in rest):
            return None
        integer = _chinese_integer(whole) if whole else 0
        if integer is None:
            return None
        return (integer + Fraction("0." + "".join(str(_DIGITS[ch]) for ch in rest))) * big
    if _CN_RE.match(token):
        value = _chinese_integer(token)
        return None if value is None else Fraction(value)
    mixed = re.fullmatch(rf"(\d+(?:\.\d+)?)([{_U}])([\d{_D}]?)", token)
    if mixed:  # 1万5 -> 15000, 2千5 -> 2500
        big = _BIG.get(mixed.group(2)) or _SMALL[mixed.group(2)]
        digit = mixed.group(3)
        tail = (int(digit) if digit.isdigit() else _DIGITS[digit]) * big // 10 if digit else 0
        return Fraction(mixed.group(1)) * big + tail
    return None


def _strip_words(text, before, after):
    """Remove one of the words at the start and one at the end; returns (text, found)."""
    found = False
    for word in sorted(before, key=len, reverse=True):
        if text.startswith(word):
            text, found = text[len(word):].strip(), True
            break
    for word in sorted(after, key=len, reverse=True):
        if text.endswith(word) and len(text) > len(word):
            text, found = text[:-len(word)].strip(), True
            break
    return text, found


def _split_unit(text):
    for unit in sorted(_UNITS, key=len, reverse=True):
        if unit == "百分之" and text.startswith(unit):
            return text[len(unit):].strip(), "%"
        if unit != "百分之" and text.endswith(unit) and len(text) > len(unit):
            return text[:-len(unit)].strip(), unit
    return text, ""


def _few_range(text):
    """三四千 -> (3000, 4000), 七八十 -> (70, 80): two neighbouring digits before a unit."""
    match = re.fullmatch(rf"([{_D}])([{_D}])([{_U}]+)", text)
    if not match or _DIGITS[match.group(2)] != _DIGITS[match.group(1)] + 1 or _DIGITS[match.group(1)] == 0:
        return None
    low = _chinese_integer(match.group(1) + match.group(3))
    high = _chinese_integer(match.group(2) + match.group(3))
    return Fraction(low), Fraction(high)


def parse_number(text):
    """A number in any form: 5000, ５０００, 五千, 壹万, 1.5万, 5k; ranges 5000-8000, 三四千, 五千到八千;
    rough 一万左右, 大概两千; bounded 8000以内, 至少3000; with a unit (元, 平方米, 岁). None if not a number."""
    value = normalise(text).replace(",", "").replace("，", "").replace(" ", "")
    if not value:
        return None
    for _round in range(2):
        for lead in sorted(_LEAD_INS, key=len, reverse=True):
            if value.startswith(lead) and len(value) > len(lead):
                value = value[len(lead):]
                break
        while len(value) > 1 and value[-1] in _PARTICLES + "的了":
            value = value[:-1]
    value, rough = _strip_words(value, _ROUGH_BEFORE, ())
    value, at_most = _strip_words(value, _AT_MOST, ())
    value, at_least = _strip_words(value, _AT_LEAST, ())
    value, rough_after = _strip_words(value, (), _ROUGH_AFTER)
    value, unit = _split_unit(value)
    if not unit:
        value, rough_after2 = _strip_words(value, (), _ROUGH_AFTER)
        rough_after = rough_after or rough_after2
    value, most_after = _strip_words(value, (), _AT_MOST_AFTER)
    value, least_after = _strip_words(value, (), _AT_LEAST_AFTER)
    if not unit:
        value, unit = _split_unit(value)
    at_most, at_least, rough = at_most or most_after, at_least or least_after, rough or rough_after
    negative = value.startswith("-") and len(value) > 1 and value[1].isdigit()
    if negative:
        value = value[1:]
    parts = [p for p in _RANGE.split(value, maxsplit=1)] if not negative else [value]
    if len(parts) == 2 and parts[0] and parts[1]:
        high_text, high_unit = _split_unit(parts[1])
        low_text, _low_unit = _split_unit(parts[0])
        low, high = _amount(low_text), _amount(high_text)
        if low is None or high is None:
            return None
        # 5-8千 and 五到八万: a bare low end shares the high end's multiplier
        multiplier = re.search(rf"[{_U}kw]+$", high_text)
        if multiplier and not re.search(rf"[{_U}kw]$", low_text):
            scale = _amount("1" + multiplier.group(0))
            if low * scale <= high:
                low *= scale
        if low > high:
            low, high = high, low
        return Number(low, high, rough, unit or high_unit)
    few = _few_range(value)
    if few:
        return Number(few[0], few[1], True, unit)
    amount = _amount(value)
    if amount is None:
        return None
    if negative:
        amount = -amount
    if at_most:
        return Number(Fraction(0), amount, rough, unit)
    if at_least:
        return Number(amount, None, rough, unit)
    return Number(amount, amount, rough, unit)


def _label(text):
    return normalise(text).replace(" ", "")


def parse_choice(text, options):
    """The 0-based index of the option chosen, or None.

    `options` are the labels in the order shown, numbered from 1. A reply may be the number in any form
    (2, ２, 二, 贰, 第二个, 选2), the label (不同意), the label softened (同意吧) or inside a sentence (我不同意),
    or, when the options are a yes and a no, any yes or no (是的 for 是, 好的 for 同意).
    0 and cancel words are never a choice: ask `is_cancel` first.
    """
    labels = [_label(o) for o in options]
    value = normalise(text).replace(" ", "")
    if not value or not labels or is_cancel(value):
        return None
    numbered = re.fullmatch(r"(?:我选择|我选|选择|选第|选|第)?(.+?)(?:个选项|个|项|号|条|种)?", value)
    for candidate in (value, numbered.group(1) if numbered else None):
        if not candidate:
            continue
        if re.fullmatch(rf"\d+|[{_D}十]+", candidate):
            number = _amount(candidate)
            if number is not None and number.denominator == 1 and 1 <= number <= len(labels):
                return int(number) - 1
            return None
    for variant in _variants(value):
        if variant in labels:
            return labels.index(variant)
    contained = [i for i, label in enumerate(labels) if label and label in value
                 and not any(neg + label in value for neg in ("不", "没", "非"))]  # 不是 is not 是
    if contained:
        longest = max(contained, key=lambda i: len(labels[i]))
        if all(labels[i] in labels[longest] for i in contained):
            return longest
        return None
    meaning = parse_yes_no(value)
    if meaning is not None:
        polar = [i for i, label in enumerate(labels) if parse_yes_no(label) is meaning]
        if len(polar) == 1:
            return polar[0]
    return None


def parse_choices(text, options):
    """The sorted 0-based indices of several options named in one reply (1 3, 1、3, 1和3, 刘建国 陈秀英), or
    None when any part of it is not one of the options. 0 and cancel words are never a choice."""
    value = normalise(text)
    if not value or is_cancel(value):
        return None
    parts = [p for p in re.split(r"[\s,，、;；/]+|和|与|及", value) if p]
    if not parts:
        return None
    chosen = set()
    for part in parts:
        index = parse_choice(part, options)
        if index is None:
            return None
        chosen.add(index)
    return sorted(chosen)
