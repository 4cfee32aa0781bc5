"""The announcement builder: screen text, words said, clip names (pure, no files)."""

from __future__ import annotations

import pytest

from display.announce import (
    CHIME,
    GAP,
    PAUSE,
    AnnouncementTemplate,
    announcement_text,
    cache_key,
    clip_sequence,
    number_words,
    phrase_clip,
    required_clips,
    slug,
    spoken_words,
)

VI_NUMBERS = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (9, "chín"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (30, "ba mươi"),
    (55, "năm mươi lăm"),
    (71, "bảy mươi mốt"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (200, "hai trăm"),
    (305, "ba trăm linh năm"),
    (450, "bốn trăm năm mươi"),
    (999, "chín trăm chín mươi chín"),
]

EN_NUMBERS = [
    (0, "zero"),
    (3, "three"),
    (10, "ten"),
    (12, "twelve"),
    (19, "nineteen"),
    (20, "twenty"),
    (21, "twenty one"),
    (99, "ninety nine"),
    (100, "one hundred"),
    (105, "one hundred and five"),
    (110, "one hundred and ten"),
    (121, "one hundred and twenty one"),
    (999, "nine hundred and ninety nine"),
]

UTTERANCE_A012_3 = [
    "vi/xin_moi_cong_dan_co_so_thu_tu",
    GAP,
    "vi/letter_a",
    GAP,
    "vi/digit_0",
    GAP,
    "vi/digit_1",
    GAP,
    "vi/digit_2",
    GAP,
    "vi/den_quay_so",
    GAP,
]


@pytest.mark.parametrize(("n", "words"), VI_NUMBERS)
def test_vietnamese_number_reading(n: int, words: str) -> None:
    assert " ".join(number_words(n)) == words


def test_southern_linh() -> None:
    assert " ".join(number_words(105, linh="lẻ")) == "một trăm lẻ năm"


@pytest.mark.parametrize(("n", "words"), EN_NUMBERS)
def test_english_number_reading(n: int, words: str) -> None:
    assert " ".join(number_words(n, "en")) == words


@pytest.mark.parametrize("n", [-1, 1000])
def test_numbers_outside_0_to_999_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="0 to 999"):
        number_words(n)


def test_screen_text_shows_the_number_as_is() -> None:
    assert announcement_text("A012", 3) == "Xin mời công dân có số thứ tự A012 đến quầy số 3"
    assert announcement_text("A012", 3, lang="en") == "Ticket number A012, please go to counter 3"


@pytest.mark.parametrize(
    ("number", "counter", "said"),
    [
        ("A012", 3, "a, không, một, hai, đến quầy số, ba"),
        ("A012", 12, "a, không, một, hai, đến quầy số, mười hai"),
        ("B105", 21, "bê, một, không, năm, đến quầy số, hai mươi mốt"),
        ("A1000", 10, "a, một, không, không, không, đến quầy số, mười"),
        ("h007", 8, "hát, không, không, bảy, đến quầy số, tám"),
    ],
)
def test_ticket_read_digit_by_digit_counter_as_a_number(
    number: str, counter: int, said: str
) -> None:
    words = spoken_words(number, counter)
    assert words[0] == "Xin mời công dân có số thứ tự"
    assert ", ".join(words[1:]) == said


def test_english_words() -> None:
    assert spoken_words("A012", 12, lang="en") == [
        "Ticket number",
        "A",
        "zero",
        "one",
        "two",
        "please go to counter",
        "twelve",
    ]


def test_a1000_clips() -> None:
    seq = clip_sequence("A1000", 3, AnnouncementTemplate(repeat=1, chime=False))
    assert [c for c in seq if c != GAP][1:6] == [
        "vi/letter_a",
        "vi/digit_1",
        "vi/digit_0",
        "vi/digit_0",
        "vi/digit_0",
    ]


def test_clip_sequence_a012_counter_3_said_twice() -> None:
    once = [*UTTERANCE_A012_3, "vi/digit_3"]
    assert clip_sequence("A012", 3) == [CHIME, *once, PAUSE, *once]


def test_clip_sequence_a012_counter_12_composes_the_number() -> None:
    once = [*UTTERANCE_A012_3, "vi/num_ten", "vi/digit_2"]
    assert clip_sequence("A012", 12) == [CHIME, *once, PAUSE, *once]


