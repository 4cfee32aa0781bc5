"""Accent-, case- and spacing-insensitive text helpers for Vietnamese search. Pure, no state.

The stop words are the words citizens wrap around what they want ("thủ tục ... ở phường",
"cho tôi hỏi ... như thế nào"). They are compared in folded form, so a word is a stop word
only if no procedure needs its unaccented spelling to be found: "đi" is not one, because
folded it is the "di" of "di chúc" (a will) and "di sản" (an estate).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# đ/Đ are letters of their own in Unicode (no combining mark to strip), so map them by hand.
_D_BAR = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case `text`, drop accents (đ → d), turn every run of other characters into one space.

    "Đăng ký  KHAI SINH!" → "dang ky khai sinh"; "1.001193" → "1 001193".
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_D_BAR))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", bare.casefold()).strip()


# Folded. Vietnamese function words and politeness, the frame of a question, and the English
# equivalents; never a word that names a procedure or a paper.
STOP_WORDS: frozenset[str] = frozenset(
    """
    thu tuc lam o cho toi em anh minh ong ba co bac a oi nhe nha ah ak
    muon can hoi giup voi va hoac la gi nao nhu nhieu dau den
    phuong huyen ubnd
    cua cac nhung mot nay ay kia duoc phai thi rang vay nhi khong chua da se
    roi vua luon ngay hom nam tren duoi trong ra vao len xuong ve theo bang vs
    the a an of for to my me i we how do does get where what which need needs want
    is are please in at on with and or
    """.split()
)


def words(text: str) -> list[str]:
    """The folded words of `text`, stop words dropped ("Thủ tục đăng ký kết hôn ở phường" →
    ["dang", "ky", "ket", "hon"]). If every word is a stop word, they are all kept, so that a
    query such as "hộ" or "nhà" still finds something."""
    folded = fold(text).split()
    kept = [w for w in folded if w not in STOP_WORDS]
    return kept or folded


def compact(folded: str) -> str:
    """The space-free form of a folded string, so "khai sinh" and "KHAISINH" compare equal."""
    return folded.replace(" ", "")


def typo_budget(token: str) -> int:
    """How many edits a query token may be away from a word and still count as that word."""
    if len(token) < 3:
        return 0
    return 1 if len(token) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """Edit distance between `a` and `b` counting a swap of neighbours as one edit
    (optimal string alignment), or None when it exceeds `limit`. Stops early."""
    if abs(len(a) - len(b)) > limit:
        return None
    if a == b:
        return 0
    too_far = limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [too_far] * len(b)
        # Only cells within `limit` of the diagonal can stay within the limit.
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cb = b[j - 1]
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return None
        before, previous = previous, current
    distance = previous[len(b)]
    return distance if distance <= limit else None
