"""A two-tone "ding-dong" chime, synthesised with the standard library.

Each strike is a few decaying sine partials, like a struck metal bar: a 4 ms attack, then an
exponential decay that is faster for the higher partials, so the tone starts bright and ends soft.
"""

from __future__ import annotations

import math
from array import array

# (frequency ratio to the fundamental, amplitude, decay time constant in seconds)
_PARTIALS = ((1.0, 1.0, 0.55), (2.0, 0.28, 0.25), (2.76, 0.12, 0.12), (4.0, 0.05, 0.06))
# (start in seconds, fundamental in Hz): E5 then C5, a falling major third.
_STRIKES = ((0.0, 659.26), (0.55, 523.25))
_LENGTH_S = 1.9
_ATTACK_S = 0.004
_FADE_OUT_S = 0.08


def ding_dong(rate: int = 22050, *, peak: float = 0.5) -> array:
    """The chime as 16-bit signed mono samples at ``rate``, peaking at ``peak`` of full scale."""
    total = int(_LENGTH_S * rate)
    mix = [0.0] * total
    attack = int(_ATTACK_S * rate)
    for start_s, fundamental in _STRIKES:
        start = int(start_s * rate)
        for ratio, amplitude, tau in _PARTIALS:
            step = 2 * math.pi * fundamental * ratio / rate
            decay = math.exp(-1.0 / (tau * rate))
            envelope = amplitude
            for i in range(total - start):
                gain = envelope * (i / attack if i < attack else 1.0)
                mix[start + i] += gain * math.sin(step * i)
                if i >= attack:
                    envelope *= decay
    fade = int(_FADE_OUT_S * rate)
    for i in range(fade):
        mix[total - fade + i] *= 1.0 - (i + 1) / fade
    scale = peak * 32767 / max(abs(v) for v in mix)
    return array("h", (round(v * scale) for v in mix))
