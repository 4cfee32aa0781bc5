"""The announcement builder: a called ticket becomes screen text and an ordered list of clip names.

Pure: no I/O. ``display.voice`` turns the clip list into one WAV file.

A call is said as in docs/domain.md: chime, then "Xin mời công dân có số thứ tự A, không, một,
hai đến quầy số mười hai", said ``repeat`` times, then optionally once in English. Ticket numbers
are read character by character; the counter is read as a number, composed from a small set of
word clips so that every counter from 0 to 999 needs no clip of its own.

Clip names (files are ``<clip_dir>/<name>.wav``; see ``display/clips/README.md``):

* ``chime``, ``gap`` (short silence between spoken parts), ``pause`` (silence between repeats);
* ``<lang>/letter_<x>`` and ``<lang>/digit_<n>`` for ticket numbers (``vi/letter_dd`` is Đ);
* ``vi/num_ten`` mười, ``vi/num_tens`` mươi, ``vi/num_hundred`` trăm, ``vi/num_mot`` mốt,
  ``vi/num_tu`` tư, ``vi/num_lam`` lăm, ``vi/num_linh`` linh (``vi/num_le`` if the site says lẻ);
  ``en/num_10`` … ``en/num_19``, ``en/num_20`` … ``en/num_90``, ``en/num_hundred``, ``en/num_and``;
* ``<lang>/<slug>`` for each fixed phrase of the template, the slug being the phrase in lower-case
  ASCII without tone marks, words joined by ``_``.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "CHIME",
    "CLIP_SET_VERSION",
    "DEFAULT_TEMPLATE",
    "GAP",
    "LETTERS_EN",
    "LETTERS_VI",
    "PAUSE",
    "SOUND_CLIPS",
    "AnnouncementTemplate",
    "announcement_text",
    "cache_key",
    "clip_sequence",
    "number_words",
    "phrase_clip",
    "required_clips",
    "slug",
    "spoken_words",
]

# Bump when the naming scheme or the meaning of a clip name changes: it invalidates assembled files.
CLIP_SET_VERSION = "1"

CHIME = "chime"
GAP = "gap"
PAUSE = "pause"
SOUND_CLIPS = (CHIME, GAP, PAUSE)
LANGS = ("vi", "en")

# Vietnamese letter names as said when spelling (northern usage). Verify before go-live: some are
# said differently by region or office (e.g. L "lờ", Q "cu", Y "i gờ-rếch"). The values are also the
# text fed to espeak-ng, which is why J is written "di" (espeak reads "gi" as a bare consonant).
# In northern speech D "dê" and G "giê" sound alike; avoid using both as prefixes at one site.
LETTERS_VI: Mapping[str, str] = MappingProxyType(
    {
        "A": "a",
        "B": "bê",
        "C": "xê",
        "D": "dê",
        "Đ": "đê",
        "E": "e",
        "F": "ép",
        "G": "giê",
        "H": "hát",
        "I": "i",
        "J": "di",
        "K": "ca",
        "L": "e lờ",
        "M": "em mờ",
        "N": "en nờ",
        "O": "o",
        "P": "pê",
        "Q": "quy",
        "R": "e rờ",
        "S": "ét xì",
        "T": "tê",
        "U": "u",
        "V": "vê",
        "W": "vê kép",
        "X": "ích xì",
        "Y": "i dài",
        "Z": "dét",
    }
)
# espeak-ng says an isolated capital letter by its English name ("A" -> /eI/), so the letter is its
# own text. Recorded clips simply say the letter.
LETTERS_EN: Mapping[str, str] = MappingProxyType({c: c for c in string.ascii_uppercase})

_DIGITS = {
    "vi": ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
}
_EN_TEENS = (
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

_RESERVED = re.compile(r"^(letter|digit|num)_")
_MAX_SLUG = 60

# A token is one clip and the words it says; a unit is tokens said without a gap between them.
_Token = tuple[str, str]
_Unit = list[_Token]


def slug(text: str) -> str:
    """Lower-case ASCII words joined by ``_``: "Xin mời công dân" -> "xin_moi_cong_dan".

    Long texts are cut and given a short hash so that names stay short and distinct.
    """
    plain = text.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", plain)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    words = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    if len(words) > _MAX_SLUG:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        words = words[: _MAX_SLUG - 9].rstrip("_") + "_" + digest
    return words


def _letter_id(letter: str) -> str:
    return "dd" if letter == "Đ" else slug(letter)


def phrase_clip(lang: str, phrase: str) -> str:
    """The clip name of a fixed phrase of a template, e.g. ``vi/xin_moi_cong_dan_co_so_thu_tu``."""
    name = slug(phrase)
    if not name:
        raise ValueError(f"phrase {phrase!r} has no letters or digits")
    if _RESERVED.match(name):
        name = "phrase_" + name
    return f"{lang}/{name}"


def _parse(template: str, lang: str) -> Iterator[tuple[str, str | None]]:
    """Yield (fixed phrase, placeholder or None); phrases lose edge spaces and punctuation."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"announcement template ({lang}) {template!r}: {exc}") from None
    for literal, name, spec, conversion in parts:
        if name is not None and (name not in ("number", "counter") or spec or conversion):
            raise ValueError(
                f"announcement template ({lang}) {template!r}: only {{number}} and {{counter}}"
                f" may be used, not {{{name}}}"
            )
        yield literal.strip(" \t\n,.;:!?-–—"), name


