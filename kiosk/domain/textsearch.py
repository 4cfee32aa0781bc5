"""Accent-, case- and spacing-insensitive text helpers for Vietnamese search. Pure, no state."""

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
