"""People's identities: normalising names, document numbers and phones; keyed hashes; masking."""
import hashlib
import hmac
import re
import unicodedata

from core.errors import RuleViolation

DOC_TYPES = {
    "cn_id": ("身份证", "居民身份证", "cn_id", "id", "身份证号"),
    "hk_mo_permit": ("港澳居民来往内地通行证", "回乡证", "港澳通行证", "hk_mo_permit"),
    "tw_permit": ("台湾居民来往大陆通行证", "台胞证", "台湾通行证", "tw_permit"),
    "passport": ("护照", "passport"),
    "org_code": ("统一社会信用代码", "营业执照", "org_code", "uscc"),
}
_DOC_ALIASES = {alias.lower(): doc for doc, aliases in DOC_TYPES.items() for alias in aliases}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CN_ID = re.compile(r"^\d{17}[\dX]$")
_OTHER_DOC = re.compile(r"^[A-Z0-9()]{5,20}$")
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")


def normalise_text(value):
    """NFKC-fold full-width characters and collapse white space."""
    text = str(value or "")
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if "  " in text or text != text.strip() or "\t" in text or "\n" in text or "\u3000" in text:
        return " ".join(text.split())
    return text


def normalise_name(value):
    """A person's name as compared across rows: NFKC, no spaces inside Chinese names."""
    text = normalise_text(value)
    if _CJK.search(text):
        text = text.replace(" ", "").replace("·", "·")
    return text


def parse_doc_type(value):
    """Map a document-type cell (Chinese or English) to a code; blank means a mainland ID."""
    text = normalise_text(value).lower()
    if not text:
        return "cn_id"
    try:
        return _DOC_ALIASES[text]
    except KeyError:
        raise RuleViolation("roll.bad_id_type", value=str(value)) from None


def cn_id_valid(number):
    """Whether an 18-character mainland ID number has the right GB 11643 check digit."""
    if not _CN_ID.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def normalise_document(doc_type, value):
    """Normalise and check a document number for its type; raise RuleViolation when invalid."""
    number = normalise_text(value).upper().replace(" ", "").replace("-", "")
    if doc_type == "cn_id":
        if not cn_id_valid(number):
            raise RuleViolation("roll.bad_id", value=str(value))
    elif not _OTHER_DOC.match(number):
        raise RuleViolation("roll.bad_document", value=str(value))
    return number


def normalise_certificate(value):
    """A property certificate number as compared: NFKC, upper case, no spaces (川(2019)成都市不动产权第0123456号)."""
    return normalise_text(value).upper().replace(" ", "")


def certificate_key(secret, number):
    """The keyed hash of a property certificate number; what a neighbour does not know."""
    return identity_key(secret, "certificate", normalise_certificate(number)) if number else None


def scoped_key(secret, compound_id, key):
    """A person's key within one compound, for someone another compound's roll already names."""
    return identity_key(secret, f"compound:{compound_id}", key)


def identity_key(secret, doc_type, number):
    """The keyed hash that names one owner across dwellings without storing the number."""
    message = f"{doc_type}:{number}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def organisation_key(secret, name):
    """The keyed hash for an organisation (a developer) known only by its name."""
    return identity_key(secret, "org_name", normalise_name(name))


def mask_document(number):
    """Show the first and last four characters of a document number."""
    if len(number) <= 8:
        return number[:2] + "*" * max(len(number) - 2, 0)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def normalise_phone(value):
    """An 11-digit mainland mobile number from '138 1234 5678', '138-1234-5678' or '+86…'."""
    text = normalise_text(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    digits = re.sub(r"[\s\-()]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits:
        return None
    if not re.fullmatch(r"1\d{10}", digits):
        raise RuleViolation("roll.bad_phone", value=str(value))
    return digits


def mask_phone(phone):
    """138****1234."""
    if not phone:
        return None
    return phone[:3] + "****" + phone[-4:]
