"""Validators for identity document numbers, organisation codes and contact details.

Pure functions: no Flask, no database. Every validator returns the normalised
value or raises a ``ValueError`` subclass whose message is a Chinese sentence
that can be shown to the user as is.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email

from . import clock

#: Codes of the 证件类型 accepted by the portal, with their labels.
ID_TYPE_LABELS: dict[str, str] = {
    "resident_id": "居民身份证",
    "officer": "军官证",
    "passport": "护照",
    "hk_macao": "港澳居民来往内地通行证",
    "taiwan": "台湾居民来往大陆通行证",
    "foreign_pr": "外国人永久居留身份证",
}

#: First two digits of a resident ID number (province-level division).
# fmt: off
PROVINCE_CODES: frozenset[str] = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
    "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
    "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
# fmt: on

_EARLIEST_BIRTH = date(1900, 1, 1)

_OFFICER_RE = re.compile(r"[\u4e00-\u9fff0-9A-Z]{4,20}")
_PASSPORT_RE = re.compile(r"[0-9A-Z]{5,17}")
_HK_MACAO_RE = re.compile(r"[HM]([0-9]{8}|[0-9]{10})")
_TAIWAN_RE = re.compile(r"[0-9]{8}|[0-9]{10}[A-Z]?")
_FOREIGN_PR_OLD_RE = re.compile(r"[A-Z]{3}[0-9]{12}")
_FOREIGN_PR_NEW_RE = re.compile(r"9[0-9]{16}[0-9X]")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_SEPARATORS_RE = re.compile(r"[\s-]")

#: The one message for a mobile number that is not a mainland 11-digit number (also a msgid of the catalogs).
MOBILE_MESSAGE = "请填写11位手机号码。"
#: The one message for an email address whose syntax is wrong (also a msgid of the catalogs).
EMAIL_MESSAGE = "电子邮箱格式不正确。"


class IdNumberError(ValueError):
    """An identity document number is malformed; the message is Chinese."""


class CreditCodeError(ValueError):
    """A 统一社会信用代码 is malformed; the message is Chinese."""


class MobileError(ValueError):
    """A 手机号码 is not a mainland mobile number; the message is Chinese."""


class EmailError(ValueError):
    """An 电子邮箱 address is not valid; the message is Chinese."""


def _is_digits(text: str) -> bool:
    """True for a non-empty string of ASCII digits only."""
    return text.isascii() and text.isdigit()


def _clean(number: str) -> str:
    """Fold full-width characters to ASCII, strip and upper-case."""
    if not isinstance(number, str):
        raise IdNumberError("请填写证件号码")
    return unicodedata.normalize("NFKC", number).strip().upper()


#: ISO 7064 MOD 11-2 over 17 digits: weight 2**(17 - i) mod 11 of the i-th digit, check character by remainder
_MOD11_2_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_MOD11_2_CHECK = "10X98765432"


def mod11_2_check_char(body17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of 17 digits (the same as ``stdnum.iso7064.mod_11_2``'s, which
    tests/test_validators.py checks; computed here without stdnum's per-call clean-up, a tenth of its cost, since
    an import checks a million of them)."""
    if len(body17) != 17 or not _is_digits(body17):
        raise ValueError("mod11_2_check_char expects 17 ASCII digits")
    return _MOD11_2_CHECK[sum(int(digit) * weight for digit, weight in zip(body17, _MOD11_2_WEIGHTS, strict=True)) % 11]


#: GB 32100: weight 3**i mod 31 of the i-th character's value in _USCC_CHARS (``stdnum.cn.uscc``)
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUES = {char: value for value, char in enumerate(_USCC_CHARS)}


def uscc_check_char(body17: str) -> str:
    """The 统一社会信用代码's check character of its first 17 characters (upper case, from _USCC_CHARS): the same as
    ``stdnum.cn.uscc.calc_check_digit`` (tests/test_validators.py checks), without its per-call clean-up."""
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[-total % 31]


