"""Wall-clock timing in rounds for the bench scripts (bench/run.sh,
bench/netboot.sh): each round runs every command once, so that load from
elsewhere on the host (these are shared, noisy machines) hits all commands
alike."""
import statistics
import subprocess
import time


def rounds(runs, commands, warmup=0):
    """Wall times in ms, samples[i][r] for command i in round r; `warmup`
    rounds go first and are not kept."""
    samples = [[] for _ in commands]
    for r in range(warmup + runs):
        for i, argv in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            if r >= warmup:
                samples[i].append((time.perf_counter() - start) * 1000)
    return samples


def paired(a, b):
    """Median over rounds of a's time over b's: the machine's load changes over
    a benchmark, and a round's commands ran within a fraction of a second of
    each other, so a round's ratio cancels it."""
    return statistics.median(x / y for x, y in zip(a, b))
