"""The bounded caches of key state: never more than their limit, oldest entry out first."""

from strongroom.service.caches import BoundedCache


def test_holds_at_most_its_limit_and_evicts_the_oldest():
    cache: BoundedCache[int, str] = BoundedCache(3)
    for n in range(5):
        cache.put(n, str(n))
    assert list(cache) == [2, 3, 4]


def test_replacing_an_entry_evicts_nothing():
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    assert cache == {"a": 3, "b": 2}
