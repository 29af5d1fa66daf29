#!/usr/bin/env bash
# Benchmarks of hermit-image (issue 4). Not a test: prints figures.
#
#   bench/image.sh            uses $HERMIT_BIN/hermit-image, else .build/release,
#                             else builds it with `swift build -c release`
#
# Prints: the hello image tarball size (target <= 64 KiB), the warm `build` time of
# examples/hello, and `load`/`save` of an image with a 50 MB app next to
# `skopeo copy oci-archive:X oci:Y` (and back) of the same tarball, as ratios
# (below 1.0 means hermit-image is faster; target <= 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ -n "${HERMIT_BIN:-}" ]]; then
  BIN=$HERMIT_BIN/hermit-image
elif [[ -x .build/release/hermit-image ]]; then
  BIN=.build/release/hermit-image
else
  swift build -c release --product hermit-image >&2
  BIN=.build/release/hermit-image
fi
BIN=$(realpath "$BIN")
RUNS=${RUNS:-5}

WORK=$(mktemp -d /tmp/hermit-image-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export HERMIT_HOME=$WORK/store TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

# Median wall time in seconds of running "$@" RUNS times; SETUP (if set) runs before each.
median() {
  local times=()
  for _ in $(seq "$RUNS"); do
    [[ -n "${SETUP:-}" ]] && eval "$SETUP"
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

echo "hermit-image bench ($BIN, $RUNS runs, median)"

if [[ -f build/hermit-loader && -f build/kernel/libhermit.a ]]; then
  export HERMIT_TOOLCHAIN=$ROOT/build
  "$BIN" build -o "$WORK/hello.tar" examples/hello >/dev/null 2>&1
  size=$(stat -c %s "$WORK/hello.tar")
  echo "hello tarball: $size bytes ($(echo "scale=1; $size/1024" | bc) KiB; target <= 64 KiB)"
  t=$(median "$BIN" build -o "$WORK/hello.tar" examples/hello)
  echo "warm build of examples/hello (compile + link + pack): ${t}s"
else
  echo "hello: skipped (no guest toolchain in build/; run make)"
  mkdir -p "$WORK/toolchain"
  head -c 8192 /dev/urandom >"$WORK/toolchain/hermit-loader"
  export HERMIT_TOOLCHAIN=$WORK/toolchain
fi

# An image whose app is 50 MB: hello followed by incompressible bytes (build
# refuses what the loader could not boot, such as a dynamically linked program).
if [[ ! -f build/examples/hello ]]; then
  echo "50 MB image: skipped (no build/examples/hello; run make)"
  exit 0
fi
cp build/examples/hello "$WORK/big-app"
head -c 50000000 /dev/urandom >>"$WORK/big-app"
"$BIN" build -o "$WORK/big.tar" -t big:1 "$WORK/big-app" >/dev/null 2>&1 ||
  { echo "bench/image.sh: hermit-image build of the 50 MB app failed" >&2; exit 1; }
t=$(median "$BIN" build -o "$WORK/big.tar" -t big:1 "$WORK/big-app")
echo "build of a 50 MB app (pack only): ${t}s; tarball $(stat -c %s "$WORK/big.tar") bytes"

SETUP='rm -rf "$HERMIT_HOME"'
load=$(median "$BIN" load -i "$WORK/big.tar")
SETUP='rm -rf "$WORK/oci"'
skopeo_in=$(median skopeo copy -q "oci-archive:$WORK/big.tar" "oci:$WORK/oci:big:1")
SETUP='rm -f "$WORK/saved.tar"'
save=$(median "$BIN" save -o "$WORK/saved.tar" big:1)
SETUP='rm -f "$WORK/skopeo.tar"'
skopeo_out=$(median skopeo copy -q "oci:$WORK/oci:big:1" "oci-archive:$WORK/skopeo.tar:big:1")
unset SETUP

ratio() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }
echo "load 50 MB image: ${load}s; skopeo copy oci-archive: -> oci: ${skopeo_in}s; ratio $(ratio "$load" "$skopeo_in")"
echo "save 50 MB image: ${save}s; skopeo copy oci: -> oci-archive: ${skopeo_out}s; ratio $(ratio "$save" "$skopeo_out")"
echo "(load verifies every digest and size, decompresses and walks every layer for diff_id and path safety, fsyncs)"
