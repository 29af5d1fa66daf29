// What the network stack needs from a NIC driver: its MAC, frames in, frames
// out, and an event its interrupt signals. virtio-net and RTL8139 conform; the stack
// glue (net/Network.swift) holds an `any NetworkDevice` (Embedded Swift has no `any` of
// a non-class protocol, and a class-bound one costs nothing here).

protocol NetworkDevice: AnyObject {
  /// The station address, 6 bytes.
  var mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) { get }
  /// Calls `body` with each received Ethernet frame (no FCS) and whether the
  /// device vouches for its TCP/UDP checksum, and returns the buffers to the
  /// device; returns how many frames there were.
  func receive(_ body: (_ frame: UnsafeRawBufferPointer, _ checksumVerified: Bool) -> Void) -> Int
  /// The device completes the TCP checksums of frames `transmit` gets with a
  /// partial one (NetStack's PartialChecksum).
  var offloadsTCPChecksum: Bool { get }
  /// Queues one Ethernet frame; false if the transmit ring is full.
  func transmit(_ frame: UnsafeRawBufferPointer) -> Bool
  /// Starts sending what `transmit` queued.
  func flush()
  /// Calls `handler` from the device's interrupt (frames arrived or were sent).
  func onInterrupt(_ handler: @escaping () -> Void) -> Bool
}