def _frozen_letters(letters: Mapping[str, str]) -> Mapping[str, str]:
    out: dict[str, str] = {}
    for key, text in letters.items():
        letter = key.upper()
        if len(letter) != 1 or not letter.isalpha() or not _letter_id(letter):
            raise ValueError(f"letter pronunciations: key {key!r} is not a single letter")
        if not text.strip():
            raise ValueError(f"letter pronunciations: {key!r} has no text")
        out[letter] = text.strip()
    return MappingProxyType(out)


@dataclass(frozen=True)
class AnnouncementTemplate:
    """What is said on a call. ``vi`` and ``en`` may use ``{number}`` and ``{counter}``.

    ``linh_vi`` is the word for a zero tens digit in counters 101…909: "linh" (north) or "lẻ"
    (south). Raises ``ValueError`` on an unknown placeholder, ``repeat`` < 1, or ``english``
    without an ``en`` text.
    """

    vi: str = "Xin mời công dân có số thứ tự {number} đến quầy số {counter}"
    en: str | None = "Ticket number {number}, please go to counter {counter}"
    repeat: int = 2
    english: bool = False
    chime: bool = True
    letters_vi: Mapping[str, str] = field(default_factory=lambda: LETTERS_VI, hash=False)
    letters_en: Mapping[str, str] = field(default_factory=lambda: LETTERS_EN, hash=False)
    linh_vi: str = "linh"

    def __post_init__(self) -> None:
        if self.repeat < 1:
            raise ValueError(f"repeat must be at least 1, not {self.repeat}")
        if self.english and not self.en:
            raise ValueError("english is on but the template has no en text")
        for lang in LANGS:
            text = self.vi if lang == "vi" else self.en
            if text is not None:
                list(_parse(text, lang))
        if not slug(self.linh_vi) or " " in self.linh_vi.strip():
            raise ValueError(f"linh_vi must be one word, not {self.linh_vi!r}")
        object.__setattr__(self, "letters_vi", _frozen_letters(self.letters_vi))
        object.__setattr__(self, "letters_en", _frozen_letters(self.letters_en))

    def text(self, lang: str) -> str:
        """The template text of ``lang``; raises ``ValueError`` if there is none."""
        if lang == "vi":
            return self.vi
        if lang == "en" and self.en is not None:
            return self.en
        raise ValueError(f"no announcement template for language {lang!r}")


DEFAULT_TEMPLATE = AnnouncementTemplate()


def _number_tokens(n: int, lang: str, linh: str = "linh") -> list[_Token]:
    if not 0 <= n <= 999:
        raise ValueError(f"can only read numbers 0 to 999, not {n}")
    digits = _DIGITS[lang]

    def digit(d: int) -> _Token:
        return (f"{lang}/digit_{d}", digits[d])

    if n < 10:
        return [digit(n)]
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out: list[_Token] = []
    if lang == "en":
        if hundreds:
            out += [digit(hundreds), ("en/num_hundred", "hundred")]
            if rest == 0:
                return out
            out.append(("en/num_and", "and"))
        if rest < 10:
            out.append(digit(rest))
        elif rest < 20:
            out.append((f"en/num_{rest}", _EN_TEENS[rest - 10]))
        else:
            out.append((f"en/num_{tens}0", _EN_TENS[tens]))
            if units:
                out.append(digit(units))
        return out

    if hundreds:
        out += [digit(hundreds), ("vi/num_hundred", "trăm")]
        if rest == 0:
            return out
        if tens == 0:  # 105: một trăm linh năm; 101: linh một, not linh mốt
            return out + [(f"vi/num_{slug(linh)}", linh), digit(units)]
    if tens == 1:
        out.append(("vi/num_ten", "mười"))
    elif tens >= 2:
        out += [digit(tens), ("vi/num_tens", "mươi")]
    if units == 0:
        pass
    elif units == 1 and tens >= 2:  # 21 hai mươi mốt, but 11 mười một
        out.append(("vi/num_mot", "mốt"))
    elif units == 4 and tens >= 2:  # 24 hai mươi tư, but 14 mười bốn
        out.append(("vi/num_tu", "tư"))
    elif units == 5:  # 15 mười lăm, 25 hai mươi lăm
        out.append(("vi/num_lam", "lăm"))
    else:
        out.append(digit(units))
    return out


