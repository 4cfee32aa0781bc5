"""Catalogue search in citizens' own words: ranked, forgiving, and honest about corrections.

An in-memory BM25F index over each procedure's names, aliases (what people call it), field and
result. Query and text are folded (accents, case and spacing ignored; "y" and "i" are one
letter, as in "ký"/"kí"), stop words such as "thủ tục", "làm", "ở", "cho" are dropped, and
adjacent words also count as a pair, so "kết hôn" outranks a name that merely holds "kết" and
"hôn" apart. A query word the catalogue does not know is matched as the start of a word
("chung thu" finds "chứng thực"), with one typo when it has four letters or more (two from
eight), or as words run together ("khaisinh"). Whenever a word had to be corrected, the result
says what was searched for instead (`did_you_mean`); when nothing matches even then, a looser
correction is offered as a suggestion only.

Why hand-written and not SQLite FTS5: the catalogue holds a few dozen entries, so any index is
fast; what decides is matching, and FTS5 neither folds "đ" to "d" nor corrects typos, so the
folding, stop words, pairs and corrections would be ours either way (docs/benchmarks.md has the
measurement). The browser's offline search uses the same stop words and aliases.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.catalogue.model import Catalogue, Procedure
from kiosk.catalogue.text import STOP_WORDS, compact, edit_distance, fold

# The old "mức độ" levels are search aliases of the Decree 42/2022 classes (4 ≈ toàn trình,
# 3 ≈ một phần; 1–2 were information only and alias nothing).
ONLINE_CLASS_ALIASES: dict[str, tuple[str, ...]] = {
    "toan_trinh": ("toàn trình", "mức độ 4", "fully online"),
    "mot_phan": ("một phần", "mức độ 3", "partly online"),
    "truc_tiep": ("trực tiếp", "in person only"),
}

# Weight of each part of a procedure's text (BM25F).
_WEIGHTS = {"name": 3.0, "alias": 3.0, "en": 1.5, "field": 1.0, "extra": 0.5}
_K1, _B = 1.2, 0.5
_PAIR = "_"  # joins two adjacent words into one term
_PREFIX_FACTOR, _TYPO_FACTOR = 0.8, 0.7
_EXACT_PHRASE = 1.5
_MAX_QUERY = 200  # characters; anything longer is cut (a query is typed on a kiosk)
_MAX_WORDS = 24
_MIN_CODE_DIGITS = 4


def normalize(word: str) -> str:
    """A folded word in the form the index compares: "y" and "i" are one letter."""
    return word.replace("y", "i")


def _terms(words: Sequence[str]) -> list[str]:
    """Single words and adjacent pairs."""
    pairs = [words[i] + _PAIR + words[i + 1] for i in range(len(words) - 1)]
    return [*words, *pairs]


def _deletions(word: str) -> set[str]:
    """`word` with one letter left out, every way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _content_words(text: str) -> list[str]:
    return [normalize(w) for w in fold(text).split() if w not in STOP_WORDS]


@dataclass(frozen=True)
class SearchResult:
    """Procedures best first, and the query as corrected when a word was not found as typed
    (None when every word was found); `suggestion_only` says the correction found nothing
    better than a guess, so the results are those of the suggestion and should be offered, not
    shown as an answer."""

    procedures: tuple[Procedure, ...]
    did_you_mean: str | None = None
    suggestion_only: bool = False


@dataclass
class _Doc:
    procedure: Procedure
    position: int
    field_keys: frozenset[str]
    codes: tuple[str, ...]
    tf: dict[str, dict[str, int]]  # part -> term -> count
    length: dict[str, int]
    phrases: frozenset[tuple[str, ...]]  # the content words of each name and alias


