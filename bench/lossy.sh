#!/usr/bin/env bash
# Lossy-link benchmark (not a test, issue 20): SIZE bytes (10 MiB) downloaded with
# curl from examples/httpd (GET /bytes/N) and from the Linux guest of
# bench/httpd.sh (busybox httpd serving the same bytes; bench/guests.sh), under
# the same QEMU machine, device (TRANSPORT) and accelerator (ACCEL), over
# scripts/lossy-link.sh's namespaces with scripts/lossy-forward.py dropping
# LOSSES percent of IPv4 frames in each direction, each with REORDER percent
# reordered and DUPLICATE percent duplicated. Nothing leaves the machine.
#
# For each direction, loss rate and guest: the median (and range) of RUNS
# transfers, each checked byte-exact by SHA-256 (run r uses forwarder seed
# SEED+r, the same for both guests), then ours/Linux. Down is GET /bytes/N; up
# is a POST of the same bytes, to our /upload (which answers the count and
# SHA-256) and to the Linux guest's /cgi-bin/upload (busybox httpd's CGI piping
# the body to `sha256sum`, bench/guests.sh). For our guest also what its TCP
# counters (GET /stats) moved by over the RUNS transfers.
#
# Targets (issue 20): 5% loss <= 5 s and >= 2x faster than Linux; 1% <= 2 s;
# 0% within 1.5x of Linux.
#
# usage: bench/lossy.sh            (as root, after `make`)
#   LOSSES="0 1 5 10"  loss rates in percent; REORDER=5, DUPLICATE=2 (percent)
#   DIRECTIONS="down up"
#   RUNS=3  SEED=1  SIZE=10485760  ONLY=ours|linux
#   TRANSPORT=mmio|pci  ACCEL=tcg|kvm (default tcg: KVM does not run either
#               guest on these machines, PLATFORM.md)
#
# The device is the runtime's virtio-net with host TSO off (NIC_OPTIONS) for
# both guests: Linux would otherwise hand QEMU 64 KB TSO frames that cross the
# forwarder, and are dropped, as one frame; ours does not negotiate TSO. A wire
# drops segments, not TSO bursts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOSSES=${LOSSES:-0 1 5 10}
DIRECTIONS=${DIRECTIONS:-down up}
REORDER=${REORDER:-5}
DUPLICATE=${DUPLICATE:-2}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
SIZE=${SIZE:-10485760}
ONLY=${ONLY:-}
TRANSPORT=${TRANSPORT:-mmio}
ACCEL=${ACCEL:-tcg}
NIC_OPTIONS=",host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off"
case $TRANSPORT in
  mmio | pci) ;;
  *) echo "bench/lossy.sh: TRANSPORT is mmio or pci, not $TRANSPORT" >&2; exit 1 ;;
esac
[ "$(id -u)" = 0 ] || { echo "bench/lossy.sh: needs root (network namespaces)" >&2; exit 1; }
[ -f build/hermit-loader ] && [ -f build/examples/httpd ] ||
  { echo "bench/lossy.sh: run make first (build/hermit-loader, build/examples/httpd)" >&2; exit 1; }

need=()
command -v curl >/dev/null || need+=(curl)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

