"""Unit and property tests for portal.validators (no database; the form validators need the app's request
context)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc
from stdnum.iso7064 import mod_11_2

from portal import clock
from portal.applicant.forms import CompleteProfileForm, ForgotPasswordForm
from portal.applicant.renewal_forms import PersonalForm
from portal.validators import (
    PROVINCE_CODES,
    CreditCodeError,
    EmailError,
    IdNumberError,
    MobileError,
    birth_date_from_id,
    gender_from_id,
    is_same_person,
    make_credit_code,
    make_resident_id,
    mask_id_number,
    mod11_2_check_char,
    normalize_email,
    normalize_mobile,
    upgrade_to_18,
    uscc_check_char,
    validate_credit_code,
    validate_first_generation_id,
    validate_id_number,
    validate_resident_id,
)

GUIDE_SAMPLE = "211322196402200016"
KNOWN_VALID_IDS = ("11010519491231002X", GUIDE_SAMPLE, "91184019900101123X")
BAD_EMAILS = ("a@b", "王@例子", "x@@y.cn", "wang@", "@example.com", "wang example@example.com")
BAD_MOBILES = ("12345", "12912345678", "1391234567", "139123456789", "139l2345678", "١٣٩١٢٣٤٥٦٧٨", "+8613912345678")
GOOD_MOBILES = ("13912345678", "139 1234 5678", "139-1234-5678", " 139 1234-5678 ", "１３９１２３４５６７８",
                "139\u30001234\u30005678")
no_db = settings(database=None)  # keep Hypothesis from writing .hypothesis/ into the tree


@no_db
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_id_check_character_is_stdnums(body):
    assert mod11_2_check_char(body) == mod_11_2.calc_check_digit(body)


@no_db
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_the_credit_code_check_character_is_stdnums(body):
    assert uscc_check_char(body) == uscc.calc_check_digit(body)


# --- 居民身份证 (18 digits) ---------------------------------------------------


def test_guide_sample_is_valid() -> None:
    assert validate_resident_id(GUIDE_SAMPLE) == GUIDE_SAMPLE


def test_wrong_check_digit_is_refused() -> None:
    with pytest.raises(IdNumberError, match="校验位不正确"):
        validate_resident_id("211322196402200017")


@pytest.mark.parametrize("number", KNOWN_VALID_IDS)
def test_check_character_comes_from_stdnum(number: str) -> None:
    assert mod11_2_check_char(number[:17]) == mod_11_2.calc_check_digit(number[:17]) == number[17]
    assert mod_11_2.is_valid(number)


def test_known_valid_ids_are_accepted() -> None:
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"
    assert validate_id_number("foreign_pr", "91184019900101123X") == "91184019900101123X"


@pytest.mark.parametrize("number", ["110105194912310021", "110105194912310020", "211322196402200010"])
def test_a_wrong_check_character_is_refused_with_its_message(number: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        validate_resident_id(number)
    assert str(refused.value) == "身份证号码校验位不正确"


@pytest.mark.parametrize("body", ["1101051949123100", "110105194912310021", "1101051949123100A", ""])
def test_check_character_needs_17_digits(body: str) -> None:
    with pytest.raises(ValueError):
        mod11_2_check_char(body)


def test_february_30_is_refused() -> None:
    body = "11010119900230123"
    with pytest.raises(IdNumberError, match="出生日期无效"):
        validate_resident_id(body + "0")


def test_future_birth_date_is_refused() -> None:
    tomorrow = clock.today() + timedelta(days=1)
    body = f"110101{tomorrow:%Y%m%d}123"
    with pytest.raises(IdNumberError, match="出生日期无效"):
        validate_resident_id(body + mod11_2_check_char(body))


def test_birth_before_1900_is_refused() -> None:
    body = "11010118991231123"
    with pytest.raises(IdNumberError, match="出生日期无效"):
        validate_resident_id(body + mod11_2_check_char(body))


def test_unknown_province_is_refused() -> None:
    body = "99010119900307123"
    with pytest.raises(IdNumberError, match="地址码无效"):
        validate_resident_id(body + mod11_2_check_char(body))


def test_unknown_county_code_is_accepted() -> None:
    number = make_resident_id("219999", date(1970, 1, 1), 7)
    assert validate_resident_id(number) == number


def test_lowercase_x_is_normalised() -> None:
    number = next(
        make_resident_id("110101", date(1980, 5, 1), seq)
        for seq in range(1000)
        if make_resident_id("110101", date(1980, 5, 1), seq).endswith("X")
    )
    assert validate_resident_id(number.lower()) == number
    assert validate_resident_id(f"  {number[:-1]}x\n") == number


def test_full_width_digits_are_folded() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in GUIDE_SAMPLE)
    assert validate_resident_id(full_width) == GUIDE_SAMPLE


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", "请填写"),
        ("21132219640220001", "应为18位"),
        ("2113221964022000166", "应为18位"),
        ("21132219640220001A", "只能由数字组成"),
        ("2113221964022A0016", "只能由数字组成"),
        ("21132219640220001٦", "只能由数字组成"),
    ],
)
def test_malformed_resident_ids(number: str, message: str) -> None:
    with pytest.raises(IdNumberError, match=message):
        validate_resident_id(number)


def test_id_number_error_is_a_value_error() -> None:
    assert issubclass(IdNumberError, ValueError)
    assert issubclass(CreditCodeError, ValueError)


# --- first-generation IDs -------------------------------------------------------


def test_upgrade_round_trip() -> None:
    assert upgrade_to_18("211322640220001") == GUIDE_SAMPLE
    assert is_same_person("211322640220001", GUIDE_SAMPLE)


def test_first_generation_rules() -> None:
    assert validate_first_generation_id("211322640220001") == "211322640220001"
    with pytest.raises(IdNumberError, match="出生日期无效"):
        validate_first_generation_id("211322640230001")
    with pytest.raises(IdNumberError, match="15位"):
        validate_first_generation_id("21132264022000")
    with pytest.raises(IdNumberError, match="数字"):
        validate_first_generation_id("21132264022000X")
    with pytest.raises(IdNumberError, match="地址码无效"):
        validate_first_generation_id("991322640220001")


@pytest.mark.parametrize(
    "id18",
    [
        make_resident_id("211323", date(1964, 2, 20), 1),  # other address
        make_resident_id("211322", date(1964, 2, 21), 1),  # other birth date
        make_resident_id("211322", date(1964, 2, 20), 2),  # other sequence
        "211322196402200017",  # wrong check digit
        "211322640220001",  # not 18 digits
    ],
)
def test_is_same_person_false_cases(id18: str) -> None:
    assert not is_same_person("211322640220001", id18)


def test_is_same_person_with_invalid_15_digit() -> None:
    assert not is_same_person("21132264022000X", GUIDE_SAMPLE)


def test_birth_date_and_gender() -> None:
    assert birth_date_from_id(GUIDE_SAMPLE) == date(1964, 2, 20)
    assert birth_date_from_id("211322640220001") == date(1964, 2, 20)
    assert gender_from_id(GUIDE_SAMPLE) == "男"  # sequence 001
    assert gender_from_id("211322640220001") == "男"
    assert gender_from_id(make_resident_id("110101", date(1990, 1, 1), 2)) == "女"
    assert gender_from_id("211322640220002") == "女"
    with pytest.raises(IdNumberError):
        birth_date_from_id("123")


# --- the single entry point and other 证件类型 ----------------------------------


def test_entry_point_resident_id_generations() -> None:
    assert validate_id_number("resident_id", f" {GUIDE_SAMPLE} ") == GUIDE_SAMPLE
    with pytest.raises(IdNumberError, match="18位"):
        validate_id_number("resident_id", "211322640220001")
    assert (
        validate_id_number("resident_id", "211322640220001", allow_first_generation=True) == "211322640220001"
    )
    assert validate_id_number("resident_id", GUIDE_SAMPLE, allow_first_generation=True) == GUIDE_SAMPLE


def test_entry_point_refuses_empty_and_unknown_type() -> None:
    with pytest.raises(IdNumberError, match="请填写"):
        validate_id_number("passport", "   ")
    with pytest.raises(IdNumberError, match="不支持的证件类型"):
        validate_id_number("driving_licence", "E12345678")


@pytest.mark.parametrize(
    ("id_type", "number", "expected"),
    [
        ("officer", "南字第1234567号", "南字第1234567号"),
        ("officer", "12345678", "12345678"),
        ("officer", "ab1234", "AB1234"),
        ("passport", "e12345678", "E12345678"),
        ("passport", "G1234567", "G1234567"),
        ("passport", "12345", "12345"),
        ("hk_macao", "H12345678", "H12345678"),
        ("hk_macao", "m1234567890", "M1234567890"),
        ("taiwan", "12345678", "12345678"),
        ("taiwan", "1234567890", "1234567890"),
        ("taiwan", "1234567890b", "1234567890B"),
        ("taiwan", "1234567890(B)", "1234567890B"),
        ("foreign_pr", "usa110080112011", "USA110080112011"),
        ("foreign_pr", "91184019900101123x", "91184019900101123X"),
    ],
)
def test_other_id_types_accept(id_type: str, number: str, expected: str) -> None:
    assert validate_id_number(id_type, number) == expected


@pytest.mark.parametrize(
    ("id_type", "number", "message"),
    [
        ("officer", "南字1", "军官证"),
        ("officer", "南字第1234567号-", "军官证"),
        ("officer", "1" * 21, "军官证"),
        ("passport", "E123", "护照"),
        ("passport", "E1234567890123456X", "护照"),
        ("passport", "E1234-567", "护照"),
        ("hk_macao", "X12345678", "港澳"),
        ("hk_macao", "H1234567", "港澳"),
        ("hk_macao", "H123456789", "港澳"),
        ("taiwan", "1234567", "台湾"),
        ("taiwan", "123456789", "台湾"),
        ("taiwan", "12345678AB", "台湾"),
        ("taiwan", "1234567890BC", "台湾"),
        ("foreign_pr", "US110080112011", "外国人"),
        ("foreign_pr", "911840199001011234", "校验位不正确"),
        ("foreign_pr", "91184019900101123", "外国人"),
        ("foreign_pr", "81184019900101123X", "外国人"),
    ],
)
def test_other_id_types_refuse(id_type: str, number: str, message: str) -> None:
    with pytest.raises(IdNumberError, match=message):
        validate_id_number(id_type, number)


# --- 统一社会信用代码 -----------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["91110000600037341L", "91350100M000100Y43", "91330100799655058B", "12100000400000624D"],
)
def test_credit_codes_accept(code: str) -> None:
    assert validate_credit_code(code) == code
    assert validate_credit_code(f" {code.lower()} ") == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "请填写"),
        ("91110000600037341", "应为18位"),
        ("91110000600037341LL", "应为18位"),
        ("91110000600037341M", "校验位不正确"),
        ("9111000060003734IL", "无效字符"),
        ("911A0000600037341L", "无效字符"),
    ],
)
def test_credit_codes_refuse(code: str, message: str) -> None:
    with pytest.raises(CreditCodeError, match=message):
        validate_credit_code(code)


def test_make_credit_code_allows_letter_authority() -> None:
    code = make_credit_code("Y1110000MA0000000")
    assert validate_credit_code(code) == code


# --- 手机号码 and 电子邮箱: one rule for the import and the forms -------------------


@pytest.mark.parametrize("mobile", GOOD_MOBILES)
def test_mobiles_are_folded_and_accepted(mobile: str) -> None:
    assert normalize_mobile(mobile) == "13912345678"


@pytest.mark.parametrize("mobile", [*BAD_MOBILES, "", "   ", None])
def test_bad_mobiles_are_refused(mobile) -> None:
    with pytest.raises(MobileError) as refused:
        normalize_mobile(mobile)
    assert str(refused.value) == "请填写11位手机号码。"
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(("email", "normalized"), [
    ("wang@example.com", "wang@example.com"),
    (" Wang.Jianguo@Example.COM ", "Wang.Jianguo@example.com"),
    ("王@例子.中国", "王@例子.中国"),
])
def test_good_emails_are_normalised(email: str, normalized: str) -> None:
    assert normalize_email(email) == normalized


@pytest.mark.parametrize("email", [*BAD_EMAILS, "", None])
def test_bad_emails_are_refused(email) -> None:
    with pytest.raises(EmailError) as refused:
        normalize_email(email)
    assert str(refused.value) == "电子邮箱格式不正确。"
    assert isinstance(refused.value, ValueError)


def _form(app, form_class, **data):
    """A form validated on a POST of ``data`` (no CSRF token needed), in Chinese."""
    with app.test_request_context("/", method="POST", data=data):
        form = form_class(meta={"csrf": False})
        form.validate()
        errors = {name: [str(message) for message in field.errors] for name, field in form._fields.items()}
        return form, errors


PERSONAL = {"education": "大学本科", "major": "安全工程", "mobile": "13912345678", "email": "wang@example.com",
            "address": "辽宁省沈阳市和平区南京北街1号"}
PROFILE = {"category": "chemical", "employer_kind": "service", "mobile": "13912345678", "email": ""}


@pytest.mark.parametrize("mobile", BAD_MOBILES)
@pytest.mark.parametrize(("form_class", "data"), [(CompleteProfileForm, PROFILE), (PersonalForm, PERSONAL)])
def test_the_forms_refuse_bad_mobiles(app, form_class, data, mobile: str) -> None:
    _, errors = _form(app, form_class, **{**data, "mobile": mobile})
    assert errors["mobile"] == ["请填写11位手机号码。"]


@pytest.mark.parametrize("email", BAD_EMAILS)
@pytest.mark.parametrize(("form_class", "data"), [
    (CompleteProfileForm, PROFILE),
    (PersonalForm, PERSONAL),
    (ForgotPasswordForm, {"name": "王建国", "id_type": "resident_id", "id_number": GUIDE_SAMPLE}),
])
def test_the_forms_refuse_bad_emails(app, form_class, data, email: str) -> None:
    _, errors = _form(app, form_class, **{**data, "email": email})
    assert errors["email"] == ["电子邮箱格式不正确。"]


@pytest.mark.parametrize("mobile", GOOD_MOBILES)
@pytest.mark.parametrize(("form_class", "data"), [(CompleteProfileForm, PROFILE), (PersonalForm, PERSONAL)])
def test_the_forms_keep_the_mobile_as_the_validator_gives_it(app, form_class, data, mobile: str) -> None:
    form, errors = _form(app, form_class, **{**data, "mobile": mobile, "email": " Wang@Example.COM "})
    assert errors["mobile"] == [] and errors["email"] == []
    assert form.mobile.data == normalize_mobile(mobile) == "13912345678"
    assert form.email.data == normalize_email(" Wang@Example.COM ") == "Wang@example.com"


# --- masking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (GUIDE_SAMPLE, "2113**********0016"),
        ("211322640220001", "2113*******0001"),
        ("E12345678", "E123*5678"),
        ("12345678", "12****78"),
        ("12345", "12*45"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


# --- properties ------------------------------------------------------------------

addresses = st.builds(
    lambda province, county: province + county,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=clock.today())
first_gen_births = st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@no_db
@given(addresses, births, sequences)
def test_made_numbers_validate(address: str, birth: date, seq: int) -> None:
    number = make_resident_id(address, birth, seq)
    assert validate_resident_id(number) == number
    assert birth_date_from_id(number) == birth
    assert gender_from_id(number) == ("男" if seq % 2 else "女")


@no_db
@given(addresses, births, sequences, st.integers(0, 17), st.integers(1, 10))
def test_single_substitution_is_detected(
    address: str, birth: date, seq: int, position: int, shift: int
) -> None:
    number = make_resident_id(address, birth, seq)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(number[position])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[position]:  # shift of 10 on a 10-digit alphabet
        new = alphabet[(old + 1) % len(alphabet)]
    changed = number[:position] + new + number[position + 1 :]
    with pytest.raises(IdNumberError):
        validate_resident_id(changed)


@no_db
@given(addresses, first_gen_births, sequences)
def test_upgrade_always_validates(address: str, birth: date, seq: int) -> None:
    id15 = f"{address}{birth:%y%m%d}{seq:03d}"
    id18 = upgrade_to_18(id15)
    assert validate_resident_id(id18) == id18
    assert is_same_person(id15, id18)
    assert birth_date_from_id(id15) == birth_date_from_id(id18) == birth
    assert gender_from_id(id15) == gender_from_id(id18)


@no_db
@given(st.text(min_size=0, max_size=40))
def test_mask_keeps_length_and_ends(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    if len(number) > 8:
        assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
        assert set(masked[4:-4]) <= {"*"}
    elif len(number) > 4:
        assert masked[:2] == number[:2] and masked[-2:] == number[-2:]
    else:
        assert set(masked) <= {"*"}


@no_db
@given(st.from_regex(r"[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{9}", fullmatch=True))
def test_made_credit_codes_validate(body: str) -> None:
    code = make_credit_code(body)
    assert validate_credit_code(code) == code