def number_words(n: int, lang: str = "vi", *, linh: str = "linh") -> list[str]:
    """The words for 0 ≤ n ≤ 999: 21 -> ["hai", "mươi", "mốt"], 105 -> ["một", "trăm", "linh",
    "năm"]; in English 105 -> ["one", "hundred", "and", "five"]. Raises ``ValueError`` otherwise."""
    _check_lang(lang)
    return [text for _, text in _number_tokens(n, lang, linh)]


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")


def _ticket_units(number: str, tpl: AnnouncementTemplate, lang: str) -> list[_Unit]:
    if not number:
        raise ValueError("empty ticket number")
    letters = tpl.letters_vi if lang == "vi" else tpl.letters_en
    units: list[_Unit] = []
    for ch in number:
        if ch in "0123456789":
            units.append([(f"{lang}/digit_{ch}", _DIGITS[lang][int(ch)])])
        elif ch.upper() in letters:
            units.append([(f"{lang}/letter_{_letter_id(ch.upper())}", letters[ch.upper()])])
        else:
            raise ValueError(f"cannot say {ch!r} in ticket number {number!r} ({lang})")
    return units


def _utterance(number: str, counter: int, tpl: AnnouncementTemplate, lang: str) -> list[_Unit]:
    _check_lang(lang)
    units: list[_Unit] = []
    for phrase, name in _parse(tpl.text(lang), lang):
        if phrase:
            units.append([(phrase_clip(lang, phrase), phrase)])
        if name == "number":
            units += _ticket_units(number, tpl, lang)
        elif name == "counter":
            units.append(_number_tokens(counter, lang, tpl.linh_vi))
    return units


def announcement_text(
    number: str, counter: int, tpl: AnnouncementTemplate = DEFAULT_TEMPLATE, lang: str = "vi"
) -> str:
    """The screen text: "Xin mời công dân có số thứ tự A012 đến quầy số 3" (number as is)."""
    _check_lang(lang)
    return tpl.text(lang).format(number=number, counter=counter)


def spoken_words(
    number: str, counter: int, tpl: AnnouncementTemplate = DEFAULT_TEMPLATE, lang: str = "vi"
) -> list[str]:
    """What is said once, part by part: ["Xin mời công dân có số thứ tự", "a", "không", "một",
    "hai", "đến quầy số", "mười hai"]. Raises ``ValueError`` for a character that has no
    pronunciation or a counter outside 0…999."""
    return [" ".join(text for _, text in unit) for unit in _utterance(number, counter, tpl, lang)]


def _clips(units: list[_Unit]) -> list[str]:
    out: list[str] = []
    for i, unit in enumerate(units):
        if i:
            out.append(GAP)
        out += [clip for clip, _ in unit]
    return out


def clip_sequence(
    number: str, counter: int, tpl: AnnouncementTemplate = DEFAULT_TEMPLATE
) -> list[str]:
    """The clips of one call, in order: chime, the Vietnamese sentence ``repeat`` times with a
    ``pause`` between, then the English sentence once if enabled. Within a sentence a ``gap``
    separates the parts; the words of the counter number follow each other directly."""
    vi = _clips(_utterance(number, counter, tpl, "vi"))
    seq = [CHIME] if tpl.chime else []
    for i in range(tpl.repeat):
        if i:
            seq.append(PAUSE)
        seq += vi
    if tpl.english:
        seq.append(PAUSE)
        seq += _clips(_utterance(number, counter, tpl, "en"))
    return seq


def required_clips(tpl: AnnouncementTemplate = DEFAULT_TEMPLATE) -> dict[str, str]:
    """Every speech clip the template can need, name -> text to say (``SOUND_CLIPS`` aside):
    the phrases, all configured letters, the digits and the words of counters 0…999, in
    Vietnamese, and in English when enabled."""
    langs = ["vi", "en"] if tpl.english else ["vi"]
    out: dict[str, str] = {}
    for lang in langs:
        for phrase, _ in _parse(tpl.text(lang), lang):
            if phrase:
                out[phrase_clip(lang, phrase)] = phrase
        letters = "".join(tpl.letters_vi if lang == "vi" else tpl.letters_en)
        for unit in _ticket_units(letters + "0123456789", tpl, lang):
            out.update(unit)
        for n in range(1000):
            out.update(_number_tokens(n, lang, tpl.linh_vi))
    return out


def cache_key(clips: Sequence[str], version: str = CLIP_SET_VERSION) -> str:
    """A stable name for the assembled file of ``clips``; ``version`` identifies the clip set."""
    data = "\0".join(["motcua-voice", version, *clips]).encode()
    return hashlib.sha256(data).hexdigest()[:32]
