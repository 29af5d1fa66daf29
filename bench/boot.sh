#!/usr/bin/env bash
# Boot benchmark (not a test): sizes of loader and hello, and the median wall
# time of booting hello next to the QEMU floor (bench/floor/floor.asm, a
# Multiboot kernel that exits at once) with the same QEMU flags, as a ratio.
# Under TCG always; under KVM too when it can run our guests.
#
# usage: bench/boot.sh [RUNS]   (after `make`)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
build=build
nasm -f bin -o "$build/floor" bench/floor/floor.asm 2>/dev/null ||
  { printf 'org 0x100000\n' | cat - bench/floor/floor.asm >"$build/floor.asm" && nasm -f bin -o "$build/floor" "$build/floor.asm"; }

size() { stat -c %s "$1"; }
echo "loader:      $(size $build/hermit-loader) bytes  (seed rusty-loader: 87368)"
echo "hello app:   $(size $build/examples/hello) bytes  (seed hello_world: 4747296)"

# Median wall times (ms) of the floor and of hello, with hyperfine (warm-up runs,
# interleaved repetitions) exported as JSON.
medians() {
  local json
  json=$(mktemp)
  hyperfine -N -i -w 3 -r "$runs" --export-json "$json" "$@" >/dev/null 2>&1
  python3 -c 'import json,sys; print(" ".join("%.2f" % (r["median"]*1000) for r in json.load(open(sys.argv[1]))["results"]))' "$json"
  rm -f "$json"
}

bench() {
  local accel=$1
  shift
  local qemu="qemu-system-x86_64 -M microvm $* -m 64M -smp 1 -nodefaults -no-user-config
    -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
  qemu=$(echo $qemu)
  read -r floor hello < <(medians "$qemu -kernel $build/floor" \
    "$qemu -kernel $build/hermit-loader -initrd $build/examples/hello -append quiet")
  local main
  main=$($qemu -kernel "$build/hermit-loader" -initrd "$build/examples/hello" |
    sed -n 's/.*boot to main: \([0-9.]*\) us.*/\1/p' || true)
  printf '%-4s floor %7.2f ms   hello %7.2f ms   ratio %.2fx   boot-to-main %s us   (medians of %d)\n' \
    "$accel" "$floor" "$hello" "$(echo "$hello / $floor" | bc -l)" "$main" "$runs"
}

bench tcg -accel tcg -cpu max

# Bringing up 4 cores (the guest times its own first Thread.coreCount, which
# starts the APs one by one): the median of 9 boots under TCG.
smp=()
for _ in 1 2 3 4 5 6 7 8 9; do
  smp+=("$(qemu-system-x86_64 -M microvm -accel tcg,thread=multi -cpu max -m 64M -smp 4 -nodefaults \
    -no-user-config -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$build/hermit-loader" -initrd "$build/guests/smpstart" -append quiet |
    sed -n 's/^4 cores online after \([0-9]*\) us$/\1/p' || true)")
done
printf 'tcg  4 cores online after %s us (median of 9 boots, -smp 4)\n' \
  "$(printf '%s\n' "${smp[@]}" | sort -n | sed -n 5p)"
if [ -w /dev/kvm ] && timeout 3 qemu-system-x86_64 -M microvm -accel kvm -cpu host,-arch-capabilities \
  -m 16M -nodefaults -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -kernel "$build/hermit-loader" -initrd "$build/examples/hello" -append quiet 2>/dev/null | grep -q Hello; then
  bench kvm -accel kvm -cpu host,-arch-capabilities
else
  echo "kvm  skipped: KVM cannot run the guest on this host (probe timed out or failed; see PLATFORM.md)"
fi
