"""Password hashing (argon2id), the rules for a new password (NIST SP 800-63B) and temporary passwords.

A new password is at least 8 characters and at most 128 (a long passphrase is welcome); it must not be common or
easy to guess (zxcvbn's score 3 of 4 or better) and must not contain its owner's personal words: ID number,
birth date, name and its pinyin for an applicant; username and name for staff. There are no composition rules.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pypinyin import Style, lazy_pinyin, pinyin
from zxcvbn import zxcvbn

MIN_LENGTH = 8
MAX_LENGTH = 128
#: zxcvbn's score (0–4) a new password needs: 3 is "safely unguessable" (about 10^8 guesses or more)
MIN_SCORE = 3
#: zxcvbn refuses longer input; a longer passphrase is judged by its first 72 characters
ZXCVBN_MAX_LENGTH = 72
TEMPORARY_LENGTH = 12

#: The messages (msgids of the accounts catalog; the services translate them).
EMPTY = "请输入密码"
TOO_SHORT = f"密码长度至少为{MIN_LENGTH}位"
TOO_LONG = f"密码长度不能超过{MAX_LENGTH}位"
CONTROL_CHARACTERS = "密码不能包含制表符、换行符等控制字符"
ONE_CHARACTER = "密码不能由同一个字符重复组成"
TOO_GUESSABLE = "密码过于常见或容易猜到，请使用更长、更不规则的密码（例如由几个不相关的词组成的短语）。"
APPLICANT_WORDS = "密码不能包含您的证件号码、出生日期、姓名或姓名拼音。"
STAFF_WORDS = "密码不能包含用户名、姓名或姓名拼音。"
MESSAGES = (EMPTY, TOO_SHORT, TOO_LONG, CONTROL_CHARACTERS, ONE_CHARACTER, TOO_GUESSABLE, APPLICANT_WORDS,
            STAFF_WORDS)

#: Characters of generated passwords, without the look-alikes 0/O/o, 1/I/l/i.
_TEMP_DIGITS = "23456789"
_TEMP_UPPER = "ABCDEFGHJKMNPQRSTUVWXYZ"
_TEMP_LOWER = "abcdefghjkmnpqrstuvwxyz"

#: Two-character surnames, so that 欧阳明 gives the surname ouyang and the given name ming.
_COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "西门", "南宫", "独孤", "呼延", "轩辕", "澹台", "申屠", "太史", "闻人",
    "万俟", "钟离", "宗政", "濮阳", "淳于", "单于", "拓跋", "百里", "东郭", "公羊", "赫连", "第五",
})
_NAME_SEPARATORS = re.compile(r"[\s·•・.\-_]+")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")

#: argon2id parameters: OWASP's Password Storage Cheat Sheet minimum for argon2id (19 MiB, 2 passes, 1 lane), an
#: RFC 9106 §4 tuning of argon2id for a server that must bound each hash's CPU and memory. About 25–30 ms of one
#: core per login on the 2-core reference machine, where argon2-cffi's default (RFC 9106's low-memory profile:
#: 64 MiB, 3 passes, 4 lanes) took ~220 ms of CPU spread over both cores, so a wave of logins starved every page
#: (README, Performance). One lane keeps a login on one core. Changing them is safe: a login with a hash made
#: with other parameters rehashes the password (``needs_rehash``, accounts.logins).
TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)


class WeakPasswordError(ValueError):
    """A password breaks the strength rules; the message is Chinese."""


@dataclass(frozen=True)
class PersonalWords:
    """Words about a password's owner: a new password must not contain them, and zxcvbn counts them as guessed.

    ``message`` says which words these are, beside the password field.
    """

    contained: tuple[str, ...] = ()  #: refused inside a password (folded: lower case, no punctuation)
    guessable: tuple[str, ...] = ()  #: only given to zxcvbn: a surname syllable, initials, a short username
    message: str = APPLICANT_WORDS


NO_PERSONAL_WORDS = PersonalWords()


def configure_hasher(
    time_cost: int = TIME_COST,
    memory_cost: int = MEMORY_COST_KIB,
    parallelism: int = PARALLELISM,
) -> None:
    """Replace the module's argon2id hasher (tests use cheap parameters).

    Called without arguments it restores the portal's parameters (TIME_COST, MEMORY_COST_KIB, PARALLELISM).
    """
    global _hasher  # one process-wide hasher, swapped by tests
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` (salted, self-describing)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``; False for any bad input."""
    if not isinstance(password_hash, str) or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current hasher's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, UnicodeError):
        return True


# --- personal words --------------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    """A text as compared: width and case folded, without spaces and punctuation (Wang-Jian-Guo → wangjianguo)."""
    return _NOT_ALPHANUMERIC.sub("", unicodedata.normalize("NFKC", text).casefold())


