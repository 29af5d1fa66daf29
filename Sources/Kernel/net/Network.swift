// The network: one NIC, the portable stack (Sources/NetStack, compiled into
// this module) and a kernel thread that feeds one to the other.
//
// - Nothing starts until the app first opens a socket: apps without sockets
//   boot exactly as before. `Network.shared` then finds the NIC (virtio-net on
//   virtio-mmio or PCI, else an RTL8139 on PCI), configures the stack from the
//   kernel command line (`ip=`, `gateway=`) or by DHCP.
// - One Lock guards the stack and the driver. A turn of the network takes
//   received frames in, runs the stack's timers, sends what the stack queued
//   and broadcasts `changed`; between turns the network waits for the NIC's
//   interrupt or the stack's next timer.
// - The network thread takes the turns. Only while the app has a single thread
//   and DHCP has not answered yet (the scheduler not started), the thread that
//   waits for the address (every socket does) takes them itself, halting
//   between them, and starts the network thread once the address came: under
//   TCG the scheduler's start, the network thread and their switches are code
//   run once, which QEMU translates first (issue 9: a networked boot's cost).
// - Socket calls (Socket.swift) take the lock, try, and wait on `changed` with
//   their deadline when the stack says `wouldBlock`.

final class Network {
  let device: any NetworkDevice
  let interface: NetworkInterface
  let lock = Lock()
  /// Broadcast after every turn, for waits that concern no one socket (the
  /// address, a DNS lookup). Socket waits use their watchers (Readiness.swift).
  let changed = Condition()
  /// The watchers of each socket id (Readiness.swift). Guarded by `lock`.
  var watchers: [Int: [ReadinessWatcher]] = [:]
  /// Signalled by the NIC's interrupt.
  let interrupt = Event()
  /// How long sockets wait for DHCP before failing with `noRoute`.
  static let configurationTimeout: UInt64 = 15_000

  nonisolated(unsafe) static var instance: Network? = nil
  nonisolated(unsafe) static var probed = false
  nonisolated(unsafe) static var startLock = SpinLock()

  /// The network, started on first use; nil if the machine has no NIC.
  static var shared: Network? {
    let interruptsWereEnabled = startLock.acquire()
    let first = !probed
    probed = true
    startLock.release(interruptsWereEnabled: interruptsWereEnabled)
    if first { start() }
    while instance == nil && !started { Thread.yield() }
    return instance
  }

  nonisolated(unsafe) static var started = false

  private static func start() {
    defer { started = true }
    ACPI.initialize()  // I/O APICs and their lines
    guard let device = probeDevice() else {
      Log.info("No network device found")
      return
    }
    let options = BootCommandLine.options
    let configuration = options.ip.flatMap {
      NetworkConfiguration(address: $0, gateway: options.gateway, dns: options.dns)
    }
    // Two keys drawn apart: the ISN and SYN cookie key shares nothing with
    // the generator of IP IDs, DHCP xids, DNS IDs and ports.
    let keys = NetworkKeys(wire: randomKey(), secret: randomKey())
    let mac = device.mac
    let interface = NetworkInterface(
      mac: MACAddress(mac.0, mac.1, mac.2, mac.3, mac.4, mac.5), configuration: configuration,
      keys: keys)
    interface.onEvent = { Network.log($0) }
    // Memory is a budget (issue 20): connection buffers may hold half the
    // heap, and each connection's fixed part (control block, socket, the
    // app's state) is bounded by a cap of one per 4 KiB of heap.
    interface.bufferMemory.budget = Heap.arenaBytes / 2
    interface.maximumTCPConnections = Heap.arenaBytes / 4096
    interface.offloadsTCPChecksum = device.offloadsTCPChecksum
    let network = Network(device: device, interface: interface)
    if let configuration {
      Network.log(configuration)
      // Tell the link our MAC now: a static guest may send nothing else
      // before a peer must reach it (passt learns the guest's MAC from it).
      interface.announce()
    }
    guard device.onInterrupt({ [network] in network.interrupt.signal() }) else {
      Log.info("network device: no interrupt line; network disabled")
      return
    }
    instance = network
    // Without threads to wait on DHCP alongside, the first waiter brings it up.
    if configuration != nil || Scheduler.started { network.startThread() }
  }

  /// The first NIC: virtio-net (virtio-mmio on microvm, then PCI) before an RTL8139 (pc).
  private static func probeDevice() -> (any NetworkDevice)? {
    if let virtio = VirtioNet.probe() { return virtio }
    return RTL8139.probe()
  }

