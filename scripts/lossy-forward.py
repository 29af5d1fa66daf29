#!/usr/bin/env python3
"""A lossy Ethernet bridge between two interfaces, for testing TCP over a bad link.

This host kernel has no sch_netem, so this forwarder stands in for it. It bridges
two interfaces of the network namespace it runs in (raw AF_PACKET sockets, one per
interface) and, in each direction, drops, duplicates and reorders IPv4 frames with
the given probabilities. Other frames (ARP) pass untouched, so a link comes up
the same way every time. Each direction draws from its own random.Random seeded
with --seed, so the n-th IPv4 frame of a direction meets the same fate on every run.

    drop       with probability --loss
    duplicate  with probability --duplicate (the copy follows the original)
    reorder    with probability --reorder: the frame is held back until 1 to 3
               later frames of its direction have gone, or --hold-ms has passed

Frames are read and written with their virtio-net header (PACKET_VNET_HDR): a
frame a guest or a veth left with a partial checksum (checksum offload) keeps its
offload flags, so its checksum is completed where it lands instead of reaching the
receiver half-done. A GSO frame (TSO) would cross as one unit: the stats count them
(`gso`) so that a run where it matters can be told apart.

It refuses to run outside a namespace made by `ip netns add`: it must only see
interfaces a test made (a tap, a veth end), so nothing it forwards can leave the
machine.

Held frames are the only queue: at most --queue frames per direction; when it is
full the frame is sent in order instead. Sends that fail (a tap whose reader is
gone, a full queue below) count as `send_errors`, not as retries.

On SIGTERM or SIGINT it prints one line of JSON per direction to stderr (and to
--stats FILE), then exits 0. It prints "ready" on stdout once both sockets are bound.

usage: lossy-forward.py IFACE_A IFACE_B [--loss P] [--reorder P] [--duplicate P]
                        [--seed N] [--hold-ms MS] [--queue N] [--stats FILE]
"""

import argparse
import collections
import errno
import json
import os
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
SOL_PACKET = 263
PACKET_VNET_HDR = 15          # linux/if_packet.h: frames carry a struct virtio_net_hdr
PACKET_OUTGOING = 4           # sockaddr_ll.sll_pkttype of a frame this host sent
VNET_HDR_LEN = 10             # struct virtio_net_hdr (no num_buffers)
ETHERTYPE_AT = VNET_HDR_LEN + 12
GSO_TYPE_AT = 1               # virtio_net_hdr.gso_type: 0 is VIRTIO_NET_HDR_GSO_NONE
BURST = 64                    # frames read from one socket per wakeup


