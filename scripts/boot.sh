#!/usr/bin/env bash
# Boots an app the way the seed boots RustyHermit:
#   qemu-system-x86_64 ... -kernel build/hermit-loader -initrd APP
# on -M microvm, with KVM when a probe shows KVM can run our guests (on some
# hosts KVM fails on SSE and QEMU then hangs: PLATFORM.md), TCG otherwise.
# Exits with the app's exit code, decoded from the status record (docs/ABI.md).
#
# usage: [HERMIT_CPUS=N] [HERMIT_MEMORY=SIZE] scripts/boot.sh APP [KERNEL-OPTIONS] [-- ARGS...]
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
loader="$here/build/hermit-loader"
app=${1:?usage: boot.sh APP [OPTIONS] [-- ARGS]}
shift
append="$*"
memory=${HERMIT_MEMORY:-64M}
cpus=${HERMIT_CPUS:-1}

accel_flags() {
  local cache="$here/build/.kvm-probe-$(uname -r)-$(qemu-system-x86_64 --version | head -1 | tr -cd '0-9.')"
  if [ ! -e "$cache" ]; then
    local verdict=tcg
    if [ -w /dev/kvm ] && timeout 3 qemu-system-x86_64 -M microvm -accel kvm -cpu host,-arch-capabilities \
      -m 16M -nodefaults -no-user-config -display none -serial stdio -no-reboot \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$loader" \
      -initrd "$here/build/examples/hello" -append quiet 2>/dev/null | grep -q "Hello World!"; then
      verdict=kvm
    fi
    echo "$verdict" >"$cache"
  fi
  if [ "$(cat "$cache")" = kvm ]; then
    echo "-accel kvm -cpu host,-arch-capabilities"
  elif [ "$cpus" -gt 1 ]; then
    echo "-accel tcg,thread=multi -cpu max"  # one host thread per vCPU
  else
    echo "-accel tcg -cpu max"
  fi
}

status=$(mktemp)
trap 'rm -f "$status"' EXIT
command=(qemu-system-x86_64 -M microvm $(accel_flags) -m "$memory" -smp "$cpus" -nodefaults
  -no-user-config -display none -serial stdio -no-reboot
  -device isa-debug-exit,iobase=0xf4,iosize=0x04
  -chardev file,id=hstatus,path="$status" -device isa-debugcon,iobase=0xe9,chardev=hstatus
  -kernel "$loader" -initrd "$app" -append "$append")
echo "+ ${command[*]}" >&2
"${command[@]}"
qemu=$?
record=$(grep -a '^HERMIT-STATUS ' "$status" | tail -1)
case "$record" in
  "HERMIT-STATUS exit="*) exit "${record#HERMIT-STATUS exit=}" ;;
  "HERMIT-STATUS panic") echo "boot: the guest panicked" >&2; exit 125 ;;
  *) echo "boot: QEMU exited with status $qemu and no status record" >&2; exit 125 ;;
esac