WORK=$(mktemp -d /tmp/hermit-lossy-bench.XXXXXX)
LINK=hermit-lossy-bench-$$
SUBNET=192.168.93
GUEST=$SUBNET.2
QPID= FPID=
cleanup() {
  stop_forwarder
  [ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null || true
  scripts/lossy-link.sh down "$LINK"
  rm -rf "$WORK"
}
trap cleanup EXIT
source bench/guests.sh

scripts/lossy-link.sh up "$LINK" "$SUBNET"
in_client() { ip netns exec "$LINK-cli" "$@"; }

# start_forwarder LOSS SEED: the forwarder at LOSS percent (REORDER, DUPLICATE),
# once it says it is ready.
start_forwarder() {
  local p=(--loss "$(echo "$1 / 100" | bc -l)" --reorder "$(echo "$REORDER / 100" | bc -l)"
    --duplicate "$(echo "$DUPLICATE / 100" | bc -l)" --seed "$2" --stats "$WORK/forwarder.stats")
  [ "$1" = 0 ] && [ "$REORDER" = 0 ] && [ "$DUPLICATE" = 0 ] && p=(--seed "$2")
  ip netns exec "$LINK-fwd" /usr/bin/python3 scripts/lossy-forward.py htap0 lfwd0 "${p[@]}" \
    >"$WORK/forwarder.out" 2>"$WORK/forwarder.err" &
  FPID=$!
  for _ in $(seq 100); do
    grep -q ready "$WORK/forwarder.out" 2>/dev/null && return
    sleep 0.05
  done
  echo "bench/lossy.sh: the forwarder did not start:" >&2
  cat "$WORK/forwarder.err" >&2
  exit 1
}

stop_forwarder() {
  [ -n "$FPID" ] || return 0
  kill "$FPID" 2>/dev/null || true
  wait "$FPID" 2>/dev/null || true
  FPID=
}

# boot NAME MEM KERNEL INITRD APPEND: QEMU in the forwarder's namespace on its
# tap, in the background (QPID, CONSOLE), until GET /hello answers over a clean link.
boot() {
  local name=$1 mem=$2 kernel=$3 initrd=$4 append=$5 start
  CONSOLE=$WORK/$name.console
  start_forwarder 0 0
  # shellcheck disable=SC2046
  ip netns exec "$LINK-fwd" qemu-system-x86_64 $(qemu_flags "$mem" "$CONSOLE" \
    "tap,id=net0,ifname=htap0,script=no,downscript=no,vhost=off") \
    -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null >"$WORK/$name.qemu.log" 2>&1 &
  QPID=$!
  start=$(date +%s.%N)
  for _ in $(seq 1200); do
    if in_client curl -sf -m 2 -o /dev/null "http://$GUEST:8000/hello"; then
      printf '%s: up after %.1f s\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc -l)" >&2
      stop_forwarder
      return
    fi
    kill -0 "$QPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench/lossy.sh: $name never answered GET /hello; console:" >&2
  tail -20 "$CONSOLE" >&2
  cat "$WORK/$name.qemu.log" >&2
  exit 1
}

stop_guest() {
  kill "$QPID" 2>/dev/null || true
  wait "$QPID" 2>/dev/null || true
  QPID=
}

bytes_pattern "$SIZE" >"$WORK/upload"
EXPECTED=$(sha256sum "$WORK/upload" | cut -d' ' -f1)
RESULTS=$WORK/results
: >"$RESULTS"

# counters: our guest's TCP counters as name=value ..., over a clean link.
counters() {
  start_forwarder 0 0
  in_client curl -s -m 30 "http://$GUEST:8000/stats" | awk '{printf "%s=%s ", $1, $2}'
  stop_forwarder
}

# transfer NAME DIRECTION: one download (down) or upload (up) of SIZE bytes,
# checked by SHA-256; prints "SECONDS" or "FAILED ...".
transfer() {
  local name=$1 direction=$2 out sum
  if [ "$direction" = down ]; then
    out=$(in_client curl -s -S -m 600 -o "$WORK/body" -w '%{http_code} %{time_total}' \
      "http://$GUEST:8000/bytes/$SIZE" 2>&1) || out="curl-failed $out"
    sum=$(sha256sum "$WORK/body" | cut -d' ' -f1)
  else
    # Ours answers "COUNT SHA256"; the Linux guest's CGI "SHA256  -".
    out=$(in_client curl -s -S -m 600 -o "$WORK/body" -w '%{http_code} %{time_total}' -H 'Expect:' \
      -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/upload" \
      "http://$GUEST:8000$([ "$name" = ours ] && echo /upload || echo /cgi-bin/upload)" 2>&1) ||
      out="curl-failed $out"
    sum=$(grep -o '[0-9a-f]\{64\}' "$WORK/body" || true)
  fi
  if [ "${out%% *}" != 200 ] || [ "$sum" != "$EXPECTED" ]; then
    echo "FAILED ($out, sha256 $sum, expected $EXPECTED)"
  else
    echo "${out#* }"
  fi
}

# measure NAME: RUNS transfers each way at each loss rate; a line per direction
# and rate in RESULTS: NAME DIRECTION LOSS MEDIAN MIN MAX [counter deltas].
measure() {
  local name=$1 direction loss run seconds times before after line
  for direction in $DIRECTIONS; do
    for loss in $LOSSES; do
      times=()
      [ "$name" = ours ] && before=$(counters)
      for run in $(seq "$RUNS"); do
        start_forwarder "$loss" $((SEED + run))
        seconds=$(transfer "$name" "$direction")
        stop_forwarder
        printf '%-5s %-4s loss %2s%%  run %d: %s s   forwarder: %s\n' "$name" "$direction" "$loss" \
          "$run" "$seconds" "$(tr '\n' ' ' <"$WORK/forwarder.err" | sed 's/"direction": //g; s/"//g')" >&2
        [ "${seconds%% *}" = FAILED ] && seconds=FAILED
        times+=("$seconds")
      done
      line=$(printf '%s\n' "${times[@]}" | sort -g | awk -v n="$name $direction" -v l="$loss" '
        { t[NR] = ($1 == "FAILED" ? $1 : sprintf("%.2f", $1)) }
        END { printf "%s %s %s %s %s", n, l, t[int((NR + 1) / 2)], t[1], t[NR] }')
      if [ "$name" = ours ]; then
        after=$(counters)
        line+=" $(awk -v b="$before" -v a="$after" 'BEGIN {
          split(b, x, " "); split(a, y, " ")
          for (i in x) { split(x[i], p, "="); old[p[1]] = p[2] }
          for (i in y) { split(y[i], q, "="); if (q[1] != "connections") printf "%s=%d ", q[1], q[2] - old[q[1]] } }')"
      fi
      echo "$line" >>"$RESULTS"
    done
  done
}

echo "lossy bench: $SIZE bytes ($DIRECTIONS), median of $RUNS, loss $LOSSES % each way with" \
  "$REORDER% reordering and $DUPLICATE% duplication; virtio-net on $TRANSPORT, $ACCEL, -smp 1"

if [ "$ONLY" != linux ]; then
  boot ours 64M build/hermit-loader build/examples/httpd "ip=$GUEST/24 gateway=$SUBNET.1"
  measure ours
  stop_guest
fi
if [ "$ONLY" != ours ]; then
  linux_kernel
  linux_initramfs "$GUEST/24" "$SUBNET.1" "$SIZE"
  boot linux 128M "$KERNEL" "$WORK/initramfs.gz" "$LINUX_APPEND"
  measure linux
  stop_guest
fi

awk '
  function target(d, l) {
    if (d != "down") return ""
    if (l == 0) return "within 1.5x of Linux"
    if (l == 1) return "<= 2 s"
    if (l == 5) return "<= 5 s, >= 2x faster than Linux"
    return ""
  }
  {
    k = $2 " " $3
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    if ($1 == "ours") {
      o[k] = $4; orange[k] = $5 "-" $6; c[k] = ""
      for (i = 7; i <= NF; i++) c[k] = c[k] " " $i
    } else { x[k] = $4; xrange[k] = $5 "-" $6 }
  }
  END {
    printf "\n%-5s %-6s %-19s %-19s %-11s %s\n", "way", "loss", "ours s (range)", "linux s (range)", "ours/linux", "target"
    for (i = 1; i <= n; i++) {
      k = order[i]; split(k, p, " ")
      ratio = (k in o && k in x && o[k] != "FAILED" && x[k] != "FAILED" && x[k] + 0 > 0) ? sprintf("%.2f", o[k] / x[k]) : "-"
      printf "%-5s %-6s %-19s %-19s %-11s %s\n", p[1], p[2] "%", (k in o ? o[k] " (" orange[k] ")" : "-"),
        (k in x ? x[k] " (" xrange[k] ")" : "-"), ratio, target(p[1], p[2])
    }
    printf "\nour TCP counters, summed over the runs of each row:\n"
    for (i = 1; i <= n; i++) if (order[i] in o) printf "  %-9s%s\n", order[i] "%:", c[order[i]]
  }' "$RESULTS"
