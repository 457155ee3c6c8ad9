"""Per-member limits on costly requests, answered privately with when to try again.

Charts: at most CHART_RATE per member in any CHART_WINDOW seconds, /chart and the Chart button alike, whether or
not the picture is drawn already. A fan cannot see what is cached, so a limit that counted only fresh drawings
would refuse the same press one moment and allow it the next; and every chart reply uploads its picture again
anyway. Six a minute is more than a person reading charts asks for (a race has at most four kinds), while one
member pressing through races and kinds to keep the drawing worker busy is held to one picture every ten seconds.
"""

import math
import time
from collections import deque
from collections.abc import Callable

from bot.errors import UserFacingError

CHART_RATE = 6
CHART_WINDOW = 60.0


class TooSoonError(UserFacingError):
    """A member reached a limit; the message says when they may ask again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MemberLimit:
    """Allow each member at most `rate` uses in any `per` seconds; a refused use is not counted."""

    SWEEP_AT = 4096  # members remembered before those idle for a whole window are forgotten

    def __init__(self, what: str, *, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what  # plural, as the refusal says it: "charts"
        self.rate = rate
        self.per = per
        self.clock = clock
        self._uses: dict[int, deque[float]] = {}

    def use(self, member_id: int) -> None:
        """Count one use by a member, or raise TooSoonError when they have used up the window."""
        now = self.clock()
        uses = self._uses.get(member_id)
        if uses is None:
            if len(self._uses) >= self.SWEEP_AT:
                self._forget_idle(now)
            uses = self._uses[member_id] = deque(maxlen=self.rate)
        while uses and uses[0] <= now - self.per:
            uses.popleft()
        if len(uses) >= self.rate:
            wait = uses[0] + self.per - now
            raise TooSoonError(
                f"You asked for {self.rate} {self.what} in the last {self.per:.0f} s; "
                f"try again in {max(1, math.ceil(wait))} s.",
                wait,
            )
        uses.append(now)

    def _forget_idle(self, now: float) -> None:
        self._uses = {member: uses for member, uses in self._uses.items() if uses and uses[-1] > now - self.per}


def chart_limit(clock: Callable[[], float] = time.monotonic) -> MemberLimit:
    """Return the limit on how often one member may ask for charts."""
    return MemberLimit("charts", rate=CHART_RATE, per=CHART_WINDOW, clock=clock)
