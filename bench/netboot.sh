#!/usr/bin/env bash
# Networked boot benchmark (not a test, issue 9: a networked guest's boot should
# stay within 1.3x of an unnetworked one). Median wall times, in interleaved
# rounds, of
#   - examples/hello without a NIC (the unnetworked anchor, -M microvm as the
#     runtime boots it),
#   - examples/hello with virtio-net on user networking (a networked guest
#     whose app opens no socket: the kernel never brings the network up),
#   - Tests/Guests/netconfig `-- 0` without a NIC (same app, finds no device, exits),
#   - Tests/Guests/netconfig `-- 0` with virtio-net on user networking (brings the
#     NIC up, gets its address by DHCP from QEMU, prints it, exits), once per
#     virtio transport,
#   - the same on virtio-mmio with the address on the command line (`ip=`,
#     `gateway=`, `dns=`), as the runtime boots a guest in user mode,
# with the runtime's QEMU flags (TCG, -m 64M), and the ratios; then the same
# through the runtime (`hermit-runtime run --net user` against `--net none`
# of hello and netconfig images, if hermit-runtime is built); then, per transport, the
# median time from QEMU's start until examples/httpd answers GET /hello
# through a hostfwd port on 127.0.0.1 (a fresh QEMU each time).
#
# Where a networked guest's extra time goes under TCG: bringing the network up
# runs ~1,300 blocks of guest code for the first time (driver, stack, DHCP,
# the network thread), and TCG translates each before running it; the DHCP
# exchange itself is ~0.5 ms once that code is warm. Count them with
# `-d in_asm -D FILE` (one "IN:" per block) with and without the NIC.
#
# Transports (Sources/HermitQEMU/QEMUCommand.swift):
#   mmio    --nic virtio-mmio: -M microvm, virtio-net-device on a virtio-mmio
#           transport (modern)
#   pci     --nic virtio-pci: -M microvm,pcie=on, virtio-net-pci,disable-legacy=on
#           (MSI-X)
#   pc-pci  the same device on -M pc with qboot (not a runtime choice: for comparison)
#
# usage: bench/netboot.sh [RUNS] [TRANSPORT...]   (after `make guest`; RUNS
#        defaults to 20, TRANSPORTs to "mmio pci pc-pci")
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
shift || true
transports=("$@")
[ ${#transports[@]} -gt 0 ] || transports=(mmio pci pc-pci)
for f in build/hermit-loader build/examples/hello build/examples/httpd build/guests/netconfig; do
  [ -f "$f" ] || { echo "bench/netboot.sh: run make guest first ($f missing)" >&2; exit 1; }
done

common="-accel tcg -cpu max -smp 1 -m 64M -nodefaults -no-user-config
  -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
common=$(echo $common)
qemu="qemu-system-x86_64 -M microvm $common"
boot="-kernel build/hermit-loader -initrd"

# machine TRANSPORT: the QEMU command up to the NIC; nic TRANSPORT: the NIC's device.
machine() {
  case $1 in
    mmio) echo "qemu-system-x86_64 -M microvm $common" ;;
    pci) echo "qemu-system-x86_64 -M microvm,pcie=on $common" ;;
    pc-pci) echo "qemu-system-x86_64 -M pc -bios /usr/share/qemu/qboot.rom $common" ;;
    *) echo "bench/netboot.sh: unknown transport $1 (mmio, pci or pc-pci)" >&2; exit 1 ;;
  esac
}
nic() {
  case $1 in
    mmio) echo "-global virtio-mmio.force-legacy=false -device virtio-net-device,netdev=net0" ;;
    pci | pc-pci) echo "-device virtio-net-pci,disable-legacy=on,netdev=net0,romfile=" ;;
  esac
}

# Check that each networked run really is networked before timing it.
commands=("$qemu $boot build/examples/hello"
  "$(machine mmio) -netdev user,id=net0 $(nic mmio) $boot build/examples/hello"
  "$qemu $boot build/guests/netconfig -append '-- 0'")
for t in "${transports[@]}"; do
  out=$($(machine "$t") -netdev user,id=net0 $(nic "$t") $boot build/guests/netconfig -append "-- 0" 2>&1 || true)
  grep -q '^configured 10.0.2.15/24' <<<"$out" ||
    { echo "bench/netboot.sh: netconfig got no address over user networking ($t)" >&2; exit 1; }
  commands+=("$(machine "$t") -netdev user,id=net0 $(nic "$t") $boot build/guests/netconfig -append '-- 0'")
done
# As the runtime boots it in user mode: QEMU's addresses on the command line, no DHCP.
static="ip=10.0.2.15/24 gateway=10.0.2.2 dns=10.0.2.3"
out=$($(machine mmio) -netdev user,id=net0 $(nic mmio) $boot build/guests/netconfig -append "$static -- 0" 2>&1 || true)
grep -q '^configured 10.0.2.15/24' <<<"$out" ||
  { echo "bench/netboot.sh: netconfig did not take its static address" >&2; exit 1; }
commands+=("$(machine mmio) -netdev user,id=net0 $(nic mmio) $boot build/guests/netconfig -append '$static -- 0'")

