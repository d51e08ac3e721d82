"""Reading a resident's short chat answer to a survey question: numbers in any form (8000, ８０００, 两千五,
1.5万, 一万左右, 5000-8000, 大概两千), lists of option numbers (1 3, 1、3), option labels. Pure."""
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
           "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9,
           "玖": 9}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000}
_BIG_UNITS = {"万": 10000, "萬": 10000, "w": 10000, "亿": 10 ** 8}
# Words around an amount that do not change it; the first group marks it as rough.
_ROUGH = ("大概", "大约", "大致", "约莫", "差不多", "估计", "可能", "也许", "左右", "上下", "来块", "约", "顶多",
          "最多", "以内", "以下", "之内")
_NOISE = ("人民币", "块钱", "元钱", "块", "元", "钱", "rmb", "yuan", "吧", "呀", "啊", "的样子", "的", "吗", "呢",
          "我家", "我们", "我", "能出", "愿意出", "可以出", "出")
_RANGE = re.compile(r"(?<=[0-9零〇一二两三四五六七八九十百千万亿kw])\s*(?:-|~|—|–|到|至)\s*(?=[0-9零〇一二两三四五六七八九十])")
_AMOUNT = re.compile(r"[0-9.零〇一壹幺二贰两俩三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万萬亿kw]+")
_PUNCTUATION = re.compile(r"[\s,，。.!！?？~～、;；:：\"'“”‘’]+$")


@dataclass(frozen=True)
class Amount:
    """A number as a resident gave it: exact when low == high, a range otherwise; rough for 左右, 大概."""

    low: Fraction
    high: Fraction
    rough: bool = False

    @property
    def value(self):
        """The one number to record: the number itself, or the middle of a range."""
        return self.low if self.low == self.high else (self.low + self.high) / 2


def normal(text):
    """Full-width to half-width, lower case, trimmed, without trailing punctuation."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    return _PUNCTUATION.sub("", text).strip()


def _one(token):
    """One amount like '8000', '1.5万', '两千五', '三千五百', '5k'; None when it is not one."""
    if not token or not _AMOUNT.fullmatch(token) or token.count(".") > 1:
        return None
    total, section, current, last_unit, digits = Fraction(0), Fraction(0), None, None, 0
    i = 0
    while i < len(token):
        char = token[i]
        if char.isdigit() or char == ".":
            run = re.match(r"[0-9]*\.?[0-9]*", token[i:]).group(0)
            if run in ("", "."):
                return None
            current, digits = Fraction(run), (len(run) if "." not in run else 0)
            i += len(run)
            continue
        if char in _DIGITS:
            current = (current or 0) * 10 + _DIGITS[char] if digits else Fraction(_DIGITS[char])
            digits += 1
        elif char in _SMALL_UNITS:
            section += (current if current is not None else 1) * _SMALL_UNITS[char]
            current, digits, last_unit = None, 0, _SMALL_UNITS[char]
        elif char in _BIG_UNITS:
            total = (total + section + (current or 0)) * _BIG_UNITS[char]
            section, current, digits, last_unit = Fraction(0), None, 0, _BIG_UNITS[char]
        else:
            return None
        i += 1
    if current is not None and last_unit is not None and digits == 1 and last_unit >= 100:
        current = current * last_unit / 10          # 两千五 is 2500, 一万五 is 15000
    return total + section + (current or 0)


def parse_amount(text):
    """An Amount, or None when the text is not a number (words like 不知道 are not numbers)."""
    text = normal(text).replace(",", "").replace("，", "").replace(" ", "")
    rough = False
    for word in _ROUGH:
        if word in text:
            rough, text = True, text.replace(word, "")
    for word in _NOISE:
        text = text.replace(word, "")
    parts = _RANGE.split(text, maxsplit=1)
    if len(parts) == 2:
        low, high = _one(parts[0]), _one(parts[1])
        if low is None or high is None:
            return None
        unit = parts[1][-1]
        if not any(c in _SMALL_UNITS or c in _BIG_UNITS for c in parts[0]) and (
                unit in _SMALL_UNITS or unit in _BIG_UNITS):
            low *= _SMALL_UNITS.get(unit) or _BIG_UNITS[unit]   # 1-2万 is 10000 to 20000
        low, high = min(low, high), max(low, high)
        return Amount(low, high, True)
    value = _one(text)
    return None if value is None else Amount(value, value, rough)


def parse_small_int(text):
    """A small whole number in any form (3, ３, 三, 叁, 第三), or None."""
    text = normal(text)
    text = re.sub(r"^第|[个项号条分星颗]+$", "", text)
    amount = _one(text)
    if amount is None or amount.denominator != 1 or "." in text:
        return None
    return int(amount)


def parse_int_list(text, highest):
    """Option numbers like '1 3', '1、3', '1,3' or '13' (when every option has one digit); None if not that."""
    text = normal(text)
    tokens = [t for t in re.split(r"[\s,，、;；和与跟及/]+", text) if t]
    if len(tokens) == 1 and highest < 10 and re.fullmatch(r"[1-9]{2,}", tokens[0]):
        tokens = list(tokens[0])
    numbers = [parse_small_int(t) for t in tokens]
    return None if not numbers or any(n is None for n in numbers) else numbers


_YES = {"是", "是的", "对", "对的", "好", "好的", "行", "可以", "同意", "同意吧", "嗯", "要", "需要", "愿意", "想",
        "ok", "yes", "y", "👍"}
_NO = {"不", "不是", "不对", "不行", "不同意", "不要", "不需要", "不愿意", "不想", "否", "no", "n"}


def _bare(text):
    return re.sub(r"[吧呀啊啦了哦的]+$", "", normal(text)) or normal(text)


def match_label(text, labels):
    """The index of the label the text names (exactly, or by yes/no words for yes/no labels), or None."""
    said, bare = normal(text), _bare(text)
    for index, label in enumerate(labels):
        if normal(label) in (said, bare):
            return index
    for words in (_YES, _NO):
        if said in words or bare in words:
            hits = [i for i, label in enumerate(labels) if normal(label) in words or _bare(label) in words]
            if len(hits) == 1:
                return hits[0]
    return None
