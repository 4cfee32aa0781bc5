"""Catalogue search: accents, case and spacing ignored, small typos tolerated, best first.

Ranking tiers (higher wins; ties go to the shorter Vietnamese name, then catalogue order):

    1000  the exact procedure code        950  an exact alt code
     900  the whole name (vi or en)        800  the start of a name
     700  every query word in a name, or the space-free query inside the name
     550  a partial code (4+ digits)       500  every query word somewhere: names, field,
                                                 online-class aliases ("mức độ 4" = toàn trình)
     300  every query word in a name, allowing small typos (minus 10 per edit, at most 90)
     200  every query word somewhere, allowing small typos (minus 10 per edit, at most 90)

A query word counts as present when a word of the text equals it or starts with it (two or more
letters), so half-typed words match. Only a word found nowhere is corrected for typos, and it may
also match two or three run-together syllables of a name ("dangky", "khaisihn").
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.domain.textsearch import compact, edit_distance, fold, typo_budget

if TYPE_CHECKING:
    from kiosk.domain.catalogue_model import Catalogue, Procedure

# The old "mức độ" levels are search aliases of the Decree 42/2022 classes
# (4 ≈ toàn trình, 3 ≈ một phần; 1–2 were information only and alias nothing).
ONLINE_CLASS_ALIASES: dict[str, tuple[str, ...]] = {
    "toan_trinh": ("toàn trình", "mức độ 4", "fully online"),
    "mot_phan": ("một phần", "mức độ 3", "partly online"),
    "truc_tiep": ("trực tiếp", "in person only"),
}

_MIN_SUBSTRING = 4  # shorter space-free queries would match inside almost any name
_MIN_CODE_DIGITS = 4
_MAX_DELETES = 2  # the largest typo budget (see textsearch.typo_budget)
_CACHE_LIMIT = 4096
_MAX_QUERY = 200  # characters; anything longer is cut (a query is typed on a kiosk)
_MAX_FUZZY = 24  # longer words are never typos of a name word, and their deletes explode


@dataclass(frozen=True)
class _Entry:
    position: int
    code: str
    alt_codes: tuple[str, ...]
    names: tuple[str, ...]  # space-free name_vi, name_en
    others: tuple[str, ...]  # space-free field parts and online-class aliases
    field_keys: frozenset[str]
    name_vi_length: int
    blob: str  # every space-free key above, NUL-separated: one C-level substring test


@dataclass(frozen=True)
class _Hits:
    in_name: frozenset[int]
    anywhere: frozenset[int]
    # position → fewest edits, filled only for a word found nowhere: in a name, anywhere
    fuzzy_name: dict[int, int]
    fuzzy: dict[int, int]


def _deletes(word: str, depth: int) -> set[str]:
    variants = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier if len(w) > 1 for i in range(len(w))}
        variants |= frontier
    return variants


class SearchIndex:
    """Precomputed keys for one catalogue's procedures. Built once; read-only afterwards."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        self._entries: list[_Entry] = []
        name_words: dict[str, set[int]] = {}
        all_words: dict[str, set[int]] = {}
        phrases: dict[str, set[int]] = {}
        for position, procedure in enumerate(procedures):
            name_vi, name_en = fold(procedure.name_vi), fold(procedure.name_en)
            others = [fold(part) for part in procedure.fields]
            others += [fold(a) for a in ONLINE_CLASS_ALIASES.get(procedure.online_class or "", ())]
            for word in f"{name_vi} {name_en}".split():
                name_words.setdefault(word, set()).add(position)
            for word in " ".join([name_vi, name_en, *others]).split():
                all_words.setdefault(word, set()).add(position)
            syllables = name_vi.split()
            for size in (2, 3):
                for start in range(len(syllables) - size + 1):
                    phrase = "".join(syllables[start : start + size])
                    phrases.setdefault(phrase, set()).add(position)
            code = compact(fold(procedure.code))
            alt_codes = tuple(compact(fold(c)) for c in procedure.alt_codes)
            names = (compact(name_vi), compact(name_en))
            compact_others = tuple(compact(o) for o in others)
            self._entries.append(
                _Entry(
                    position=position,
                    code=code,
                    alt_codes=alt_codes,
                    names=names,
                    others=compact_others,
                    field_keys=frozenset([fold(procedure.field), *map(fold, procedure.fields)]),
                    name_vi_length=len(names[0]),
                    blob="\0".join([code, *alt_codes, *names, *compact_others]),
                )
            )
        self._procedures = tuple(procedures)
        self._name_words = {w: frozenset(p) for w, p in name_words.items()}
        self._all_words = {w: frozenset(p) for w, p in all_words.items()}
        self._phrases = {w: frozenset(p) for w, p in phrases.items()}
        self._sorted_words = sorted(self._all_words)
        # Symmetric-delete index: two strings within k edits share a string reachable from both
        # by at most k deletions, so typo candidates come from dict look-ups, not a full scan.
        self._by_delete: dict[str, set[str]] = {}
        for word in self._all_words:
            for variant in _deletes(word, _MAX_DELETES):
                self._by_delete.setdefault(variant, set()).add(word)
        for phrase in self._phrases:
            for variant in _deletes(phrase, 1):  # run-together syllables: one typo
                self._by_delete.setdefault(variant, set()).add(phrase)
        self._cache: dict[str, _Hits] = {}

    def _words_from(self, prefix: str) -> Iterable[str]:
        start = bisect.bisect_left(self._sorted_words, prefix)
        for word in self._sorted_words[start:]:
            if not word.startswith(prefix):
                break
            yield word

    def _hits(self, token: str) -> _Hits:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        words = list(self._words_from(token)) if len(token) >= 2 else []
        if token in self._all_words and token not in words:
            words.append(token)
        in_name: set[int] = set(self._phrases.get(token, ()))
        anywhere: set[int] = set(in_name)
        for word in words:
            in_name |= self._name_words.get(word, frozenset())
            anywhere |= self._all_words[word]
        fuzzy_name: dict[int, int] = {}
        fuzzy: dict[int, int] = {}
        if not anywhere and len(token) <= _MAX_FUZZY:
            budget = typo_budget(token)
            candidates: set[str] = set()
            for variant in _deletes(token, budget):
                candidates |= self._by_delete.get(variant, set())
            for candidate in candidates:
                distance = edit_distance(token, candidate, budget)
                if distance is None:
                    continue
                named = self._name_words.get(candidate, frozenset()) | self._phrases.get(
                    candidate, frozenset()
                )
                for position in named:
                    fuzzy_name[position] = min(distance, fuzzy_name.get(position, distance))
                for position in named | self._all_words.get(candidate, frozenset()):
                    fuzzy[position] = min(distance, fuzzy.get(position, distance))
        hits = _Hits(frozenset(in_name), frozenset(anywhere), fuzzy_name, fuzzy)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = hits
        return hits

    def _score(self, entry: _Entry, query: str, hits: list[_Hits]) -> int:
        if query.isdigit():
            if query == entry.code:
                return 1000
            if query in entry.alt_codes:
                return 950
        if query in entry.names:
            return 900
        if any(name.startswith(query) for name in entry.names):
            return 800
        position = entry.position
        long_enough = len(query) >= _MIN_SUBSTRING
        if all(position in h.in_name for h in hits) or (
            long_enough and any(query in name for name in entry.names)
        ):
            return 700
        if query.isdigit() and len(query) >= _MIN_CODE_DIGITS:
            if any(query in code for code in (entry.code, *entry.alt_codes)):
                return 550
        if all(position in h.anywhere for h in hits) or (
            long_enough and any(query in other for other in entry.others)
        ):
            return 500
        # Typos: better when every word (typed right or corrected) is in a name.
        in_names, edits = True, 0
        for h in hits:
            if position in h.in_name:
                continue
            if position in h.fuzzy_name:
                edits += h.fuzzy_name[position]
            elif position in h.anywhere:
                in_names = False
            elif position in h.fuzzy:
                in_names, edits = False, edits + h.fuzzy[position]
            else:
                return 0
        return (300 if in_names else 200) - min(10 * edits, 90)

    def search(self, q: str, field: str | None, limit: int) -> list[Procedure]:
        field_key = fold(field) if field is not None else None
        entries = [e for e in self._entries if field_key is None or field_key in e.field_keys]
        folded = fold(q[:_MAX_QUERY])
        if not folded:
            return [self._procedures[e.position] for e in entries]
        query = compact(folded)
        hits = [self._hits(token) for token in folded.split()]
        # Only entries where every word is found (maybe with typos) or the space-free query
        # occurs can score; finding them with set and substring operations keeps search fast.
        possible = frozenset.intersection(*(h.anywhere.union(h.fuzzy) for h in hits))
        scored = []
        for entry in entries:
            if entry.position not in possible and query not in entry.blob:
                continue
            score = self._score(entry, query, hits)
            if score > 0:
                scored.append((-score, entry.name_vi_length, entry.position))
        scored.sort()
        return [self._procedures[position] for _, _, position in scored[: max(limit, 0)]]


def search(
    catalogue: Catalogue, q: str, field: str | None = None, limit: int = 20
) -> list[Procedure]:
    """Procedures matching `q`, best first, at most `limit`.

    `field` keeps only procedures of that field (accent- and case-insensitive; a combined field
    such as "Hộ tịch / Cư trú" belongs to each part); an unknown field gives []. An empty or
    blank `q` returns every procedure of the field in catalogue order, ignoring `limit`. Only
    the first 200 characters of `q` count.
    """
    return catalogue.search_index.search(q, field, limit)
