"""The one rule for showing an estimated wait to citizens, on paper, the kiosk and the phone."""

from __future__ import annotations


def wait_minutes(seconds: int | float | None) -> int | None:
    """Whole minutes to show for an estimated wait of ``seconds``.

    ``None``: no estimate (show nothing). 0 or less: 0, shown as "very soon", never "~1 min".
    Otherwise the nearest minute, halves rounded up (150 s is 3 minutes), at least 1.
    """
    if seconds is None:
        return None
    if seconds <= 0:
        return 0
    return max(1, int((seconds + 30) // 60))