class SearchIndex:
    """The index of one catalogue. Built once; read-only afterwards."""

    def __init__(self, procedures: Sequence[Procedure], fields_en: dict[str, str]) -> None:
        self._docs: list[_Doc] = []
        spellings: dict[str, Counter[str]] = {}
        for position, p in enumerate(procedures):
            parts: dict[str, list[str]] = {
                "name": [p.name_vi],
                "alias": list(p.aliases),
                "en": [p.name_en],
                "field": [*p.fields, *(fields_en.get(f, "") for f in p.fields)],
                "extra": [
                    p.result.vi,
                    p.result.en or "",
                    *ONLINE_CLASS_ALIASES.get(p.online_class, ()),
                ],
            }
            tf: dict[str, dict[str, int]] = {}
            length: dict[str, int] = {}
            phrases: set[tuple[str, ...]] = set()
            for part, texts in parts.items():
                counts: Counter[str] = Counter()
                for text in texts:
                    words = _content_words(text)
                    if part in ("name", "alias", "en"):
                        phrases.add(tuple(words))
                    terms = _terms(words)
                    # A word counts once per part: a long official name that repeats "kinh
                    # doanh", or many aliases saying the same words, would otherwise outrank
                    # the procedure the words name best.
                    counts.update(set(terms) - set(counts))
                    for original in text.split():
                        key = fold(original)
                        if key and " " not in key:
                            spellings.setdefault(normalize(key), Counter())[original.lower()] += 1
                tf[part] = dict(counts)
                length[part] = sum(counts.values())
            self._docs.append(
                _Doc(
                    procedure=p,
                    position=position,
                    field_keys=frozenset([fold(p.field), *map(fold, p.fields)]),
                    codes=(p.code, *p.alt_codes),
                    tf=tf,
                    length=length,
                    phrases=frozenset(phrases),
                )
            )
        n = max(len(self._docs), 1)
        self._avg = {
            part: max(sum(d.length[part] for d in self._docs) / n, 1.0) for part in _WEIGHTS
        }
        df: Counter[str] = Counter()
        for d in self._docs:
            df.update({t for counts in d.tf.values() for t in counts})
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._df = df
        self._words = sorted(t for t in df if _PAIR not in t)
        self._joined = {t.replace(_PAIR, ""): t for t in df if _PAIR in t}
        # Every word (and joined pair) under itself and under each of its one-letter deletions:
        # two strings one edit apart share a key, so a typo's candidates are a few lookups
        # instead of an edit distance against every word.
        self._one_edit: dict[str, set[str]] = {}
        for term in [*self._words, *self._joined]:
            for key in {term, *_deletions(term)}:
                self._one_edit.setdefault(key, set()).add(term)
        self._spelling = {w: c.most_common(1)[0][0] for w, c in spellings.items()}
        self._procedures = tuple(procedures)

    @property
    def spellings(self) -> dict[str, str]:
        """Each indexed word with its most common accented spelling, for showing corrections."""
        return dict(self._spelling)

    # --- query words -> weighted index terms ------------------------------------------------

    def _near(self, word: str, budget: int, pool: Iterable[str]) -> list[tuple[str, int]]:
        if budget == 1:  # only the terms sharing a one-deletion key can be one edit away
            close: set[str] = set()
            for key in {word, *_deletions(word)}:
                close |= self._one_edit.get(key, set())
            pool = [c for c in pool if c in close]
        found = []
        for candidate in pool:
            distance = edit_distance(word, candidate, budget)
            if distance is not None and distance > 0:
                found.append((candidate, distance))
        return found

    def _expand(
        self, word: str, *, loose: bool, previous: str | None = None
    ) -> tuple[dict[str, float], str | None]:
        """Index terms for one query word with their weight, and its correction (a word or a
        pair shown to the citizen) when it was not found as typed."""
        if word in self._df:
            return {word: 1.0}, None
        terms: dict[str, float] = {}
        if len(word) >= 2:
            for term in self._words:
                if term.startswith(word):
                    terms[term] = _PREFIX_FACTOR
        if terms:
            return terms, None
        joined = self._joined.get(word)
        if joined is not None:
            return self._pair_terms(joined, 1.0), joined
        budget = 2 if len(word) >= 8 else 1 if len(word) >= (3 if loose else 4) else 0
        if budget == 0:
            return {}, None
        near = self._near(word, budget, self._words)
        if len(word) >= 6:
            near += self._near(word, 1, self._joined)
        if not near:
            return {}, None
        best_distance = min(d for _, d in near)
        best = [c for c, d in near if d == best_distance]

        def weight(c: str) -> tuple[bool, int]:
            # A word that forms a known pair with the previous query word fits the context;
            # otherwise the more common word is the likelier meaning.
            paired = previous is not None and previous + _PAIR + c in self._df
            return paired, self._df.get(self._joined.get(c, c), 0)

        best.sort(key=weight, reverse=True)
        top = weight(best[0])
        # Keep near-equals only: a rare word one edit away would otherwise steal the ranking.
        best = [c for c in best[:3] if weight(c)[0] == top[0] and weight(c)[1] * 3 >= top[1]]
        for candidate in best:
            if candidate in self._joined:
                terms.update(self._pair_terms(self._joined[candidate], _TYPO_FACTOR))
            else:
                terms[candidate] = _TYPO_FACTOR
        first = best[0]
        return terms, self._joined.get(first, first)

    def _segment(self, word: str) -> list[str] | None:
        """`word` as known words run together ("dangkykethon" → dang, ky, ket, hon), in the
        fewest pieces, or None."""
        if len(word) < 6:
            return None
        best: list[list[str] | None] = [[]] + [None] * len(word)
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - 8), end):
                head, piece = best[start], word[start:end]
                if head is not None and piece in self._df and _PAIR not in piece:
                    if best[end] is None or len(head) + 1 < len(best[end] or ()):
                        best[end] = [*head, piece]
        found = best[len(word)]
        return found if found is not None and len(found) > 1 else None

    def _pair_terms(self, pair: str, factor: float) -> dict[str, float]:
        left, right = pair.split(_PAIR)
        return {pair: factor, left: factor, right: factor}

    def _display(self, term: str) -> str:
        return " ".join(self._spelling.get(w, w) for w in term.split(_PAIR))

    # --- scoring ----------------------------------------------------------------------------

    def _score(self, doc: _Doc, term: str) -> float:
        pseudo = 0.0
        for part, weight in _WEIGHTS.items():
            count = doc.tf[part].get(term, 0)
            if count:
                norm = 1 - _B + _B * doc.length[part] / self._avg[part]
                pseudo += weight * count / norm
        if pseudo == 0.0:
            return 0.0
        return self._idf[term] * pseudo * (_K1 + 1) / (pseudo + _K1)

    def _rank(
        self, docs: Sequence[_Doc], expanded: list[dict[str, float]], words: Sequence[str]
    ) -> list[tuple[float, int, _Doc]]:
        weights = [max((self._idf.get(t, 0.0) for t in e), default=0.0) for e in expanded]
        total = sum(weights) or 1.0
        pairs: dict[str, float] = {}
        for left, right in zip(expanded, expanded[1:], strict=False):
            for a, fa in left.items():
                for b, fb in right.items():
                    pair = a + _PAIR + b
                    if pair in self._df:
                        pairs[pair] = max(pairs.get(pair, 0.0), min(fa, fb))
        ranked = []
        for doc in docs:
            score, covered = 0.0, 0.0
            for word_terms, weight in zip(expanded, weights, strict=True):
                best = max((f * self._score(doc, t) for t, f in word_terms.items()), default=0.0)
                if best > 0:
                    score += best
                    covered += weight
            if score <= 0:
                continue
            score += sum(f * self._score(doc, pair) for pair, f in pairs.items())
            # A procedure that holds more of the meaningful words wins over one that holds
            # a single word many times.
            score *= 0.3 + 0.7 * (covered / total)
            if tuple(words) in doc.phrases:
                score *= _EXACT_PHRASE  # the query is exactly a name or an alias
            ranked.append((score, doc.position, doc))
        ranked.sort(key=lambda r: (-r[0], len(r[2].procedure.name_vi), r[1]))
        return ranked

    # --- the query --------------------------------------------------------------------------

    def search(self, q: str, field: str | None = None, limit: int = 20) -> SearchResult:
        field_key = fold(field) if field is not None else None
        docs = [d for d in self._docs if field_key is None or field_key in d.field_keys]
        folded = fold(q[:_MAX_QUERY])
        if not folded:
            return SearchResult(tuple(d.procedure for d in docs))
        limit = max(limit, 0)
        digits = compact(folded)
        if digits.isdigit() and len(digits) >= _MIN_CODE_DIGITS:
            return SearchResult(self._by_code(docs, digits)[:limit])
        raw = folded.split()[:_MAX_WORDS]
        words = [normalize(w) for w in raw if w not in STOP_WORDS] or [normalize(w) for w in raw]
        found = self._run(docs, words, loose=False)
        if found[0]:
            return SearchResult(tuple(d.procedure for d in found[0][:limit]), found[1])
        looser = self._run(docs, words, loose=True)
        if looser[0] and looser[1] is not None:
            procedures = tuple(d.procedure for d in looser[0][:limit])
            return SearchResult(procedures, looser[1], suggestion_only=True)
        return SearchResult(())

    def _run(
        self, docs: Sequence[_Doc], words: list[str], *, loose: bool
    ) -> tuple[list[_Doc], str | None]:
        expanded: list[dict[str, float]] = []
        shown: list[str] = []
        corrected = False
        split: list[str] = []
        for word in words:
            pieces = None if word in self._df else self._segment(word)
            split += pieces or [word]
        previous: str | None = None
        for word in split:
            terms, correction = self._expand(word, loose=loose, previous=previous)
            if not terms and not loose:
                # Not used for ranking (too short to correct safely), but worth a suggestion.
                correction = self._expand(word, loose=True, previous=previous)[1]
            previous = (correction or word).split(_PAIR)[-1] if terms or correction else word
            if terms:
                expanded.append(terms)
            if correction is not None:
                corrected = True
                shown.append(self._display(correction))
            else:
                shown.append(self._display(word) if word in self._df else word)
        corrected = corrected or split != words
        if not expanded:
            return [], None
        ranked = self._rank(docs, expanded, split)
        return [doc for _, _, doc in ranked], " ".join(shown) if corrected else None

    def _by_code(self, docs: Sequence[_Doc], digits: str) -> tuple[Procedure, ...]:
        exact = [d for d in docs if any(compact(fold(c)) == digits for c in d.codes)]
        partial = [
            d for d in docs if d not in exact and any(digits in compact(fold(c)) for c in d.codes)
        ]
        return tuple(d.procedure for d in exact + partial)


