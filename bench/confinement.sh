#!/usr/bin/env bash
# Confinement benchmark (not a test, issue 13): the peak memory of a confined QEMU's
# cgroup (memory.max_usage_in_bytes, v1; memory.peak, v2) for guests that touch
# little of their RAM and for one that touches all of it, next to the limit `run`
# sets (guest RAM + QEMU's overhead allowance), so the allowance is a measured one.
# Confinement's time cost is in bench/run.sh (run against run --privileged).
#
# usage: bench/confinement.sh   (as root, after `make` and `swift build -c release`)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HERMIT_BIN:-.build/release}
[ -x "$bin/hermit-runtime" ] || { echo "bench/confinement.sh: build hermit-runtime first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench/confinement.sh: run as root (cgroups)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HERMIT_HOME=$work/home
for app in examples/hello examples/pi examples/httpd build/guests/spin build/guests/heapstress; do
  "$bin/hermit-image" build -t "bench-$(basename "$app")" "$app" >/dev/null 2>&1
done

# peak NAME IMAGE [--attached | run flags]: runs the guest detached (or takes the
# running one) to its end (at most 20 s, then stop);
# the runtime notes the cgroup's peak in the stopped container's record.
peak() {
  local name=$1 image=$2; shift 2
  if [ "${1:-}" = --attached ]; then shift; else
    "$bin/hermit-runtime" run -d --name "$name" "$@" "$image" >/dev/null
  fi
  for _ in $(seq 1 200); do
    [ "$("$bin/hermit-runtime" inspect "$name" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["status"])')" = stopped ] && break
    sleep 0.1
  done
  "$bin/hermit-runtime" stop "$name" >/dev/null 2>&1 || true
  "$bin/hermit-runtime" inspect "$name" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]; g = d["confinement"]["cgroup"]
ram = d["record"]["vm"]["memoryMiB"]
peak, limit = g.get("peakMemory", 0) / 2**20, g["memoryLimit"] / 2**20
print(f"{sys.argv[1]:<28} guest RAM {ram:4d} MiB   peak {peak:6.1f} MiB   limit {limit:6.1f} MiB")' "$name $*"
  "$bin/hermit-runtime" rm -f "$name" >/dev/null 2>&1 || true
}
echo "confined QEMU, TCG: peak memory of its cgroup against the limit run sets"
peak hello bench-hello
peak pi-2cpus bench-pi --cpus 2
peak heapstress bench-heapstress
# httpd under 300 concurrent curls, then stopped.
"$bin/hermit-runtime" run -d --name httpd -p 18080:8000 bench-httpd >/dev/null
for _ in $(seq 1 100); do curl -s -m 1 http://127.0.0.1:18080/hello >/dev/null && break; sleep 0.1; done
for _ in $(seq 1 300); do curl -s -m 5 http://127.0.0.1:18080/hello >/dev/null & done; wait
peak httpd bench-httpd --attached
