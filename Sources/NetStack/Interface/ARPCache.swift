// The neighbour table of RFC 826, with the timeouts RFC 1122 §2.3.2.1 asks
// for ("a mechanism to flush out-of-date cache entries") and the queue of
// §2.3.2.2 ("SHOULD save (rather than discard) at least one (the latest)
// packet of each set of packets destined to the same unresolved IP address").
//
// Pure bookkeeping: the interface sends the requests and frames it returns.

struct ARPCache {
  /// How long a learned address is used without being refreshed.
  static let entryLifetime: UInt64 = 60_000
  /// Between two requests for an unresolved address.
  static let retryInterval: UInt64 = 1_000
  /// Requests per resolution before its queued frames are dropped.
  static let maximumRequests = 3
  /// Frames kept per unresolved address; older ones are dropped first.
  static let maximumQueuedFrames = 64
  /// Unresolved addresses at once, and frames waiting over all of them: a
  /// flood of packets from spoofed on-link sources (each answer waits for
  /// ARP) must not queue without bound. Frames beyond are dropped, as a
  /// full NIC ring would drop them.
  static let maximumResolutions = 64
  static let maximumQueuedFramesInAll = 256
  /// Entries kept; beyond this the one closest to expiry goes.
  static let maximumEntries = 256

  struct Entry {
    var hardwareAddress: MACAddress
    var expiresAt: UInt64
  }

  struct Resolution {
    /// Complete frames whose destination MAC is still a placeholder.
    var frames: [[UInt8]]
    var requestsSent: Int
    var nextRequestAt: UInt64
  }

  private(set) var entries = [IPv4Address: Entry]()
  private(set) var resolutions = [IPv4Address: Resolution]()
  /// Frames in all `resolutions`.
  private(set) var queuedFrames = 0

  /// The hardware address of `address` if it is known and fresh.
  func lookup(_ address: IPv4Address, now: UInt64) -> MACAddress? {
    guard let entry = entries[address], entry.expiresAt > now else { return nil }
    return entry.hardwareAddress
  }

  /// Records `address` → `hardwareAddress` ("merge"). A new entry is made
  /// only if `create` (we were the ARP target) or a resolution was waiting.
  /// Returns the frames that waited for it, destination filled in.
  mutating func update(
    _ address: IPv4Address, hardwareAddress: MACAddress, now: UInt64, create: Bool
  ) -> [[UInt8]] {
    guard create || entries[address] != nil || resolutions[address] != nil else { return [] }
    if entries[address] == nil && entries.count >= ARPCache.maximumEntries {
      evictOne()
    }
    entries[address] = Entry(
      hardwareAddress: hardwareAddress, expiresAt: now + ARPCache.entryLifetime)
    guard var waiting = resolutions.removeValue(forKey: address)?.frames else { return [] }
    queuedFrames -= waiting.count
    for index in waiting.indices {
      EthernetFrame.setDestination(hardwareAddress, in: &waiting[index])
    }
    return waiting
  }

  /// Queues `frame` until `address` resolves. Returns true if a request
  /// must go out now (the first frame for this address).
  /// A frame beyond `maximumQueuedFramesInAll`, or for a new address beyond
  /// `maximumResolutions`, is dropped.
  mutating func enqueue(_ frame: [UInt8], for address: IPv4Address, now: UInt64) -> Bool {
    if var resolution = resolutions[address] {
      if resolution.frames.count >= ARPCache.maximumQueuedFrames {
        resolution.frames.removeFirst()
        queuedFrames -= 1
      }
      guard queuedFrames < ARPCache.maximumQueuedFramesInAll else { return false }
      resolution.frames.append(frame)
      queuedFrames += 1
      resolutions[address] = resolution
      return false
    }
    guard resolutions.count < ARPCache.maximumResolutions,
      queuedFrames < ARPCache.maximumQueuedFramesInAll
    else { return false }
    queuedFrames += 1
    resolutions[address] = Resolution(
      frames: [frame], requestsSent: 1, nextRequestAt: now + ARPCache.retryInterval)
    return true
  }

  /// Expires entries and resolutions. Returns the addresses to send another
  /// request for; resolutions out of retries are dropped with their frames.
  mutating func poll(now: UInt64) -> [IPv4Address] {
    var retry: [IPv4Address] = []
    for (address, resolution) in resolutions where resolution.nextRequestAt <= now {
      if resolution.requestsSent >= ARPCache.maximumRequests {
        queuedFrames -= resolution.frames.count
        resolutions[address] = nil
      } else {
        var next = resolution
        next.requestsSent += 1
        next.nextRequestAt = now + ARPCache.retryInterval
        resolutions[address] = next
        retry.append(address)
      }
    }
    for (address, entry) in entries where entry.expiresAt <= now {
      entries[address] = nil
    }
    return retry
  }

  /// The earliest time `poll` has work: a request to repeat or give up.
  /// Entry expiry is lazy and needs no wake-up.
  var nextDeadline: UInt64? {
    var next: UInt64? = nil
    for resolution in resolutions.values { next = earliest(next, resolution.nextRequestAt) }
    return next
  }

  /// Forgets everything (the interface's address changed).
  mutating func removeAll() {
    entries = [IPv4Address: Entry]()
    resolutions = [IPv4Address: Resolution]()
    queuedFrames = 0
  }

  private mutating func evictOne() {
    var oldest: IPv4Address?
    var oldestExpiry = UInt64.max
    for (address, entry) in entries where entry.expiresAt < oldestExpiry {
      oldest = address
      oldestExpiry = entry.expiresAt
    }
    if let oldest { entries[oldest] = nil }
  }
}
