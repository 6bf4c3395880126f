"""Report figures cached under the mirror's generations (records.generations): a report's
figures and tables are worked out once for its parameters and the data they read, and worked
out again as soon as a sync, a sweep or an edit writes to one of the kinds they read."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from psaportal.records.generations import mirror_generations

#: A cached answer is dropped after this long even when no data under it changed: its "as
#: of" time stays recent (the backlog's ages move with the clock) and the cache stays small.
FIGURES_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Computed:
    value: Any
    as_of: datetime.datetime  # when it was worked out; the pages say "Figures as of"


def computed(
    *, connection, reads: tuple[str, ...], name: str, params: tuple, compute: Callable[[], Any]
) -> Computed:
    """``compute()``'s answer for ``name`` and ``params`` over the kinds it ``reads``, cached.

    The generations are read before the figures: a write committed while they are worked
    out is at worst already in them, and the next request, seeing its generation, works
    them out again.
    """
    generations = mirror_generations(connection_id=connection.pk, kinds=reads)
    today = timezone.localdate()  # presets and ages count from today
    key = repr((name, connection.pk, reads, generations, today, params))
    key = f"reports:figures:{hashlib.sha256(key.encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = Computed(compute(), timezone.now())
        cache.set(key, found, FIGURES_CACHE_SECONDS)
    return found