_indexes: weakref.WeakKeyDictionary[Catalogue, SearchIndex] = weakref.WeakKeyDictionary()


def index_of(catalogue: Catalogue) -> SearchIndex:
    """The search index of `catalogue`, built on first use and kept as long as the catalogue."""
    index = _indexes.get(catalogue)
    if index is None:
        index = SearchIndex(catalogue.procedures, catalogue.fields_en)
        _indexes[catalogue] = index
    return index


def search_with_hints(
    catalogue: Catalogue, q: str, field: str | None = None, limit: int = 20
) -> SearchResult:
    """`search`, with what was searched for instead when a word had to be corrected.

    `field` keeps only procedures of that field (accent- and case-insensitive; a combined field
    such as "Hộ tịch / Cư trú" belongs to each part); an unknown field gives nothing. An empty
    or blank `q` returns every procedure of the field in catalogue order, ignoring `limit`. A
    query of four or more digits looks up national codes. Only the first 200 characters count.
    """
    return index_of(catalogue).search(q, field, limit)


def search(
    catalogue: Catalogue, q: str, field: str | None = None, limit: int = 20
) -> list[Procedure]:
    """Procedures matching `q`, best first, at most `limit` (see `search_with_hints`). When
    nothing matches, the results of a suggested correction are not returned."""
    result = search_with_hints(catalogue, q, field, limit)
    return [] if result.suggestion_only else list(result.procedures)
