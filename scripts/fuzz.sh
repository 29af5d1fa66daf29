#!/usr/bin/env bash
# Fuzzes what the loader and kernel parse from untrusted input: the boot
# formats (Sources/BootFormat: ELFFile.validate + load, KernelCommandLine), the
# network stack (Sources/NetStack: NetworkInterface.receive), and on the host the
# OCI layout and tar loader (Sources/HermitOCI: LayoutLoader + layer unpacking,
# what `hermit-image load` and `hermit-runtime run IMAGE.tar` run on a tarball).
# Not part of `make test`.
#
#   scripts/fuzz.sh [--smoke] [elf|cmdline|net|layout]...
#
# Builds each harness in fuzz/<Name>Fuzz/main.swift with the sources it tests
# (swiftc -sanitize=fuzzer,address) into build/fuzz/, then runs it for
# FUZZ_SECONDS (default 60) seconds per target on a working corpus in
# build/fuzz/corpus-<target>/, seeded from fuzz/corpus/<target>/. --smoke runs
# each target for 5 seconds (for CI). Exits non-zero if a target crashes, leaks,
# times out or runs out of memory; the reproducer is build/fuzz/<target>-crash-*
# (rerun: build/fuzz/fuzz-<target> FILE).
#
# Environment: FUZZ_SECONDS, FUZZ_JOBS (parallel processes per target, default 1),
# SWIFTC (default: swiftc on PATH, else /opt/swift/usr/bin/swiftc),
# HERMIT_FUZZ_HASOPTION=1 (cmdline: also check hasOption against parse).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
if [[ ${1:-} == --smoke ]]; then
  seconds=5
  shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(elf cmdline net layout)
swiftc=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
clang=$(dirname "$swiftc")/clang
jobs=${FUZZ_JOBS:-1}
out=build/fuzz
mkdir -p "$out"

harness() {
  case $1 in
    elf) echo fuzz/ELFFuzz ;;
    cmdline) echo fuzz/CommandLineFuzz ;;
    net) echo fuzz/NetFuzz ;;
    layout) echo fuzz/LayoutFuzz ;;
    *) echo "fuzz.sh: unknown target '$1' (elf, cmdline, net, layout)" >&2; exit 2 ;;
  esac
}

# The source directory a harness is compiled with.
sources() {
  case $1 in
    net) echo Sources/NetStack ;;
    layout) echo Sources/HermitOCI Sources/HermitSystem Sources/CArchive Sources/CCrypto Sources/CHermitSys ;;
    *) echo Sources/BootFormat ;;
  esac
}

# The layout harness links HermitOCI with its dependencies as SwiftPM would:
# HermitSystem as a module of its own (HermitOCI imports it), CHermitSys's C with
# a module map made here, CArchive and CCrypto (lazy-linked) by their module maps.
build_layout() {
  local binary=$1 modules=$out/layout-modules
  local sanitize=(-sanitize=fuzzer,address -parse-as-library -O -g)
  mkdir -p "$modules"
  printf 'module CHermitSys {\n  header "%s"\n  export *\n}\n' \
    "$root/Sources/CHermitSys/include/hermit_sys.h" >"$modules/module.modulemap"
  "$clang" -fsanitize=address -O1 -g -c -I Sources/CHermitSys/include \
    Sources/CHermitSys/hermit_sys.c -o "$modules/hermit_sys.o"
  # shellcheck disable=SC2046 # one word per source path
  "$swiftc" "${sanitize[@]}" -wmo -module-name HermitSystem -I "$modules" -c \
    -emit-module -emit-module-path "$modules/HermitSystem.swiftmodule" \
    $(find Sources/HermitSystem -name '*.swift' | sort) -o "$modules/HermitSystem.o"
  # shellcheck disable=SC2046
  "$swiftc" "${sanitize[@]}" -use-ld=lld -module-name HermitOCI \
    -I "$modules" -I Sources/CArchive -I Sources/CCrypto \
    $(find Sources/HermitOCI -name '*.swift' | sort) fuzz/LayoutFuzz/main.swift \
    "$modules/HermitSystem.o" "$modules/hermit_sys.o" -ldl -o "$binary"
}

build() {
  local target=$1 dir binary src
  dir=$(harness "$target")
  src=$(sources "$target")
  binary=$out/fuzz-$target
  # Rebuild only when a source is newer than the binary.
  # shellcheck disable=SC2086 # several source directories for layout
  if [[ -x $binary ]] && [[ -z $(find $src "$dir" -name '*.[chs]*' -newer "$binary") ]]; then
    return
  fi
  echo "fuzz.sh: building $binary"
  if [[ $target == layout ]]; then
    build_layout "$binary"
    return
  fi
  # shellcheck disable=SC2046 # one word per source path
  local module=BootFormatFuzz
  [[ $target == net ]] && module=NetStackFuzz
  "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -module-name "$module" \
    $(find "$src" -name '*.swift' | sort) "$dir"/main.swift -o "$binary"
}

# libFuzzer prints the stack of a trap; Swift's own backtracer would hang under ASan.
export SWIFT_BACKTRACE=enable=no
status=0
for target in "${targets[@]}"; do
  build "$target"
  work=$out/corpus-$target
  mkdir -p "$work"
  dict=()
  [[ -f fuzz/$target.dict ]] && dict=(-dict="fuzz/$target.dict")
  parallel=()
  [[ $jobs -gt 1 ]] && parallel=(-jobs="$jobs" -workers="$jobs")
  log=$out/$target.log
  echo "fuzz.sh: fuzzing $target for ${seconds}s (log: $log)"
  set +e
  "$out/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${parallel[@]}" \
    -artifact_prefix="$out/$target-" "${dict[@]}" "$work" "fuzz/corpus/$target" >"$log" 2>&1
  rc=$?
  set -e
  if [[ $jobs -gt 1 ]]; then cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log; fi
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  echo "fuzz.sh: $target: exit $rc, $runs executions in ${seconds}s, corpus $(ls "$work" | wc -l) files"
  if [[ $rc -ne 0 ]]; then
    grep -E 'ERROR|Fatal error|panic|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    status=1
  fi
done
exit $status
