#!/usr/bin/env bash
# A lossy link for a guest, made of two network namespaces only (nothing leaves
# the machine):
#
#   NAME-fwd:  htap0 (QEMU's tap; QEMU runs here)  <- scripts/lossy-forward.py ->  lfwd0
#   NAME-cli:  lcli0 (veth peer of lfwd0), SUBNET.1/24: the client (curl) runs here
#
# The guest takes SUBNET.2/24 with gateway SUBNET.1 (kernel command line
# `ip=SUBNET.2/24 gateway=SUBNET.1`). NAME-fwd has no addresses and no IPv6, so
# its kernel sends nothing of its own onto the link; the forwarder, started by
# the caller inside NAME-fwd, is the only bridge:
#
#   ip netns exec NAME-fwd python3 scripts/lossy-forward.py htap0 lfwd0 --loss 0.05 ...
#
# usage: scripts/lossy-link.sh up NAME SUBNET     (SUBNET: three octets, 192.168.90)
#        scripts/lossy-link.sh down NAME          (removes both namespaces)
set -euo pipefail

down() {
  ip netns del "$1-fwd" 2>/dev/null || true
  ip netns del "$1-cli" 2>/dev/null || true
}

case ${1:-} in
  up)
    [ $# -eq 3 ] || { echo "usage: $0 up NAME SUBNET" >&2; exit 2; }
    name=$2 subnet=$3
    fwd=(ip netns exec "$name-fwd") cli=(ip netns exec "$name-cli")
    trap 'down "$name"' ERR
    ip netns add "$name-fwd"
    ip netns add "$name-cli"
    for ns in "$name-fwd" "$name-cli"; do
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
      ip netns exec "$ns" ip link set lo up
    done
    "${fwd[@]}" ip tuntap add dev htap0 mode tap
    "${fwd[@]}" ip link add lfwd0 type veth peer name lcli0 netns "$name-cli"
    for dev in htap0 lfwd0; do "${fwd[@]}" ip link set "$dev" promisc on up; done
    "${cli[@]}" ip addr add "$subnet.1/24" dev lcli0
    # One segment per frame from the client too (no GSO): the forwarder drops
    # frames, and a wire drops segments, not 64 KB TSO bursts.
    "${cli[@]}" ip link set lcli0 gso_max_segs 1 up
    ;;
  down)
    [ $# -eq 2 ] || { echo "usage: $0 down NAME" >&2; exit 2; }
    down "$2"
    ;;
  *)
    echo "usage: $0 up NAME SUBNET | down NAME" >&2
    exit 2
    ;;
esac
