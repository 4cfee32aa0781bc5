"""Voice clips: generation with espeak-ng, WAV assembly and its cache."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pytest

from display.announce import (
    CHIME,
    GAP,
    PAUSE,
    SOUND_CLIPS,
    AnnouncementTemplate,
    clip_sequence,
    required_clips,
)
from display.chime import ding_dong
from display.voice import (
    RATE,
    ClipFormatError,
    ClipMissing,
    EspeakMissing,
    assemble,
    clip_path,
    generate_clips,
    wav_duration,
    wav_rms,
)

REPO = Path(__file__).resolve().parents[2]
ENGLISH = AnnouncementTemplate(english=True)
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (apt install espeak-ng); it is in CI",
)


def write_wav(path: Path, samples: list[int], *, rate: int = RATE, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        data = array("h", samples)
        if sys.byteorder == "big":
            data.byteswap()
        w.writeframes(data.tobytes())
    return path


def tone(seconds: float, freq: float = 440.0, level: float = 0.3) -> list[int]:
    return [
        round(level * 32767 * math.sin(2 * math.pi * freq * i / RATE))
        for i in range(int(seconds * RATE))
    ]


def wav_format(path: Path) -> tuple[int, int, int, str]:
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype()


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng); it is in CI")
    folder = tmp_path_factory.mktemp("clips")
    generate_clips(folder, ENGLISH)
    return folder


@pytest.fixture
def small_clips(tmp_path: Path) -> Path:
    """A hand-made clip folder, enough for announcing A1 at counter 1 once without espeak-ng."""
    folder = tmp_path / "clips"
    for name, seconds in [
        (CHIME, 0.5),
        (GAP, 0.1),
        (PAUSE, 0.2),
        ("vi/xin_moi_cong_dan_co_so_thu_tu", 1.0),
        ("vi/letter_a", 0.3),
        ("vi/digit_1", 0.3),
        ("vi/den_quay_so", 0.6),
    ]:
        write_wav(clip_path(folder, name), tone(seconds))
    return folder


SMALL = clip_sequence("A1", 1, AnnouncementTemplate(repeat=1))


# --- generation (real espeak-ng) -------------------------------------------------------------


@needs_espeak
def test_every_needed_clip_is_generated_in_one_format(clip_dir: Path) -> None:
    for name in [*required_clips(ENGLISH), *SOUND_CLIPS]:
        path = clip_path(clip_dir, name)
        assert path.is_file(), name
        assert wav_format(path) == (1, 2, RATE, "NONE"), name


@needs_espeak
def test_speech_clips_are_not_silent(clip_dir: Path) -> None:
    # A listening check by numbers: about -40 dBFS or louder.
    for name in required_clips(ENGLISH):
        assert wav_rms(clip_path(clip_dir, name)) > 0.01, name
    assert wav_rms(clip_path(clip_dir, CHIME)) > 0.05
    assert wav_rms(clip_path(clip_dir, PAUSE)) == 0.0


@needs_espeak
def test_speech_clips_are_trimmed(clip_dir: Path) -> None:
    # espeak-ng leaves about 0.4 s of silence after every word; trimmed digits are short.
    for d in range(10):
        assert 0.1 < wav_duration(clip_path(clip_dir, f"vi/digit_{d}")) < 0.6, d
    with wave.open(str(clip_path(clip_dir, "vi/digit_3")), "rb") as w:
        samples = array("h", w.readframes(w.getnframes()))
    edge = int(0.05 * RATE)
    assert max(abs(s) for s in samples[:edge]) > 500
    assert max(abs(s) for s in samples[-edge:]) > 100


@needs_espeak
def test_assemble_a012_counter_3(clip_dir: Path, tmp_path: Path) -> None:
    seq = clip_sequence("A012", 3)
    out = assemble(seq, clip_dir, tmp_path / "cache")
    assert wav_format(out) == (1, 2, RATE, "NONE")
    duration = wav_duration(out)
    assert 3.0 < duration < 20.0
    expected = sum(wav_duration(clip_path(clip_dir, c)) for c in seq)
    assert duration == pytest.approx(expected, abs=1e-6)
    assert wav_rms(out) > 0.02


@needs_espeak
def test_assemble_with_english(clip_dir: Path, tmp_path: Path) -> None:
    once = assemble(clip_sequence("A012", 12), clip_dir, tmp_path)
    both = assemble(clip_sequence("A012", 12, ENGLISH), clip_dir, tmp_path)
    assert wav_duration(both) > wav_duration(once) + 2.0


@needs_espeak
def test_generation_keeps_existing_clips(clip_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    shutil.copytree(clip_dir, folder)
    recorded = write_wav(clip_path(folder, "vi/digit_3"), tone(0.4, 300))
    before = recorded.read_bytes()
    clip_path(folder, "vi/digit_4").unlink()
    few_letters = AnnouncementTemplate(letters_vi={"A": "a"})

    assert generate_clips(folder, few_letters) == ["vi/digit_4"]
    assert recorded.read_bytes() == before

    written = generate_clips(folder, few_letters, overwrite=True)
    assert len(written) == len(required_clips(few_letters)) + len(SOUND_CLIPS)
    assert "vi/digit_3" in written
    assert recorded.read_bytes() != before


@needs_espeak
def test_changed_pronunciation_regenerates_only_own_clips(clip_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    shutil.copytree(clip_dir, folder)
    recorded = write_wav(clip_path(folder, "vi/letter_m"), tone(0.4, 300))
    letters = {"A": "a", "L": "lờ", "M": "mờ"}
    tpl = AnnouncementTemplate(english=True, letters_vi=letters)
    assert generate_clips(folder, tpl) == ["vi/letter_l"]
    assert wav_rms(recorded) == pytest.approx(0.3 / math.sqrt(2), rel=0.01)


def test_generation_without_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EspeakMissing, match="espeak-ng is not installed"):
        generate_clips(tmp_path / "clips")


def test_script_fails_in_one_line_without_espeak(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make-voice-clips"), str(tmp_path / "c")],
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "espeak-ng is not installed" in run.stderr


@needs_espeak
def test_script_generates_the_default_set(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make-voice-clips"), str(tmp_path / "c")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "c" / "vi" / "den_quay_so.wav").is_file()
    assert not (tmp_path / "c" / "en").exists()


# --- assembly (hand-made clips) --------------------------------------------------------------


def test_cache_hit_returns_the_same_file_untouched(small_clips: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = assemble(SMALL, small_clips, cache)
    stat = first.stat()
    again = assemble(SMALL, small_clips, cache)
    assert again == first
    assert (again.stat().st_mtime_ns, again.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)
    assert [p.name for p in cache.iterdir()] == [first.name]


def test_a_replaced_clip_gives_a_new_file(small_clips: Path, tmp_path: Path) -> None:
    first = assemble(SMALL, small_clips, tmp_path)
    write_wav(clip_path(small_clips, "vi/digit_1"), tone(0.5, 330))
    second = assemble(SMALL, small_clips, tmp_path)
    assert second != first
    # "một" is said twice: ticket A1 and counter 1.
    assert wav_duration(second) == pytest.approx(wav_duration(first) + 2 * 0.2, abs=1e-6)


def test_missing_clip_is_named(small_clips: Path, tmp_path: Path) -> None:
    seq = clip_sequence("A12", 1, AnnouncementTemplate(repeat=1))
    with pytest.raises(ClipMissing, match="'vi/digit_2'") as caught:
        assemble(seq, small_clips, tmp_path)
    assert caught.value.clip == "vi/digit_2"
    assert caught.value.path == small_clips / "vi" / "digit_2.wav"
    assert not list(tmp_path.glob("*.wav"))


def test_clip_in_another_rate_is_refused_by_name(small_clips: Path, tmp_path: Path) -> None:
    write_wav(clip_path(small_clips, "vi/letter_a"), tone(0.3), rate=44100)
    with pytest.raises(ClipFormatError, match=r"letter_a\.wav: 44100 Hz.*22050 Hz mono 16-bit"):
        assemble(SMALL, small_clips, tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_broken_clip_is_refused_by_name(small_clips: Path, tmp_path: Path) -> None:
    clip_path(small_clips, "vi/letter_a").write_bytes(b"ID3 not a wave file at all")
    with pytest.raises(ClipFormatError, match=r"letter_a\.wav: not a PCM WAV file"):
        assemble(SMALL, small_clips, tmp_path)


def test_stereo_clip_is_mixed_down(small_clips: Path, tmp_path: Path) -> None:
    mono = tone(0.3)
    stereo = [s for pair in zip(mono, mono, strict=True) for s in pair]
    write_wav(clip_path(small_clips, "vi/letter_a"), stereo, channels=2)
    out = assemble(SMALL, small_clips, tmp_path)
    assert wav_format(out) == (1, 2, RATE, "NONE")
    expected = sum(wav_duration(clip_path(small_clips, c)) for c in SMALL)
    assert wav_duration(out) == pytest.approx(expected, abs=1e-6)


def test_bad_clip_names_are_refused(small_clips: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a voice clip name"):
        assemble(["../secret"], small_clips, tmp_path)
    with pytest.raises(ValueError, match="no clips"):
        assemble([], small_clips, tmp_path)


def test_old_assembled_files_are_pruned(small_clips: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    outs = []
    for seq in ([CHIME], [GAP], [PAUSE], [CHIME, GAP]):
        outs.append(assemble(seq, small_clips, cache, keep=2))
        os.utime(outs[-1], ns=(len(outs) * 10**9, len(outs) * 10**9))
    assert sorted(cache.iterdir()) == sorted(outs[-2:])


def test_chime_is_two_tones_and_not_clipped() -> None:
    samples = ding_dong(RATE)
    assert 1.0 < len(samples) / RATE < 3.0
    assert max(abs(s) for s in samples) <= 0.5 * 32767 + 1
    assert samples[-1] == 0

    def level(start: float) -> float:
        window = samples[int(start * RATE) : int((start + 0.05) * RATE)]
        return math.sqrt(sum(s * s for s in window) / len(window))

    assert level(0.55) > level(0.45)  # the second strike
    assert level(1.8) < level(0.6) / 10  # then it dies away
