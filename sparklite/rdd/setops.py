"""Set operations and pairings of RDDs (mixin of RDD).

``intersection``, ``subtract`` and ``subtractByKey`` shuffle both sides by key
into one CoGroupedRDD (partitions default as for ``cogroup``: both sides'
partitions together) and run a per-partition kernel from ``join.py``.
``cartesian`` and ``zip`` are narrow (``narrow.py``). ``zipWithIndex`` runs one
counting job, then numbers each partition from its offset, so a partition
recomputed after a failure gets the same indices again.
"""
from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


def _as_key(x: Any) -> tuple[Any, bool]:
    return x, True


class SetOpsMixin:
    def intersection(self: RDD, other: RDD) -> RDD:
        """Return the intersection of this RDD and another one.

        The output will not contain any duplicate elements, even if the input RDDs did.

        Parameters
        ----------
        other : :class:`RDD`
            another :class:`RDD`

        Returns
        -------
        :class:`RDD`
            the intersection of this :class:`RDD` and another one

        Notes
        -----
        This method performs a shuffle internally.

        Examples
        --------
        >>> rdd1 = sc.parallelize([1, 10, 2, 3, 4, 5])
        >>> rdd2 = sc.parallelize([1, 6, 2, 3, 7, 8])
        >>> sorted(rdd1.intersection(rdd2).collect())
        [1, 2, 3]
        """
        left, right = self.map(_as_key), other.map(_as_key)
        return left._cogrouped([right], None, "intersect").keys()

    def subtract(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """Return each value in ``self`` that is not contained in ``other``.

        Parameters
        ----------
        other : :class:`RDD`
            another :class:`RDD`
        numPartitions : int, optional
            the number of partitions in new :class:`RDD`

        Returns
        -------
        :class:`RDD`
            a :class:`RDD` with the elements from this that are not in ``other``
            (duplicates in this RDD are kept)

        Examples
        --------
        >>> x = sc.parallelize([("a", 1), ("b", 4), ("b", 5), ("a", 3)])
        >>> y = sc.parallelize([("a", 3), ("c", None)])
        >>> sorted(x.subtract(y).collect())
        [('a', 1), ('b', 4), ('b', 5)]
        """
        return self.map(_as_key).subtractByKey(other.map(_as_key), numPartitions).keys()

    def subtractByKey(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """Return each (key, value) pair in ``self`` that has no pair with matching key in ``other``.

        Parameters
        ----------
        other : :class:`RDD`
            another :class:`RDD`
        numPartitions : int, optional
            the number of partitions in new :class:`RDD`

        Returns
        -------
        :class:`RDD`
            a :class:`RDD` with the pairs from this whose keys are not in ``other``

        Examples
        --------
        >>> x = sc.parallelize([("a", 1), ("b", 4), ("b", 5), ("a", 2)])
        >>> y = sc.parallelize([("a", 3), ("c", None)])
        >>> sorted(x.subtractByKey(y).collect())
        [('b', 4), ('b', 5)]
        """
        return self._cogrouped([other], numPartitions, "subtract")

    def cartesian(self: RDD, other: RDD) -> RDD:
        """Return the Cartesian product of this RDD and another one.

        That is, the RDD of all pairs of elements ``(a, b)`` where ``a`` is in ``self``
        and ``b`` is in ``other``. It has ``self.getNumPartitions() * other.getNumPartitions()``
        partitions.

        Parameters
        ----------
        other : :class:`RDD`
            another :class:`RDD`

        Returns
        -------
        :class:`RDD`
            the Cartesian product of this :class:`RDD` and another one

        Examples
        --------
        >>> rdd = sc.parallelize([1, 2])
        >>> sorted(rdd.cartesian(rdd).collect())
        [(1, 1), (1, 2), (2, 1), (2, 2)]
        """
        from sparklite.rdd.narrow import CartesianRDD

        return CartesianRDD(self, other)

    def zip(self: RDD, other: RDD) -> RDD:
        """Zips this RDD with another one, returning key-value pairs with the first element in
        each RDD, second element in each RDD, etc.

        Assumes that the two RDDs have the same number of partitions and the same
        number of elements in each partition (e.g. one was made through
        a map on the other).

        Parameters
        ----------
        other : :class:`RDD`
            another :class:`RDD`

        Returns
        -------
        :class:`RDD`
            a :class:`RDD` containing the zipped key-value pairs

        Examples
        --------
        >>> rdd1 = sc.parallelize(range(0,5))
        >>> rdd2 = sc.parallelize(range(1000, 1005))
        >>> rdd1.zip(rdd2).collect()
        [(0, 1000), (1, 1001), (2, 1002), (3, 1003), (4, 1004)]
        """
        from sparklite.rdd.narrow import ZippedRDD

        return ZippedRDD(self, other)

    def zipWithIndex(self: RDD) -> RDD:
        """Zips this RDD with its element indices.

        The ordering is first based on the partition index and then the
        ordering of items within each partition. So the first item in
        the first partition gets index 0, and the last item in the last
        partition receives the largest index.

        This method needs to trigger a Spark job when this RDD contains
        more than one partition.

        Returns
        -------
        :class:`RDD`
            a :class:`RDD` containing the zipped key-index pairs

        Examples
        --------
        >>> sc.parallelize(["a", "b", "c", "d"], 3).zipWithIndex().collect()
        [('a', 0), ('b', 1), ('c', 2), ('d', 3)]
        """
        starts = [0]
        if self.getNumPartitions() > 1:
            sizes = self.mapPartitions(lambda it: [sum(1 for _ in it)]).collect()
            for size in sizes[:-1]:
                starts.append(starts[-1] + size)

        def number(index: int, iterator: Iterator[Any]) -> Iterator[tuple[Any, int]]:
            return zip(iterator, count(starts[index]))

        return self.mapPartitionsWithIndex(number)

    def zipWithUniqueId(self: RDD) -> RDD:
        """Zips this RDD with generated unique Long ids.

        Items in the kth partition will get ids k, n+k, 2*n+k, ..., where
        n is the number of partitions. So there may exist gaps, but this
        method won't trigger a Spark job, which is different from
        :meth:`zipWithIndex`.

        Returns
        -------
        :class:`RDD`
            a :class:`RDD` containing the zipped key-UniqueId pairs

        Examples
        --------
        >>> sc.parallelize(["a", "b", "c", "d", "e"], 3).zipWithUniqueId().collect()
        [('a', 0), ('b', 1), ('c', 4), ('d', 2), ('e', 5)]
        """
        n = self.getNumPartitions()

        def number(index: int, iterator: Iterator[Any]) -> Iterator[tuple[Any, int]]:
            return zip(iterator, count(index, n))

        return self.mapPartitionsWithIndex(number)