def _parse_birth_date(yyyymmdd: str) -> date:
    """Parse and check a birth date embedded in an ID number."""
    try:
        birth = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise IdNumberError("身份证号码中的出生日期无效") from None
    if birth < _EARLIEST_BIRTH or birth > clock.today():
        raise IdNumberError("身份证号码中的出生日期无效")
    return birth


def _check_province(number: str) -> None:
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberError("身份证号码中的地址码无效")


def validate_resident_id(number: str) -> str:
    """Validate an 18-digit 居民身份证 number (GB 11643) and normalise it."""
    number = _clean(number)
    if not number:
        raise IdNumberError("请填写身份证号码")
    if len(number) != 18:
        raise IdNumberError("身份证号码应为18位")
    if not _is_digits(number[:17]) or number[17] not in "0123456789X":
        raise IdNumberError("身份证号码只能由数字组成，最后一位可以是X")
    _check_province(number)
    _parse_birth_date(number[6:14])
    if mod11_2_check_char(number[:17]) != number[17]:
        raise IdNumberError("身份证号码校验位不正确")
    return number


def validate_first_generation_id(number: str) -> str:
    """Validate a 15-digit first-generation 居民身份证 number (born 19YY)."""
    number = _clean(number)
    if len(number) != 15:
        raise IdNumberError("一代身份证号码应为15位")
    if not _is_digits(number):
        raise IdNumberError("一代身份证号码只能由数字组成")
    _check_province(number)
    _parse_birth_date("19" + number[6:12])
    return number


def upgrade_to_18(number15: str) -> str:
    """Convert a valid 15-digit number to the same person's 18-digit number."""
    number15 = validate_first_generation_id(number15)
    body = number15[:6] + "19" + number15[6:]
    return body + mod11_2_check_char(body)


def is_same_person(id15: str, id18: str) -> bool:
    """Whether a valid 18-digit number is the upgrade of a 15-digit one."""
    try:
        return upgrade_to_18(id15) == validate_resident_id(id18)
    except IdNumberError:
        return False


def _validate_either_generation(number: str) -> str:
    number = _clean(number)
    if len(number) == 15:
        return validate_first_generation_id(number)
    return validate_resident_id(number)


def birth_date_from_id(number: str) -> date:
    """Return the birth date encoded in a 15- or 18-digit resident ID."""
    number = _validate_either_generation(number)
    if len(number) == 15:
        return _parse_birth_date("19" + number[6:12])
    return _parse_birth_date(number[6:14])


def gender_from_id(number: str) -> str:
    """Return '男' or '女' from the sequence code of a resident ID."""
    number = _validate_either_generation(number)
    digit = int(number[14] if len(number) == 15 else number[16])
    return "男" if digit % 2 else "女"


def validate_officer_id(number: str) -> str:
    """Validate a 军官证 number, e.g. 南字第1234567号 or plain digits."""
    number = _clean(number)
    if not _OFFICER_RE.fullmatch(number):
        raise IdNumberError("军官证号码应为4至20位汉字、字母或数字")
    return number


def validate_passport(number: str) -> str:
    """Validate a 护照 number: 5 to 17 letters or digits."""
    number = _clean(number)
    if not _PASSPORT_RE.fullmatch(number):
        raise IdNumberError("护照号码应为5至17位字母或数字")
    return number


def validate_hk_macao_permit(number: str) -> str:
    """Validate a 港澳居民来往内地通行证 number: H or M + 8 or 10 digits."""
    number = _clean(number)
    if not _HK_MACAO_RE.fullmatch(number):
        raise IdNumberError("港澳居民来往内地通行证号码应为H或M开头加8位或10位数字")
    return number


def validate_taiwan_permit(number: str) -> str:
    """Validate a 台湾居民来往大陆通行证 number.

    Accepts 8 digits, or the older 10 digits with an optional letter suffix,
    written either plain or in brackets ("1234567890(B)" -> "1234567890B").
    """
    number = re.sub(r"\(([A-Z])\)$", r"\1", _clean(number))
    if not _TAIWAN_RE.fullmatch(number):
        raise IdNumberError("台湾居民来往大陆通行证号码应为8位数字，或10位数字加可选的1位字母")
    return number


