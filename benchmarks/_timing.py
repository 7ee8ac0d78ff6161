"""Shared timing helper for the benchmarks: median of repeated runs after a warm-up."""
import statistics
import time


def median_time(fn, repeat=31, number=None, warmup=3, target_s=0.02):
    """Median seconds per call of `fn` over `repeat` runs of `number` calls each (`number`
    chosen so one run takes about `target_s`)."""
    for _ in range(warmup):
        fn()
    if number is None:
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-7)
        number = max(1, int(target_s / one))
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t0) / number)
    return statistics.median(runs)


def fmt_us(seconds):
    return f"{seconds * 1e6:9.2f} us"