  private init(device: any NetworkDevice, interface: NetworkInterface) {
    self.device = device
    self.interface = interface
  }

  static var milliseconds: UInt64 { Timer.uptimeNanoseconds() / 1_000_000 }

  /// Set once the network thread runs; until then a thread waiting for the
  /// configuration takes the turns (`pumping`). Both guarded by `lock`.
  private var threadStarted = false
  private var pumping = false

  /// Starts the network thread unless it runs. Lock not held.
  private func startThread() {
    let start = lock.withLock {
      defer { threadStarted = true }
      return !threadStarted
    }
    if start { _ = Thread.spawn { [self] in run() } }
  }

  /// The network thread's loop.
  private func run() {
    while true {
      let wait = lock.withLock { turnLocked() }
      waitForInterrupt(milliseconds: wait)
    }
  }

  /// One turn of the network: frames in, timers, frames out, waiters woken.
  /// Returns how many milliseconds may pass before the next (at most 1000).
  /// Lock held.
  private func turnLocked() -> UInt64 {
    let now = Network.milliseconds
    _ = device.receive { frame, verified in
      interface.receive(frame: frame, now: now, checksumVerified: verified)
    }
    interface.poll(now: now)
    flushLocked()
    let next = interface.nextPollTime(now: Network.milliseconds)
    changed.broadcast()
    return min(next.map { $0 > now ? $0 - now : 0 } ?? 1000, 1000)
  }

  /// Waits for the NIC's interrupt, at most `milliseconds`. Lock not held.
  private func waitForInterrupt(milliseconds: UInt64) {
    guard milliseconds > 0 else { return }
    _ = interrupt.wait(deadline: Timer.uptimeNanoseconds() &+ milliseconds * 1_000_000)
  }

  /// Hands every frame the stack queued to the NIC, then wakes the watchers of
  /// the sockets the stack noted. Lock held.
  func flushLocked() {
    while let frame = interface.dequeueFrame() {
      var sent = frame.withUnsafeBytes { device.transmit($0) }
      var attempts = 0
      while !sent && attempts < 1000 {
        device.flush()
        Arch.spinHint()
        sent = frame.withUnsafeBytes { device.transmit($0) }
        attempts += 1
      }
    }
    device.flush()
    // What was handled here (loopback frames included) may have made sockets
    // ready: every flush wakes their watchers, whoever called it.
    wakeReadyLocked()
  }

  /// Runs `attempt` with the stack locked until it returns something other than
  /// `.wouldBlock`, waiting in between for `watcher` (a socket's: woken only
  /// when the stack noted that socket) or, without one, for any turn; gives
  /// `.timedOut` once uptime `deadline` (milliseconds) passed.
  func retry<T>(
    until deadline: UInt64?, watching watcher: ReadinessWatcher? = nil,
    _ attempt: (NetworkInterface, UInt64) -> Result<T, NetError>
  ) -> Result<T, NetError> {
    lock.lock()
    defer { lock.unlock() }
    while true {
      let now = Network.milliseconds
      let result = attempt(interface, now)
      flushLocked()
      if case .failure(.wouldBlock) = result {
        let condition = watcher?.condition ?? changed
        watcher?.woken.removeAll(keepingCapacity: true)
        if let deadline {
          guard now < deadline else { return .failure(.timedOut) }
          _ = condition.wait(lock, deadline: deadline * 1_000_000)
        } else {
          condition.wait(lock)
        }
        continue
      }
      return result
    }
  }

  /// Waits until the interface has an address (DHCP), at most `configurationTimeout`.
  /// Before the network thread runs, the first caller takes the network's turns
  /// itself and starts the thread once the address came (or the time is up).
  func waitForConfiguration() -> Result<Void, NetError> {
    let deadline = Network.milliseconds + Network.configurationTimeout
    lock.lock()
    let bringsUp = !threadStarted && !pumping
    if bringsUp {
      pumping = true
      while true {
        let next = turnLocked()
        let now = Network.milliseconds
        // The turn may have taken the ACK in: check before waiting again.
        guard interface.configuration == nil, now < deadline else { break }
        lock.unlock()
        waitForInterrupt(milliseconds: min(next, deadline - now))
        lock.lock()
      }
      pumping = false
    }
    lock.unlock()
    if bringsUp { startThread() }
    let result: Result<Void, NetError> = retry(until: deadline) { interface, _ in
      interface.configuration == nil ? .failure(.wouldBlock) : .success(())
    }
    if case .failure = result { return .failure(.noRoute) }
    return result
  }
}
