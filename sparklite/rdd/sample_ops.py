"""Random sampling (mixin of RDD): sample, randomSplit, takeSample, sampleByKey.

All four are reproducible: the same seed gives the same sample, and each
partition's choices depend only on (seed, partition index), so a partition
recomputed after a failure is sampled exactly as before (see ``sampling.py``).
Without a seed, one is drawn on the driver when the transformation is made.
"""
from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING, Any, Sequence

from sparklite.rdd import sampling

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD

#: largest sample takeSample accepts (as PySpark: room for 10 standard deviations below maxsize)
_MAX_SAMPLE_SIZE = sys.maxsize - int(10.0 * sys.maxsize ** 0.5)


class SamplingMixin:
    def sample(self: RDD, withReplacement: bool, fraction: float, seed: int | None = None) -> RDD:
        """Return a sampled subset of this RDD.

        Parameters
        ----------
        withReplacement : bool
            can elements be sampled multiple times (replaced when sampled out)
        fraction : float
            expected size of the sample as a fraction of this RDD's size;
            without replacement: probability that each element is chosen, in [0, 1];
            with replacement: expected number of times each element is chosen, >= 0
        seed : int, optional
            seed for the random number generator

        Returns
        -------
        :class:`RDD`
            a new RDD containing a sampled subset of elements

        Notes
        -----
        This is not guaranteed to provide exactly the fraction specified of the total
        count of the given :class:`RDD`.

        Examples
        --------
        >>> rdd = sc.parallelize(range(100), 4)
        >>> 6 <= rdd.sample(False, 0.1, 81).count() <= 14
        True
        >>> rdd.sample(False, 0.5, 7).collect() == rdd.sample(False, 0.5, 7).collect()
        True
        """
        if not fraction >= 0.0:
            raise ValueError(f"Fraction must be nonnegative, got {fraction}")
        seed = sampling.new_seed() if seed is None else seed
        sampler = (sampling.PoissonSampler(fraction, seed) if withReplacement
                   else sampling.BernoulliSampler(fraction, seed))
        return self.mapPartitionsWithIndex(sampler, True)

    def randomSplit(self: RDD, weights: Sequence[float], seed: int | None = None) -> list[RDD]:
        """Randomly splits this RDD with the provided weights.

        Parameters
        ----------
        weights : list
            weights for splits, will be normalized if they don't sum to 1
        seed : int, optional
            random seed

        Returns
        -------
        list
            split :class:`RDD`\\s in a list; every element of this RDD is in exactly one

        Examples
        --------
        >>> rdd = sc.parallelize(range(500), 1)
        >>> rdd1, rdd2 = rdd.randomSplit([2, 3], 17)
        >>> len(rdd1.collect() + rdd2.collect())
        500
        >>> sorted(rdd1.collect() + rdd2.collect()) == list(range(500))
        True
        >>> 150 < rdd1.count() < 250
        True
        """
        weights = [float(w) for w in weights]
        if not all(w >= 0.0 for w in weights):
            raise ValueError(f"Weights must be nonnegative, got {weights}")
        total = sum(weights)
        if not total > 0.0:
            raise ValueError(f"Sum of weights must be positive, got {weights}")
        bounds = [0.0]
        for w in weights:
            bounds.append(bounds[-1] + w / total)
        bounds[-1] = 1.0  # rounding must not leave a sliver [0.9999999, 1) unassigned
        seed = sampling.new_seed() if seed is None else seed
        return [self.mapPartitionsWithIndex(sampling.RangeSampler(lo, hi, seed), True)
                for lo, hi in zip(bounds, bounds[1:])]

    def takeSample(self: RDD, withReplacement: bool, num: int, seed: int | None = None) -> list[Any]:
        """Return a fixed-size sampled subset of this RDD.

        Parameters
        ----------
        withReplacement : bool
            whether sampling is done with replacement
        num : int
            size of the returned sample
        seed : int, optional
            random seed

        Returns
        -------
        list
            a fixed-size sampled subset of this :class:`RDD` in an array

        Notes
        -----
        This method should only be used if the resulting array is expected
        to be small, as all the data is loaded into the driver's memory.

        Examples
        --------
        >>> rdd = sc.parallelize(range(0, 10))
        >>> len(rdd.takeSample(True, 20, 1))
        20
        >>> len(rdd.takeSample(False, 5, 2))
        5
        >>> len(rdd.takeSample(False, 15, 3))
        10
        >>> rdd.takeSample(False, 5, 2) == rdd.takeSample(False, 5, 2)
        True
        """
        if num < 0:
            raise ValueError("Sample size cannot be negative.")
        if num > _MAX_SAMPLE_SIZE:
            raise ValueError(f"Sample size cannot be greater than {_MAX_SAMPLE_SIZE}.")
        if num == 0 or self.getNumPartitions() == 0:
            return []
        total = self.count()
        if total == 0:
            return []
        rng = random.Random(seed)
        if not withReplacement and num >= total:
            everything = self.collect()
            rng.shuffle(everything)
            return everything
        fraction = sampling.fraction_for_sample_size(num, total, withReplacement)
        # the same seeds as PySpark in the same order: the first round uses the user's seed
        picked = self.sample(withReplacement, fraction, seed).collect()
        # the fraction makes a short sample very unlikely (about 1 in 10^4); draw again if it happens
        while len(picked) < num:
            picked = self.sample(withReplacement, fraction, rng.randint(0, sys.maxsize)).collect()
        rng.shuffle(picked)
        return picked[:num]

    def sampleByKey(self: RDD, withReplacement: bool, fractions: dict[Any, float],
                    seed: int | None = None) -> RDD:
        """Return a subset of this RDD sampled by key (via stratified sampling).

        Create a sample of this RDD using variable sampling rates for
        different keys as specified by fractions, a key to sampling rate map.

        Parameters
        ----------
        withReplacement : bool
            whether to sample with or without replacement
        fractions : dict
            map of specific keys to sampling rates; every key of the RDD must be present
        seed : int, optional
            seed for the random number generator

        Returns
        -------
        :class:`RDD`
            a :class:`RDD` containing the stratified sampling result

        Examples
        --------
        >>> fractions = {"a": 0.2, "b": 0.1}
        >>> rdd = sc.parallelize(fractions.keys()).cartesian(sc.parallelize(range(0, 1000)))
        >>> sample = dict(rdd.sampleByKey(False, fractions, 2).groupByKey().collect())
        >>> 100 < len(sample["a"]) < 300 and 50 < len(sample["b"]) < 150
        True
        >>> max(sample["a"]) <= 999 and min(sample["a"]) >= 0
        True
        """
        for key, fraction in fractions.items():
            if not fraction >= 0.0:
                raise ValueError(f"Negative fraction value: {fraction} (key {key!r})")
        seed = sampling.new_seed() if seed is None else seed
        return self.mapPartitionsWithIndex(
            sampling.StratifiedSampler(withReplacement, fractions, seed), True)