# The same through the runtime (user-facing): hello and netconfig images, each
# with --net user (QEMU's addresses on the command line) and with --net none, if
# hermit-runtime is built.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${HERMIT_BIN:-.build/release}
runtime=0
if [ -x "$bin/hermit-runtime" ] && [ -x "$bin/hermit-image" ]; then
  runtime=1
  export HERMIT_HOME=$work/home
  for app in examples/hello guests/netconfig; do
    "$bin/hermit-image" build -o "$work/${app#*/}.tar" "build/$app" >/dev/null 2>&1
  done
  run="$bin/hermit-runtime run --rm --accel tcg"
  $run "$work/hello.tar" >/dev/null 2>&1  # warms the unpack cache
  commands+=("$run --net none $work/hello.tar" "$run --net user $work/hello.tar"
    "$run --net none $work/netconfig.tar 0" "$run --net user $work/netconfig.tar 0")
fi

# In rounds (bench/roundrobin.py; three warm-up rounds first): medians, and the
# median of each round's own ratio to its anchor (less noisy).
table=$(python3 - "$runs" "$common" "${transports[*]}" "$runtime" "${commands[@]}" <<'PY'
import shlex, statistics, sys
sys.path.insert(0, "bench")
import roundrobin
runs, common, transports = int(sys.argv[1]), sys.argv[2], sys.argv[3].split()
runtime, commands = sys.argv[4] == "1", [shlex.split(c) for c in sys.argv[5:]]
times = roundrobin.rounds(runs, commands, warmup=3)
median = [statistics.median(t) for t in times]
def ratio(i, anchor):
    return median[i] / median[anchor], roundrobin.paired(times[i], times[anchor])
print(f"netboot bench: medians of {runs} rounds, TCG, -m 64M (flags: {common})")
print(f"hello, no NIC (microvm):               {median[0]:8.1f} ms")
print("hello, virtio-mmio NIC, user net:       %8.1f ms   %.2fx hello (per round %.2fx; target <= 1.3x)"
      % (median[1], *ratio(1, 0)))
print(f"netconfig -- 0, no NIC (microvm):      {median[2]:8.1f} ms")
for k, t in enumerate(transports):
    i = 3 + k
    print("netconfig -- 0, virtio-%-6s + DHCP:  %8.1f ms   %.2fx hello, %.2fx netconfig without NIC "
          "(per round %.2fx; target <= 1.3x)" % (t, median[i], median[i] / median[0], *ratio(i, 2)))
i = 3 + len(transports)
print("netconfig -- 0, virtio-mmio   + ip=:   %8.1f ms   %.2fx hello, %.2fx netconfig without NIC "
      "(per round %.2fx; target <= 1.3x)" % (median[i], median[i] / median[0], *ratio(i, 2)))
if runtime:
    i = 4 + len(transports)
    for app, j in (("hello", i), ("netconfig", i + 2)):
        print(f"hermit-runtime run {app + ',':10} --net none:  {median[j]:8.1f} ms")
        print("hermit-runtime run %-10s --net user:  %8.1f ms   %.2fx --net none (per round %.2fx; target <= 1.3x)"
              % (app + ",", median[j + 1], *ratio(j + 1, j)))
else:
    print("(hermit-runtime not built: runtime rows skipped)")
print(f"{median[0]:.2f}")
PY
)
head -n -1 <<<"$table"
hello=$(tail -n 1 <<<"$table")

# Time from QEMU's start to httpd's first answer to GET /hello on a hostfwd port.
for t in "${transports[@]}"; do
python3 - "$runs" "$(machine "$t")" "$hello" "$t" "$(nic "$t")" <<'PY'
import select, socket, statistics, subprocess, sys, time
runs, qemu, hello = int(sys.argv[1]), sys.argv[2].split(), float(sys.argv[3])
transport, nic = sys.argv[4], sys.argv[5].split()
# The hostfwd port goes on the -netdev; the device names it net0.
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def first_answer(port, p, start, limit=30.0):
    # A new connection with a request every 20 ms, the older ones kept open, so
    # that neither a SYN queued before the NIC was up nor a reset from a guest
    # not yet listening delays the measurement by more than one step.
    pending = {}
    last = -1.0
    while time.perf_counter() - start < limit and p.poll() is None:
        now = time.perf_counter()
        if now - last >= 0.02:
            last = now
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
                s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                s.setblocking(False)
                pending[s] = b""
            except OSError:
                pass
        if not pending:
            time.sleep(0.005)
            continue
        ready, _, _ = select.select(list(pending), [], [], 0.005)
        for s in ready:
            try:
                chunk = s.recv(4096)
            except OSError:
                chunk = b""
            if chunk:
                pending[s] += chunk
                if b"hello world" in pending[s]:
                    for t in pending: t.close()
                    return time.perf_counter() - start
            else:
                s.close(); del pending[s]
    for t in pending: t.close()
    return None
samples = []
for _ in range(runs):
    port = free_port()
    argv = qemu + ["-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-:8000"] + nic + [
                   "-kernel", "build/hermit-loader", "-initrd", "build/examples/httpd"]
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = first_answer(port, p, start)
    if t is not None: samples.append(t * 1000)
    p.kill(); p.wait()
if not samples:
    print(f"httpd virtio-{transport}: never answered"); sys.exit(1)
m = statistics.median(samples)
print(f"httpd virtio-{transport:<6}, QEMU start to first GET /hello answered: {m:8.1f} ms   "
      f"{m / hello:.2f}x hello's whole run (median of {len(samples)}/{runs}; fastest {min(samples):.1f} ms)")
PY
done