def validate_foreign_pr(number: str) -> str:
    """Validate a 外国人永久居留身份证 number, old (15) or 2023 (18) format."""
    number = _clean(number)
    if _FOREIGN_PR_OLD_RE.fullmatch(number):
        return number
    if not _FOREIGN_PR_NEW_RE.fullmatch(number):
        raise IdNumberError("外国人永久居留身份证号码应为3位字母加12位数字，或以9开头的18位号码")
    if mod11_2_check_char(number[:17]) != number[17]:
        raise IdNumberError("外国人永久居留身份证号码校验位不正确")
    return number


def validate_id_number(id_type: str, number: str, allow_first_generation: bool = False) -> str:
    """Validate a 证件号码 for its 证件类型 code and return it normalised."""
    number = _clean(number)
    if not number:
        raise IdNumberError("请填写证件号码")
    if id_type == "resident_id":
        if allow_first_generation and len(number) == 15:
            return validate_first_generation_id(number)
        return validate_resident_id(number)
    validator = _OTHER_VALIDATORS.get(id_type)
    if validator is None:
        raise IdNumberError("不支持的证件类型")
    return validator(number)


_OTHER_VALIDATORS = {
    "officer": validate_officer_id,
    "passport": validate_passport,
    "hk_macao": validate_hk_macao_permit,
    "taiwan": validate_taiwan_permit,
    "foreign_pr": validate_foreign_pr,
}


def validate_credit_code(code: str) -> str:
    """Validate a 统一社会信用代码 (GB 32100) and return it normalised.

    The first two characters (registration authority and entity type) may be
    letters such as Y or N, which python-stdnum's format check refuses; the
    check character is computed as ``stdnum.cn.uscc`` does (``uscc_check_char``).
    """
    if not isinstance(code, str):
        raise CreditCodeError("请填写统一社会信用代码")
    code = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", code)).upper()
    if not code:
        raise CreditCodeError("请填写统一社会信用代码")
    if len(code) != 18:
        raise CreditCodeError("统一社会信用代码应为18位")
    if any(char not in _USCC_CHARS for char in code) or not _is_digits(code[2:8]):
        raise CreditCodeError("统一社会信用代码含有无效字符")
    if uscc_check_char(code[:17]) != code[17]:
        raise CreditCodeError("统一社会信用代码校验位不正确")
    return code


def normalize_mobile(value: str) -> str:
    """Validate a mainland 手机号码 and return its 11 digits.

    Full-width digits are folded to ASCII and spaces and hyphens are dropped, so "139 1234-5678" and
    "１３９１２３４５６７８" both give "13912345678"; the number must then be 1, a digit 3-9 and nine digits.
    """
    if not isinstance(value, str):
        raise MobileError(MOBILE_MESSAGE)
    number = _MOBILE_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", value))
    if not _MOBILE_RE.fullmatch(number):
        raise MobileError(MOBILE_MESSAGE)
    return number


def normalize_email(value: str) -> str:
    """Check an 电子邮箱's syntax with email-validator (no DNS lookup) and return its normalised form."""
    if not isinstance(value, str):
        raise EmailError(EMAIL_MESSAGE)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise EmailError(EMAIL_MESSAGE) from error


def mask_id_number(number: str) -> str:
    """Hide the middle of an ID number, keeping its length."""
    if not number:
        return ""
    length = len(number)
    if length <= 4:
        return "*" * length
    keep = 4 if length > 8 else 2
    return number[:keep] + "*" * (length - 2 * keep) + number[-keep:]


def make_resident_id(address6: str, birth: date, seq3: int) -> str:
    """Build a valid 18-digit resident ID number (for tests and demo data)."""
    body = f"{address6}{birth:%Y%m%d}{seq3:03d}"
    if len(body) != 17 or not _is_digits(body):
        raise IdNumberError("身份证号码应为18位")
    return validate_resident_id(body + mod11_2_check_char(body))


def make_credit_code(body17: str) -> str:
    """Append the GB 32100 check character to 17 characters."""
    return validate_credit_code(body17 + uscc_check_char(body17.upper()))
