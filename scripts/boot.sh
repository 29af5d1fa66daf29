#!/usr/bin/env bash
# Boots an app ELF the way the seed boots RustyHermit (build/hermit-loader as
# QEMU's kernel, APP as its initrd), through hermit-runtime: the QEMU command line
# (machine, accelerator and its KVM probe, exit-status devices) and the decoding of
# how the guest ended (docs/ABI.md) have one definition, the runtime's. The command
# is printed first.
# Exits with the app's exit code (the runtime's codes otherwise: 134 for a panic,
# 125 when QEMU fails).
#
# usage: [HERMIT_CPUS=N] [HERMIT_MEMORY=SIZE] scripts/boot.sh APP [quiet] [env=K=V]... [-- ARGS...]
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runtime="${HERMIT_BIN:-$here/.build/release}/hermit-runtime"
loader="$here/build/hermit-loader"
app=${1:?usage: boot.sh APP [quiet] [env=K=V]... [-- ARGS...]}
shift
for file in "$runtime" "$loader" "$app"; do
  [ -e "$file" ] || { echo "boot.sh: $file is missing (run make)" >&2; exit 125; }
done

# The kernel options, as the runtime's flags.
flags=(--cpus "${HERMIT_CPUS:-1}" --memory "${HERMIT_MEMORY:-64M}")
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    quiet) flags+=(--quiet) ;;
    env=*) flags+=(--env "${1#env=}") ;;
    *) echo "boot.sh: unknown option '$1' (quiet, env=K=V)" >&2; exit 125 ;;
  esac
  shift
done
[ $# -gt 0 ] && shift  # the --

# A rootfs directory is an image the runtime runs as it is: hermit/loader, hermit/app.
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir "$rootfs/hermit"
cp "$loader" "$rootfs/hermit/loader"
cp "$app" "$rootfs/hermit/app"
HERMIT_DEBUG_QEMU=1 "$runtime" run --rm --net none "${flags[@]}" "$rootfs" -- "$@"
