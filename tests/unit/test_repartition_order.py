"""repartition sends each element by its value, never by its arrival order (issue #3, SPARK-23207):
the order it deals elements in must not change when the same partition is recomputed shuffled."""
from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sparklite.rdd.transformations import _order_by_content

ELEMENTS = st.one_of(st.integers(-5, 5), st.sampled_from([-1, -2, 2**61 - 2, -(2**61) + 1]),
                     st.floats(allow_nan=True), st.text(max_size=3), st.tuples(st.integers(-3, 3), st.text(max_size=2)),
                     st.lists(st.integers(0, 3), max_size=2))


def _canon(xs):
    return [("nan",) if isinstance(x, float) and math.isnan(x) else x for x in xs]


@given(st.lists(ELEMENTS, max_size=40), st.randoms())
def test_order_depends_only_on_the_elements(elements, rnd):
    shuffled = list(elements)
    rnd.shuffle(shuffled)
    assert _canon(_order_by_content(shuffled)) == _canon(_order_by_content(elements))
    assert sorted(map(repr, _order_by_content(elements))) == sorted(map(repr, elements))