def test_clip_sequence_with_english_says_it_once_after() -> None:
    tpl = AnnouncementTemplate(english=True)
    once = [*UTTERANCE_A012_3, "vi/num_ten", "vi/digit_2"]
    english = [
        "en/ticket_number",
        GAP,
        "en/letter_a",
        GAP,
        "en/digit_0",
        GAP,
        "en/digit_1",
        GAP,
        "en/digit_2",
        GAP,
        "en/please_go_to_counter",
        GAP,
        "en/num_12",
    ]
    assert clip_sequence("A012", 12, tpl) == [CHIME, *once, PAUSE, *once, PAUSE, *english]


def test_no_chime_and_single_repeat() -> None:
    seq = clip_sequence("A012", 3, AnnouncementTemplate(chime=False, repeat=1))
    assert seq == [*UTTERANCE_A012_3, "vi/digit_3"]


def test_english_off_by_default_even_with_text() -> None:
    assert not any(c.startswith("en/") for c in clip_sequence("A012", 3))


def test_phrase_clips_follow_the_template() -> None:
    tpl = AnnouncementTemplate(vi="Mời công dân số {number}, đến quầy {counter}.", repeat=1)
    seq = clip_sequence("C001", 4, tpl)
    assert seq[:2] == [CHIME, "vi/moi_cong_dan_so"]
    assert "vi/den_quay" in seq
    assert "vi/moi_cong_dan_so" in required_clips(tpl)
    assert "vi/xin_moi_cong_dan_co_so_thu_tu" not in required_clips(tpl)


def test_slug_is_ascii_without_tones() -> None:
    assert slug("Xin mời công dân có số thứ tự") == "xin_moi_cong_dan_co_so_thu_tu"
    assert slug("Đến quầy, số!") == "den_quay_so"
    long = slug("một " * 40)
    assert len(long) <= 60 and long.isascii()
    assert long != slug("một " * 41)


def test_phrase_names_do_not_take_reserved_names() -> None:
    assert phrase_clip("vi", "digit 3") == "vi/phrase_digit_3"


def test_letter_pronunciation_is_configurable() -> None:
    tpl = AnnouncementTemplate(letters_vi={"A": "a", "L": "lờ"}, repeat=1, chime=False)
    assert spoken_words("L5", 1, tpl)[1] == "lờ"
    assert required_clips(tpl)["vi/letter_l"] == "lờ"
    with pytest.raises(ValueError, match="'B'"):
        clip_sequence("B001", 1, tpl)


def test_d_with_stroke_has_its_own_clip() -> None:
    seq = clip_sequence("Đ001", 1, AnnouncementTemplate(repeat=1, chime=False))
    assert seq[2] == "vi/letter_dd"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vi": "Mời {name} đến quầy {counter}"}, "only {number} and {counter}"),
        ({"vi": "Mời {number:>5}"}, "only {number} and {counter}"),
        ({"repeat": 0}, "repeat"),
        ({"english": True, "en": None}, "english"),
        ({"letters_vi": {"AB": "x"}}, "single letter"),
        ({"letters_vi": {"1": "x"}}, "single letter"),
        ({"linh_vi": "linh lẻ"}, "one word"),
    ],
)
def test_bad_templates_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        AnnouncementTemplate(**kwargs)


def test_unsayable_ticket_character() -> None:
    with pytest.raises(ValueError, match="'-'"):
        clip_sequence("A-12", 1)
    with pytest.raises(ValueError, match="empty"):
        clip_sequence("", 1)


def test_required_clips_cover_every_announcement() -> None:
    tpl = AnnouncementTemplate(english=True)
    have = set(required_clips(tpl))
    for counter in range(1000):
        for clip in clip_sequence("A012", counter, tpl):
            assert clip in have or clip in (CHIME, GAP, PAUSE), (counter, clip)
    assert len(have) < 120  # a small set: counters are composed from words


def test_required_clips_vietnamese_only_by_default() -> None:
    assert all(name.startswith("vi/") for name in required_clips())


def test_cache_key_is_stable_and_distinguishes() -> None:
    a = clip_sequence("A012", 3)
    assert cache_key(a) == cache_key(list(a))
    assert len(cache_key(a)) == 32
    assert cache_key(a) != cache_key(clip_sequence("A012", 4))
    assert cache_key(a) != cache_key(a, version="other")
    assert cache_key(["ab", "c"]) != cache_key(["a", "bc"])


def test_template_is_hashable_and_frozen() -> None:
    tpl = AnnouncementTemplate()
    assert hash(tpl) == hash(AnnouncementTemplate())
    with pytest.raises(AttributeError):
        tpl.repeat = 3  # type: ignore[misc]