def _name_words(name: str | None) -> tuple[list[str], list[str]]:
    """(words a password must not contain, words that only make it guessable) from a person's name.

    王建国 → must not contain 王建国, wangjianguo, jianguo; guessable: wang, guo, wjg. A single syllable (a surname
    such as chen, a given name such as ming) and initials are too common inside ordinary words to refuse outright:
    zxcvbn counts them as known to an attacker. 欧阳 and the other two-character surnames count as one surname,
    every reading of a one-character surname counts (曾: zeng, ceng); a name in Latin letters, or 买买提·艾力, gives
    its parts.
    """
    parts = [part for part in _NAME_SEPARATORS.split(unicodedata.normalize("NFKC", name or "")) if part]
    if not parts:
        return [], []
    whole = "".join(parts)
    if len(parts) > 1 or not all(unicodedata.name(char, "").startswith("CJK") for char in whole):
        spelled = ["".join(lazy_pinyin(part)) for part in dict.fromkeys([*parts, whole])]
        return [word for word in spelled if len(_fold(word)) >= 4], [word for word in spelled if len(_fold(word)) < 4]
    cut = 2 if whole[:2] in _COMPOUND_SURNAMES else 1
    surname, given = whole[:cut], "".join(lazy_pinyin(whole[cut:]))
    surnames = pinyin(surname, style=Style.NORMAL, heteronym=True)[0] if cut == 1 else ["".join(lazy_pinyin(surname))]
    contained = [whole, *(reading + given for reading in surnames if given)]
    guessable = ["".join(lazy_pinyin(whole, style=Style.FIRST_LETTER))]
    (contained if cut > 1 else guessable).extend(surnames)
    (contained if len(whole) - cut > 1 else guessable).append(given)
    return contained, guessable


def _personal_words(contained: Iterable[str], guessable: Iterable[str], message: str) -> PersonalWords:
    contained = tuple(dict.fromkeys(word for word in map(_fold, contained) if word))
    guessable = tuple(dict.fromkeys(word for word in map(_fold, guessable) if word and word not in contained))
    return PersonalWords(contained, guessable, message)


def applicant_words(name: str | None, id_number: str | None, birth_dates: Iterable[date | None] = ()) -> PersonalWords:
    """An applicant's personal words: the ID number and its last six characters, the birth date as YYYYMMDD and
    YYMMDD, the name and its pinyin."""
    contained, guessable = _name_words(name)
    if id_number:
        contained += [id_number, id_number[-6:]]
    for born in filter(None, birth_dates):
        contained += [born.strftime("%Y%m%d"), born.strftime("%y%m%d")]
    return _personal_words(contained, guessable, APPLICANT_WORDS)


def staff_words(username: str | None, name: str | None) -> PersonalWords:
    """A console account's personal words: the username (if at least 4 characters), the name and its pinyin."""
    contained, guessable = _name_words(name)
    (contained if len(_fold(username or "")) >= 4 else guessable).append(username or "")
    return _personal_words(contained, guessable, STAFF_WORDS)


# --- the rules -------------------------------------------------------------------------------------------------

def check_password_strength(password: str, personal: PersonalWords = NO_PERSONAL_WORDS) -> None:
    """Raise WeakPasswordError unless ``password`` may be chosen as a new password.

    8 to 128 characters of any kind (spaces and Chinese included, control characters not), not one character
    repeated, none of the owner's personal words inside (case, width, spaces and punctuation ignored), and a
    zxcvbn score of at least 3 with the personal words as known inputs. Only the first 72 characters go to
    zxcvbn (its limit); a passphrase that long is not short of guesses.
    """
    if not isinstance(password, str) or not password:
        raise WeakPasswordError(EMPTY)
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(TOO_LONG)
    if any(unicodedata.category(char) == "Cc" for char in password):
        raise WeakPasswordError(CONTROL_CHARACTERS)
    if len(set(password)) == 1:
        raise WeakPasswordError(ONE_CHARACTER)
    folded = _fold(password)
    if any(word in folded for word in personal.contained):
        raise WeakPasswordError(personal.message)
    known = [*personal.contained, *personal.guessable]
    if zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=known)["score"] < MIN_SCORE:
        raise WeakPasswordError(TOO_GUESSABLE)


def generate_temporary_password(personal: PersonalWords = NO_PERSONAL_WORDS) -> str:
    """Return a random 12-character password that passes check_password_strength for its owner.

    A draw the rules refuse (zxcvbn sees a word in it, or it holds a personal word) is drawn again; the rare
    redraw keeps the temporary password under the same rule as a chosen one. It must be changed at the next
    login anyway.
    """
    rng = secrets.SystemRandom()
    alphabet = _TEMP_DIGITS + _TEMP_UPPER + _TEMP_LOWER
    while True:
        chars = [rng.choice(_TEMP_DIGITS), rng.choice(_TEMP_UPPER), rng.choice(_TEMP_LOWER)]
        chars += [rng.choice(alphabet) for _ in range(TEMPORARY_LENGTH - len(chars))]
        rng.shuffle(chars)
        password = "".join(chars)
        try:
            check_password_strength(password, personal)
        except WeakPasswordError:
            continue
        return password
