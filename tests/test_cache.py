"""The bounded in-process cache behind the parsed course versions and the shared lesson HTML."""

from __future__ import annotations

from lms.cache import BoundedCache


def test_the_least_recently_used_entry_goes_first_when_full():
    cache: BoundedCache[str] = BoundedCache(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now "b" is the least recently used
    cache.put("c", "C")
    assert len(cache) == 2
    assert "b" not in cache
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("A", "C")


def test_putting_a_key_again_replaces_its_value_and_keeps_one_entry():
    cache: BoundedCache[str] = BoundedCache(size=2)
    cache.put("a", "old")
    cache.put("b", "B")
    cache.put("a", "new")
    cache.put("c", "C")
    assert cache.get("a") == "new"
    assert "b" not in cache
    cache.clear()
    assert len(cache) == 0
