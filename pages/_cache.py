"""Per-session memoisation of engine calls (instead of ``st.cache_data``).

Not a page. A cached value lives in the session's own ``st.session_state``, under a key that is
a Python tuple of the call's arguments (never a string joined with a separator, which two
different argument lists can share: ``["sex=M|age>60"]`` and ``["sex=M", "age>60"]``). So

* one session can never read, or poison, another session's entry (nothing is shared), and
* a session's entries, and the patient data in them, are freed with the session
  (``server.disconnectedSessionTTL`` after its browser tab closed).

As with ``st.cache_data``, arguments whose name starts with ``_`` are not part of the key (the
data itself; the key carries its content digest), exceptions are not cached, and each function
keeps at most ``max_entries`` results (least recently used dropped first). ``func.peek(...)``
returns the cached value, or :data:`MISSING`, without computing anything.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

__all__ = ["session_cache", "freeze", "STATE_PREFIX", "MISSING"]

STATE_PREFIX = "app_cache::"
#: What ``func.peek(...)`` returns when nothing is cached for those arguments.
MISSING = object()
F = TypeVar("F", bound=Callable[..., Any])


def freeze(value: Any) -> Any:
    """A hashable, structure-preserving form of ``value`` (lists -> tuples, dicts -> items)."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), freeze(v)) for k, v in value.items())))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(freeze(v)) for v in value)))
    hash(value)  # anything else must be hashable as it is (str, numbers, None, frozen specs)
    return (type(value).__name__, value)


def session_cache(max_entries: int = 8) -> Callable[[F], F]:
    """Decorator: memoise ``func`` per session, keyed by its arguments not starting with ``_``."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        slot = f"{STATE_PREFIX}{func.__module__}.{func.__qualname__}"

        def key_of(args: tuple, kwargs: dict) -> tuple:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return tuple((name, freeze(value)) for name, value in bound.arguments.items()
                         if not name.startswith("_"))

        def peek(*args: Any, **kwargs: Any) -> Any:
            """The cached value for these arguments, or :data:`MISSING` (nothing computed)."""
            store = st.session_state.get(slot)
            if not isinstance(store, OrderedDict):
                return MISSING
            return store.get(key_of(args, kwargs), MISSING)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = key_of(args, kwargs)
            store = st.session_state.get(slot)
            if not isinstance(store, OrderedDict):
                store = OrderedDict()
                st.session_state[slot] = store
            if key in store:
                store.move_to_end(key)
                return store[key]
            value = func(*args, **kwargs)
            store[key] = value
            while len(store) > max_entries:
                store.popitem(last=False)
            return value

        wrapper.clear = lambda: st.session_state.pop(slot, None)  # type: ignore[attr-defined]
        wrapper.peek = peek  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