class Direction:
    """One way across the bridge: frames read on `source`, written on `sink`."""

    def __init__(self, name, source, sink, seed, args):
        self.name = name
        self.source = source
        self.sink = sink
        self.random = random.Random(f"{seed}:{name}")
        self.loss = args.loss
        self.duplicate = args.duplicate
        self.reorder = args.reorder
        self.hold = args.hold_ms / 1000.0
        self.queue_limit = args.queue
        # Held frames: [frames still to overtake it, deadline, frame].
        self.held = []
        self.stats = collections.Counter(
            frames=0, ip=0, dropped=0, duplicated=0, reordered=0, forwarded=0,
            send_errors=0, queue_full=0, gso=0)

    def send(self, frame):
        try:
            self.sink.send(frame)
            self.stats["forwarded"] += 1
        except OSError:
            self.stats["send_errors"] += 1

    def release(self, now):
        """Sends held frames that were overtaken by enough frames or held long enough."""
        if not self.held:
            return
        due = [entry for entry in self.held if entry[0] <= 0 or entry[1] <= now]
        for entry in due:
            self.held.remove(entry)
            self.send(entry[2])

    def passed(self):
        """A frame went out: each held frame has one fewer to wait for."""
        for entry in self.held:
            entry[0] -= 1

    def handle(self, frame, now):
        stats = self.stats
        stats["frames"] += 1
        if frame[GSO_TYPE_AT] != 0:
            stats["gso"] += 1
        if frame[ETHERTYPE_AT] != ETH_P_IP >> 8 or frame[ETHERTYPE_AT + 1] != ETH_P_IP & 0xFF:
            self.send(frame)
            return
        stats["ip"] += 1
        draw = self.random.random
        if draw() < self.loss:
            stats["dropped"] += 1
            return
        copies = 1
        if draw() < self.duplicate:
            stats["duplicated"] += 1
            copies = 2
        if draw() < self.reorder:
            if len(self.held) < self.queue_limit:
                stats["reordered"] += 1
                entry = [self.random.randint(1, 3), now + self.hold, frame]
                for _ in range(copies):
                    self.held.append(list(entry))
                return
            stats["queue_full"] += 1
        for _ in range(copies):
            self.send(frame)
            self.passed()
        self.release(now)

    def next_deadline(self):
        return min(entry[1] for entry in self.held) if self.held else None

    def drain(self, now):
        """Reads what the source has (up to BURST frames)."""
        for _ in range(BURST):
            try:
                frame, address = self.source.recvfrom(65536 + VNET_HDR_LEN)
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno in (errno.ENETDOWN, errno.ENXIO):
                    return
                raise
            if address[2] == PACKET_OUTGOING:
                continue
            self.handle(frame, now)


class Stop(Exception):
    """SIGTERM or SIGINT: print the stats and exit."""


def forward(directions, by_socket):
    """Bridges until a signal stops it."""
    sockets = list(by_socket)
    while True:
        deadlines = [d for d in (x.next_deadline() for x in directions) if d is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 0.5
        readable, _, _ = select.select(sockets, [], [], timeout)
        now = time.monotonic()
        for s in readable:
            by_socket[s].drain(now)
        for direction in directions:
            direction.release(now)


def in_named_namespace():
    """True if this process's network namespace is one `ip netns add` made."""
    try:
        mine = os.stat("/proc/self/ns/net")
        named = [os.stat(os.path.join("/run/netns", n)) for n in os.listdir("/run/netns")]
    except OSError:
        return False
    return any((n.st_dev, n.st_ino) == (mine.st_dev, mine.st_ino) for n in named)


def open_socket(interface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((interface, ETH_P_ALL))
    s.setblocking(False)
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", help="first interface (e.g. the guest's tap)")
    parser.add_argument("b", help="second interface (e.g. a veth end)")
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--reorder", type=float, default=0.0)
    parser.add_argument("--duplicate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hold-ms", type=float, default=10.0,
                        help="longest a reordered frame is held back (default 10)")
    parser.add_argument("--queue", type=int, default=64,
                        help="held frames per direction at most (default 64)")
    parser.add_argument("--stats", help="also write the final stats (JSON lines) here")
    args = parser.parse_args()
    for name in ("loss", "reorder", "duplicate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            parser.error(f"--{name} is a probability between 0 and 1")
    if not in_named_namespace():
        sys.exit("lossy-forward.py: refusing to run outside a namespace made with `ip netns add`"
                 " (run it as `ip netns exec NS ...`): it must only see a test's interfaces")

    a, b = open_socket(args.a), open_socket(args.b)
    directions = [Direction(f"{args.a}>{args.b}", a, b, args.seed, args),
                  Direction(f"{args.b}>{args.a}", b, a, args.seed, args)]

    def stop(*_):
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A parent's blocked signals are inherited (a test runner's threads block them).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    print("ready", flush=True)
    try:
        forward(directions, {a: directions[0], b: directions[1]})
    except Stop:
        pass
    for direction in directions:
        while direction.held:
            direction.send(direction.held.pop(0)[2])
    lines = [json.dumps({"direction": d.name, **d.stats}) for d in directions]
    print("\n".join(lines), file=sys.stderr, flush=True)
    if args.stats:
        with open(args.stats, "w") as file:
            file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
