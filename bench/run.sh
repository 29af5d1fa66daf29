#!/usr/bin/env bash
# Runtime benchmark (not a test): median wall time of `hermit-runtime run
# hello.tar` (warm unpack cache) next to bare QEMU with the very same command
# line booting the same loader and app, and next to the QEMU floor (a Multiboot
# kernel that exits at once, bench/floor/floor.asm) with the same flags; as
# ratios; plus the time to the app's first output line, and the cost of QEMU's
# confinement (issue 13: `run` against `run --privileged`, target < 3%) and the
# share of it that is QEMU's own seccomp sandbox (bare QEMU without -sandbox). Under
# TCG (KVM cannot run our guests on these hosts). Target: run <= 1.15x bare QEMU.
#
# usage: bench/run.sh [RUNS]   (after `make` and `swift build`)
#   HERMIT_BIN=DIR picks the hermit-runtime/hermit-image binaries (default:
#   .build/release, else .build/debug, else .build-runtime/{release,debug}).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
bin=${HERMIT_BIN:-}
if [ -z "$bin" ]; then
  for candidate in .build/release .build/debug .build-runtime/release .build-runtime/debug; do
    if [ -x "$candidate/hermit-runtime" ] && [ -x "$candidate/hermit-image" ]; then bin=$candidate; break; fi
  done
fi
[ -n "$bin" ] || { echo "bench/run.sh: build hermit-runtime and hermit-image first" >&2; exit 1; }
[ -f build/examples/hello ] || { echo "bench/run.sh: run make first (build/examples/hello)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HERMIT_HOME=$work/home
"$bin/hermit-image" build -o "$work/hello.tar" build/examples/hello >/dev/null 2>&1
nasm -f bin -o "$work/floor" bench/floor/floor.asm

# Warm the unpack cache and the accelerator probe cache, then take QEMU's exact
# command line from `inspect` of a detached twin.
"$bin/hermit-runtime" run --rm --accel tcg "$work/hello.tar" >/dev/null 2>&1
"$bin/hermit-runtime" run -d --name benchref --accel tcg "$work/hello.tar" >/dev/null
sleep 0.5
"$bin/hermit-runtime" inspect benchref >"$work/inspect.json"
"$bin/hermit-runtime" rm -f benchref >/dev/null

python3 - "$runs" "$bin/hermit-runtime" "$work" <<'PY'
import json, os, statistics, subprocess, sys, time
sys.path.insert(0, "bench")
import roundrobin
runs, runtime, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
qemu = json.load(open(os.path.join(work, "inspect.json")))[0]["qemu"]
def with_value(argv, flag, value):
    argv = list(argv); argv[argv.index(flag) + 1] = value; return argv
record = json.load(open(os.path.join(work, "inspect.json")))[0]["record"]["vm"]
# Same flags; the status file moves out of the (removed) container directory, and
# the loader and app are named by their host paths, not as confined QEMU sees them.
status = os.path.join(work, "status")
host = {"/hermit/loader": record["loader"], "/hermit/app": record["app"]}
bare = [a.replace(a[a.index("path=") + 5:], status) if a.startswith("file,id=hstatus") else host.get(a, a) for a in qemu]
floor = with_value(with_value(bare, "-kernel", os.path.join(work, "floor")), "-initrd", os.path.join(work, "floor"))
run = [runtime, "run", "--rm", "--accel", "tcg", os.path.join(work, "hello.tar")]
unconfined = run[:2] + ["--privileged"] + run[2:]
# QEMU's own share of confinement: its seccomp sandbox (issue 13, item 1).
sandbox = bare.index("-sandbox")
unsandboxed = bare[:sandbox] + bare[sandbox + 2:]

def wall(*commands):
    global minima, rounds
    rounds = roundrobin.rounds(runs, commands)
    minima = [min(s) for s in rounds]
    return [statistics.median(s) for s in rounds]

def paired(a, b):
    return roundrobin.paired(rounds[a], rounds[b])

def first_line(argv, marker=b"Hello World!"):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        for line in p.stdout:
            if marker in line:
                samples.append(time.perf_counter() - start); break
        p.stdout.read(); p.wait()
    return statistics.median(samples) * 1000 if samples else float("nan")

for _ in range(3):  # warm page cache
    subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t_run, t_bare, t_floor, t_open, t_unsandboxed = wall(run, bare, floor, unconfined, unsandboxed)
f_run, f_bare = first_line(run), first_line(bare)
print(f"runs per figure: {runs} (median wall time, TCG, {bare[bare.index('-M') + 1]})")
print(f"QEMU floor (exit at once):          {t_floor:8.1f} ms")
print(f"bare QEMU, hello, same flags:       {t_bare:8.1f} ms   {t_bare / t_floor:5.2f}x floor")
print(f"hermit-runtime run hello.tar:       {t_run:8.1f} ms   {t_run / t_floor:5.2f}x floor   {t_run / t_bare:5.3f}x bare QEMU (target <= 1.15)")
print(f"fastest of {runs}: floor {minima[2]:.1f} ms, bare {minima[1]:.1f} ms, run {minima[0]:.1f} ms ({minima[0] / minima[1]:.3f}x bare)")
print(f"median of per-round ratios: run {paired(0, 1):.3f}x bare QEMU, confinement {(paired(0, 3) - 1) * 100:+.1f}% of a run")
print(f"run --privileged (no confinement): {t_open:8.1f} ms   confinement costs {t_run / t_open * 100 - 100:+5.1f}% of a run (target < 3%)")
print(f"bare QEMU without -sandbox:         {t_unsandboxed:8.1f} ms   QEMU's seccomp sandbox costs {(paired(1, 4) - 1) * 100:+.1f}% of bare QEMU (per-round median)")
print(f"first line 'Hello World!', bare:    {f_bare:8.1f} ms")
print(f"first line 'Hello World!', run:     {f_run:8.1f} ms   {f_run / f_bare:5.3f}x bare QEMU")
PY
