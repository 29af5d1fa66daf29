#!/usr/bin/env bash
# Networked boot benchmark (not a test, issue 9: a networked guest's boot should
# stay within 1.3x of an unnetworked one). Median wall times, with hyperfine
# (warm-up runs, interleaved repetitions), of
#   - examples/hello without a NIC (the unnetworked anchor),
#   - Tests/Guests/netconfig `-- 0` without a NIC (same app, finds no device, exits),
#   - Tests/Guests/netconfig `-- 0` with virtio-net on user networking (brings the
#     NIC up, gets its address by DHCP from QEMU, prints it, exits),
# with the runtime's QEMU flags (-M microvm, TCG, -m 64M; virtio-mmio, modern), and
# the ratios; then the median time from QEMU's start until examples/httpd answers
# GET /hello through a hostfwd port on 127.0.0.1 (a fresh QEMU each time).
#
# usage: bench/netboot.sh [RUNS]   (after `make guest`; RUNS defaults to 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
for f in build/hermit-loader build/examples/hello build/examples/httpd build/guests/netconfig; do
  [ -f "$f" ] || { echo "bench/netboot.sh: run make guest first ($f missing)" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >&2; }

qemu="qemu-system-x86_64 -M microvm -accel tcg -cpu max -smp 1 -m 64M -nodefaults -no-user-config
  -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
qemu=$(echo $qemu)
nic="-global virtio-mmio.force-legacy=false -netdev user,id=net0 -device virtio-net-device,netdev=net0"
boot="-kernel build/hermit-loader -initrd"

# Check that the networked run really is networked before timing it.
out=$($qemu $nic $boot build/guests/netconfig -append "-- 0" 2>&1 || true)
grep -q '^configured 10.0.2.15/24' <<<"$out" ||
  { echo "bench/netboot.sh: netconfig got no address over user networking" >&2; exit 1; }

json=$(mktemp)
trap 'rm -f "$json"' EXIT
hyperfine -N -i -w 3 -r "$runs" --export-json "$json" \
  "$qemu $boot build/examples/hello" \
  "$qemu $boot build/guests/netconfig -append '-- 0'" \
  "$qemu $nic $boot build/guests/netconfig -append '-- 0'" >/dev/null 2>&1
read -r hello plain net < <(python3 -c 'import json,sys; print(" ".join("%.2f" % (r["median"]*1000) for r in json.load(open(sys.argv[1]))["results"]))' "$json")

echo "netboot bench: medians of $runs, TCG, -M microvm, -m 64M (flags: $qemu)"
printf 'hello, no NIC:                         %8.1f ms\n' "$hello"
printf 'netconfig -- 0, no NIC:                %8.1f ms\n' "$plain"
printf 'netconfig -- 0, virtio-net + DHCP:     %8.1f ms   %.2fx hello, %.2fx netconfig without NIC (target <= 1.3x)\n' \
  "$net" "$(echo "$net / $hello" | bc -l)" "$(echo "$net / $plain" | bc -l)"

# Time from QEMU's start to httpd's first answer to GET /hello on a hostfwd port.
python3 - "$runs" "$qemu" "$hello" <<'PY'
import select, socket, statistics, subprocess, sys, time
runs, qemu, hello = int(sys.argv[1]), sys.argv[2].split(), float(sys.argv[3])
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
    argv = qemu + ["-global", "virtio-mmio.force-legacy=false",
                   "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-:8000",
                   "-device", "virtio-net-device,netdev=net0",
                   "-kernel", "build/hermit-loader", "-initrd", "build/examples/httpd"]
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = first_answer(port, p, start)
    if t is not None: samples.append(t * 1000)
    p.kill(); p.wait()
if not samples:
    print("httpd never answered"); sys.exit(1)
m = statistics.median(samples)
print(f"httpd, QEMU start to first GET /hello answered: {m:8.1f} ms   {m / hello:.2f}x hello's whole run "
      f"(median of {len(samples)}/{runs}; fastest {min(samples):.1f} ms)")
PY
