"""Pause Python's cyclic garbage collector around bulk work that only makes acyclic objects.

Reading a million rows makes a million tuples; each allocation burst sets off collections, and
the full ones walk every live container, the million rows just read included. Reference
counting frees such objects anyway; the collector finds nothing. Measured at 1.2M window
complaints: reading the window took 3.2-4.7 s with the collector on and 1.3 s paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector off for the block, back to how it was after (nesting is safe). Any
    cyclic garbage made inside waits for the next collection after the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
