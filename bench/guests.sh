# Sourced by the benchmarks that compare our guest with a Linux guest
# (bench/httpd.sh, bench/lossy.sh): the Linux guest (Debian's linux-image-amd64
# + a busybox-static initramfs running `busybox httpd`) and the QEMU flags both
# guests share. Expects ROOT (the repository) and WORK (a scratch directory);
# reads TRANSPORT (mmio, pci or pc-pci), ACCEL (tcg, the default, or kvm) and
# NIC_OPTIONS (extra virtio-net device properties, ",prop=value...").
#
# Notes: the Linux guest needs -m 128M (the Debian kernel does not boot in 64M:
# it hangs after "Probing EDD") and `tsc_early_khz=` on its command line
# (LINUX_APPEND: microvm has no port 0x61, so Linux cannot calibrate the TSC
# against the PIT and hangs without it; the value only seeds the early
# clocksource, Linux moves to jiffies after). It boots under TCG only on these
# machines (PLATFORM.md: KVM fails on its first SSE instruction).

LINUX_APPEND="console=ttyS0 quiet panic=-1 tsc_early_khz=2000000"

# The Debian kernel: /boot if linux-image-amd64 is installed, else the package's
# .deb (apt-get download) unpacked once into a cache under build/ (git-ignored).
# Sets KERNEL and MODULES.
linux_kernel() {
  local k
  k=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$k" ] && [ -d "/lib/modules/${k#/boot/vmlinuz-}/kernel" ]; then
    KERNEL=$k MODULES=/lib/modules/${k#/boot/vmlinuz-}/kernel
    return
  fi
  local cache=$ROOT/build/bench-linux pkg
  if ! ls "$cache"/x/boot/vmlinuz-* >/dev/null 2>&1; then
    [ -n "$(apt-cache depends linux-image-amd64 2>/dev/null)" ] || apt-get update -qq >&2
    pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
    [ -n "$pkg" ] || { echo "bench/guests.sh: no linux-image-amd64 package found" >&2; exit 1; }
    echo "fetching $pkg (unpacked into $cache, not installed)" >&2
    rm -rf "$cache" && mkdir -p "$cache"
    (cd "$cache" && apt-get download -qq "$pkg" 2>/dev/null && dpkg-deb -x ./*.deb x && rm -f ./*.deb)
  fi
  KERNEL=$(ls "$cache"/x/boot/vmlinuz-* | head -1)
  MODULES=$(ls -d "$cache"/x/lib/modules/*/kernel | head -1)
}

# linux_initramfs ADDRESS/PREFIX GATEWAY [SIZE]...: writes $WORK/initramfs.gz, a
# tiny initramfs: busybox, the virtio modules (virtio-mmio, virtio-pci and
# virtio-net are modules in Debian's kernel; virtio_mmio finds the transports
# through microvm's ACPI tables), the static address, busybox httpd on port 8000
# serving /hello ("hello world"), /bytes/SIZE for each SIZE (our httpd's
# /bytes/N: N bytes of 0-9 repeating) and POST /cgi-bin/upload (the body's
# SHA-256), and a memory line on the console every second.
linux_initramfs() {
  local address=$1 gateway=$2 r=$WORK/initramfs m size
  shift 2
  rm -rf "$r"
  mkdir -p "$r"/{bin,proc,sys,dev,www/bytes,mods}
  cp /bin/busybox "$r/bin/busybox"
  for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_mmio \
    drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev \
    drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
    cp "$MODULES/$m.ko" "$r/mods/"
  done
  printf 'hello world' >"$r/www/hello"
  for size in "$@"; do bytes_pattern "$size" >"$r/www/bytes/$size"; done
  mkdir -p "$r/www/cgi-bin"
  cat >"$r/www/cgi-bin/upload" <<'EOF'
#!/bin/sh
# POST /cgi-bin/upload: the SHA-256 of the body, as `sha256sum` prints it.
sum=$(head -c "$CONTENT_LENGTH" | sha256sum)
printf 'Content-Type: text/plain\r\n\r\n%s\n' "$sum"
EOF
  chmod +x "$r/www/cgi-bin/upload"
  cat >"$r/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for m in virtio_ring virtio virtio_mmio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \\
  failover net_failover virtio_net; do
  insmod /mods/\$m.ko || echo "insmod \$m failed"
done
ip link set lo up
ip link set eth0 up
ip addr add $address dev eth0
ip route add default via $gateway
httpd -p 8000 -h /www
echo "linux httpd ready"
while true; do
  sleep 1
  awk '/MemTotal/{t=\$2} /MemAvailable/{a=\$2} END{print "guest-mem-used-kB", t-a}' /proc/meminfo
done
EOF
  chmod +x "$r/init"
  (cd "$r" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$WORK/initramfs.gz"
}

# bytes_pattern N: what GET /bytes/N answers (examples/httpd/main.swift).
bytes_pattern() {
  python3 -c 'import sys; n = int(sys.argv[1]); sys.stdout.buffer.write((b"0123456789" * (n // 10 + 1))[:n])' "$1"
}

# qemu_flags MEM CONSOLE NETDEV: the runtime's flags (Sources/HermitQEMU/QEMUCommand.swift)
# for a virtio NIC on TRANSPORT under ACCEL, minus its status-file chardev; NETDEV
# is the -netdev value (its id must be net0).
qemu_flags() {
  local machine nic accel
  if [ "$TRANSPORT" != mmio ]; then
    machine="-M microvm,pcie=on"
    [ "$TRANSPORT" = pc-pci ] && machine="-M pc -bios /usr/share/qemu/qboot.rom"
    nic="-device virtio-net-pci,disable-legacy=on,netdev=net0,romfile=${NIC_OPTIONS:-}"
  else
    machine="-M microvm"
    nic="-global virtio-mmio.force-legacy=false -device virtio-net-device,netdev=net0${NIC_OPTIONS:-}"
  fi
  case ${ACCEL:-tcg} in
    tcg) accel="-accel tcg -cpu max" ;;
    kvm) accel="-accel kvm -cpu host,-arch-capabilities" ;;
    *) echo "bench/guests.sh: ACCEL is tcg or kvm, not $ACCEL" >&2; exit 1 ;;
  esac
  echo "$machine $accel -smp 1 -m $1 -nodefaults -no-user-config -display none" \
    "-no-reboot -serial file:$2 -device isa-debug-exit,iobase=0xf4,iosize=0x04" \
    "-netdev $3 $nic"
}
