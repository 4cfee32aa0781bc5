"""Voice clips on disk, and one WAV file per announcement assembled from them.

Every clip is ``<clip_dir>/<name>.wav`` in one format: 22050 Hz, mono, 16-bit PCM (what
espeak-ng writes). ``generate_clips`` makes the default set with espeak-ng at set-up time;
``assemble`` needs only the standard library, so the server never runs espeak-ng or sox.
A site may replace any clip with a recording of a real voice under the same name: generation
never overwrites it (see ``display/clips/README.md``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from display.announce import (
    CHIME,
    CLIP_SET_VERSION,
    DEFAULT_TEMPLATE,
    GAP,
    PAUSE,
    AnnouncementTemplate,
    cache_key,
    required_clips,
)
from display.chime import ding_dong

__all__ = [
    "CHANNELS",
    "RATE",
    "SAMPWIDTH",
    "ClipFormatError",
    "ClipMissing",
    "EspeakMissing",
    "VoiceError",
    "assemble",
    "clip_path",
    "generate_clips",
    "wav_duration",
    "wav_rms",
]

RATE = 22050
CHANNELS = 1
SAMPWIDTH = 2
FORMAT_NAME = "22050 Hz mono 16-bit PCM"

GAP_S = 0.15
PAUSE_S = 0.8
MANIFEST = "generated.json"
DEFAULT_SPEECH_RATE = 150  # espeak-ng words per minute; its default (175) is hurried for a hall

# Trimming: a sample is sound if louder than 0.5% of the clip's peak; keep a little either side so
# that soft onsets (the "x" of "xin") and releases survive.
_TRIM_RATIO = 0.005
_KEEP_BEFORE_S = 0.010
_KEEP_AFTER_S = 0.030
_FADE_S = 0.003
_SILENT_RMS = 0.003  # below about -50 dBFS a speech clip is taken to be silent

_CLIP_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)?$")
_CACHE_NAME = re.compile(r"^[0-9a-f]{32}\.wav$")


class VoiceError(Exception):
    """A clip or the clip generator cannot be used."""


class ClipMissing(VoiceError):
    """An announcement needs a clip that is not in the clip folder."""

    def __init__(self, clip: str, path: Path) -> None:
        super().__init__(f"voice clip {clip!r} is missing: expected {path}")
        self.clip = clip
        self.path = path


class ClipFormatError(VoiceError):
    """A clip is not a WAV file in the one clip format."""


class EspeakMissing(VoiceError):
    """espeak-ng is not installed."""


def clip_path(clip_dir: Path, clip: str) -> Path:
    """The file of ``clip``; raises ``ValueError`` for a name outside the naming scheme."""
    if not _CLIP_NAME.match(clip):
        raise ValueError(f"not a voice clip name: {clip!r}")
    return Path(clip_dir) / f"{clip}.wav"


# --- WAV files -------------------------------------------------------------------------------


def _to_le(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def _from_le(data: bytes) -> array:
    samples = array("h", data)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _read_frames(path: Path) -> bytes:
    """The clip's frames as 16-bit mono little-endian bytes; stereo is mixed down, nothing else
    is converted. Raises ``ClipFormatError`` naming the file."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            data = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ClipFormatError(
            f"{path}: not a PCM WAV file ({exc}); clips must be {FORMAT_NAME}"
        ) from None
    if width != SAMPWIDTH or rate != RATE or channels not in (1, 2):
        raise ClipFormatError(
            f"{path}: {rate} Hz, {channels} channel(s), {8 * width}-bit; clips must be"
            f" {FORMAT_NAME} (convert with: sox IN.wav -r {RATE} -c 1 -b 16 OUT.wav)"
        )
    if channels == 2:
        both = _from_le(data)
        left, right = both[::2], both[1::2]
        data = _to_le(array("h", ((a + b) // 2 for a, b in zip(left, right, strict=True))))
    return data


def _write_wav(path: Path, frames: bytes) -> None:
    """Write ``frames`` (16-bit mono LE) to ``path`` atomically: a temporary file, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            with wave.open(f, "wb") as w:
                w.setnchannels(CHANNELS)
                w.setsampwidth(SAMPWIDTH)
                w.setframerate(RATE)
                w.writeframes(frames)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def wav_duration(path: Path) -> float:
    """Length of a WAV file in seconds; raises ``ClipFormatError`` if it is not one."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ClipFormatError(f"{path}: not a PCM WAV file ({exc})") from None


def wav_rms(path: Path) -> float:
    """Root-mean-square level of a clip as a fraction of full scale (0 is silence)."""
    samples = _from_le(_read_frames(path))
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768


# --- Clip generation -------------------------------------------------------------------------


def _trim(samples: array) -> array:
    """Cut leading and trailing silence, keeping a few ms, with a short fade at each end."""
    if not samples:
        return samples
    threshold = max(64, _TRIM_RATIO * max(abs(s) for s in samples))
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    if not loud:
        return array("h")
    start = max(0, loud[0] - int(_KEEP_BEFORE_S * RATE))
    end = min(len(samples), loud[-1] + 1 + int(_KEEP_AFTER_S * RATE))
    out = samples[start:end]
    fade = min(int(_FADE_S * RATE), len(out) // 2)
    for i in range(fade):
        out[i] = out[i] * i // fade
        out[-1 - i] = out[-1 - i] * i // fade
    return out


def _espeak() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise EspeakMissing("espeak-ng is not installed (Debian: apt install espeak-ng)")
    return found


def _speak(espeak: str, text: str, voice: str, rate: int) -> array:
    """Say ``text`` with espeak-ng; the trimmed samples in the clip format."""
    with tempfile.TemporaryDirectory(prefix="motcua-voice-") as tmp:
        raw = Path(tmp) / "raw.wav"
        cmd = [espeak, "-v", voice, "-s", str(rate), "-b", "1", "-w", str(raw), "--stdin"]
        run = subprocess.run(cmd, input=text.encode(), capture_output=True, timeout=60)
        if run.returncode != 0 or not raw.exists():
            err = run.stderr.decode(errors="replace").strip() or f"exit status {run.returncode}"
            raise VoiceError(f"espeak-ng -v {voice} failed on {text!r}: {err}")
        try:
            frames = _read_frames(raw)
        except ClipFormatError:
            # Some voices (mbrola) speak at 16 kHz: convert, which only set-up time may do.
            sox = shutil.which("sox")
            if sox is None:
                raise
            converted = Path(tmp) / "converted.wav"
            subprocess.run(
                [sox, str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(converted)],
                check=True,
                capture_output=True,
                timeout=60,
            )
            frames = _read_frames(converted)
    samples = _trim(_from_le(frames))
    if not samples:
        raise VoiceError(f"espeak-ng -v {voice} produced silence for {text!r}")
    return samples


def _sound_clips() -> dict[str, tuple[str, Callable[[], bytes]]]:
    """The non-speech clips: name -> (spec, how to make its frames)."""
    return {
        CHIME: ("chime:1", lambda: _to_le(ding_dong(RATE))),
        GAP: (f"silence:{GAP_S}", lambda: bytes(int(GAP_S * RATE) * SAMPWIDTH)),
        PAUSE: (f"silence:{PAUSE_S}", lambda: bytes(int(PAUSE_S * RATE) * SAMPWIDTH)),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate_clips(
    clip_dir: Path,
    tpl: AnnouncementTemplate = DEFAULT_TEMPLATE,
    *,
    voice_vi: str = "vi",
    voice_en: str = "en",
    rate: int = DEFAULT_SPEECH_RATE,
    overwrite: bool = False,
) -> list[str]:
    """Write every clip ``tpl`` can need into ``clip_dir``; return the names written.

    Speech clips come from espeak-ng, trimmed; the chime and silences are synthesised. An existing
    clip is kept (it may be a site's recording) unless ``overwrite`` is true, or unless this
    function wrote it, it is unchanged, and its text, voice or rate has changed since (recorded in
    ``generated.json``). Raises ``EspeakMissing`` if espeak-ng is not installed and ``VoiceError``
    if it fails or says nothing.
    """
    clip_dir = Path(clip_dir)
    manifest_path = clip_dir / MANIFEST
    try:
        manifest: dict[str, dict[str, str]] = json.loads(manifest_path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):  # damaged: then every existing clip is kept
        manifest = {}

    def wanted(name: str, spec: str) -> bool:
        path = clip_path(clip_dir, name)
        if overwrite or not path.exists():
            return True
        made = manifest.get(name)
        if not isinstance(made, dict) or made.get("spec") == spec:
            return False
        return made.get("sha256") == _sha256(path)

    speech: dict[str, tuple[str, str, str]] = {}  # name -> (spec, text, voice)
    for name, text in required_clips(tpl).items():
        voice = voice_vi if name.startswith("vi/") else voice_en
        spec = f"espeak-ng:{voice}:{rate}:{text}"
        if wanted(name, spec):
            speech[name] = (spec, text, voice)
    sounds = {name: v for name, v in _sound_clips().items() if wanted(name, v[0])}

    espeak = _espeak() if speech else ""
    results = {name: (spec, make()) for name, (spec, make) in sounds.items()}
    if speech:

        def say(name: str) -> bytes:
            _, text, voice = speech[name]
            return _to_le(_speak(espeak, text, voice, rate))

        # espeak-ng runs as a process per clip: a few at a time cut the wait several-fold.
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            for name, frames in zip(speech, pool.map(say, speech), strict=True):
                results[name] = (speech[name][0], frames)

    for name, (spec, frames) in sorted(results.items()):
        path = clip_path(clip_dir, name)
        _write_wav(path, frames)
        manifest[name] = {"spec": spec, "sha256": _sha256(path)}
    if results:
        tmp = manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False), "utf-8")
        os.replace(tmp, manifest_path)
    return sorted(results)


# --- Assembly --------------------------------------------------------------------------------


def _fingerprint(clips: Iterable[str], clip_dir: Path) -> str:
    """Identifies the clip files in use, so that a replaced recording is not served stale."""
    parts = [CLIP_SET_VERSION]
    for clip in sorted(set(clips)):
        path = clip_path(clip_dir, clip)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise ClipMissing(clip, path) from None
        parts.append(f"{clip}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _prune(cache_dir: Path, keep: int, spare: Path) -> None:
    files = [p for p in cache_dir.iterdir() if _CACHE_NAME.match(p.name) and p != spare]
    if len(files) < keep:
        return

    def age(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    for old in sorted(files, key=age)[: len(files) - keep + 1]:
        old.unlink(missing_ok=True)


def assemble(clips: Sequence[str], clip_dir: Path, cache_dir: Path, *, keep: int = 100) -> Path:
    """One WAV file of ``clips`` in order, in ``cache_dir`` under its cache key.

    An existing file is returned untouched. A new one is written atomically, and the oldest
    assembled files beyond ``keep`` are removed. Raises ``ClipMissing`` naming a missing clip and
    ``ClipFormatError`` naming a clip file in another format.
    """
    if not clips:
        raise ValueError("no clips to assemble")
    clip_dir, cache_dir = Path(clip_dir), Path(cache_dir)
    key = cache_key(clips, _fingerprint(clips, clip_dir))
    out = cache_dir / f"{key}.wav"
    if out.exists():
        return out
    frames = {clip: _read_frames(clip_path(clip_dir, clip)) for clip in set(clips)}
    _write_wav(out, b"".join(frames[clip] for clip in clips))
    _prune(cache_dir, keep, out)
    return out
