"""What a survey question needs beyond core.understanding's reading of one short reply: option numbers
given as a list (1 3, 1、3, 13), a small whole number (3, ３, 三, 第三, 5分), and one amount to record
for a number question. Pure."""
import re
from fractions import Fraction

from core.understanding import normalise, parse_number

_SEPARATORS = re.compile(r"[\s,，、;；/和与跟及]+")


def small_int(text):
    """A small whole number in any form (3, ３, 三, 叁, 第三个, 5分, 五星), or None."""
    text = re.sub(r"^第|[个项号条]$", "", normalise(text))
    number = parse_number(text)
    if number is None or number.is_range or number.approximate or number.low.denominator != 1:
        return None
    return int(number.low)


def option_numbers(text, highest):
    """Option numbers like '1 3', '1、3', '1和3' or '13' (when every option has one digit); None if not."""
    tokens = [t for t in _SEPARATORS.split(normalise(text)) if t]
    if len(tokens) == 1 and highest < 10 and re.fullmatch(r"[1-9]{2,}", tokens[0]):
        tokens = list(tokens[0])
    numbers = [small_int(t) for t in tokens]
    return None if not numbers or any(n is None for n in numbers) else numbers


def amount(number):
    """The one value to record for a core.understanding Number: the number itself, the middle of a range,
    the bound of 'at least' or 'at most' (0 to N); 万 in the unit (2万元) counts."""
    scale = 10000 if number.unit.startswith("万") else 1
    if number.high is None:
        value = number.low
    elif number.low == 0 or number.low == number.high:
        value = number.high
    else:
        value = (number.low + number.high) / 2
    return Fraction(value) * scale
