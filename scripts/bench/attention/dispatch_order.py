"""Finish time of one-block-per-SM launches under greedy dispatch, for the orders the sage8 kernels use.

A causal key block j (backward) or query block (forward) of nb blocks has a length in block steps (nb - j, or its
own index + 1); the hardware hands the next block of the launch order to the first free SM. This prints the
makespan, in block steps, of the launch order and of the remapped orders against the ideal (total / SMs), for the
bench's shapes (16K tokens x 16 heads: nb = N / 128 blocks, 16K * 16 / N heads). Usage: python3 dispatch_order.py
"""
import heapq

SMS = 132


def makespan(lengths):
    free = [0] * SMS
    for length in lengths:
        heapq.heappush(free, heapq.heappop(free) + length)
    return max(free)


def launch_order(nb, heads):  # grid (nb, heads), x fastest: every head's blocks from the longest
    return [nb - j for _ in range(heads) for j in range(nb)]


def grouped(nb, heads, group):  # groups of `group` heads, within a group block j of every head, longest first
    order = []
    for first in range(0, heads, group):
        members = range(first, min(first + group, heads))
        order += [nb - j for j in range(nb) for _ in members]
    return order


print(f"{'N':>6} {'nb':>4} {'heads':>5} {'ideal':>7} {'launch':>7} {'groups8':>8} {'groups16':>9} {'all heads':>9}")
for n in (1024, 4096, 16384):
    nb, heads = n // 128, 16 * 16384 // n
    lengths = launch_order(nb, heads)
    print(f"{n:>6} {nb:>4} {heads:>5} {sum(lengths) / SMS:>7.1f} {makespan(lengths):>7} "
          f"{makespan(grouped(nb, heads, 8)):>8} {makespan(grouped(nb, heads, 16)):>9} "
          f"{makespan(sorted(lengths, reverse=True)):>9}")
