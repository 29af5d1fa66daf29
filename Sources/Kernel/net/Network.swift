// The network: one NIC, the portable stack (Sources/NetStack, compiled into
// this module) and a kernel thread that feeds one to the other.
//
// - Nothing starts until the app first opens a socket: apps without sockets
//   boot exactly as before. `Network.shared` then finds the NIC (virtio-net on
//   virtio-mmio or PCI, else an RTL8139 on PCI), configures the stack from the
//   kernel command line (`ip=`, `gateway=`) or by DHCP, and starts the network
//   thread.
// - One Lock guards the stack and the driver. The network thread waits for the
//   NIC's interrupt or the stack's next timer, takes received frames in, runs
//   the timers, sends what the stack queued, and broadcasts `changed`.
// - Socket calls (Socket.swift) take the lock, try, and wait on `changed` with
//   their deadline when the stack says `wouldBlock`.

final class Network {
  let device: any NetworkDevice
  let interface: NetworkInterface
  let lock = Lock()
  /// Broadcast whenever the stack may have new data, connections or space.
  let changed = Condition()
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
      NetworkConfiguration(address: $0, gateway: options.gateway)
    }
    let seed = randomUInt64()
    let mac = device.mac
    let interface = NetworkInterface(
      mac: MACAddress(mac.0, mac.1, mac.2, mac.3, mac.4, mac.5), configuration: configuration,
      seed: seed)
    interface.onEvent = { Network.log($0) }
    interface.offloadsTCPChecksum = device.offloadsTCPChecksum
    let network = Network(device: device, interface: interface)
    if let configuration { Network.log(configuration) }
    guard device.onInterrupt({ [network] in network.interrupt.signal() }) else {
      Log.info("network device: no interrupt line; network disabled")
      return
    }
    instance = network
    _ = Thread.spawn { network.run() }
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

  /// The network thread's loop.
  private func run() {
    while true {
      lock.lock()
      let now = Network.milliseconds
      _ = device.receive { frame, verified in
        interface.receive(frame: frame, now: now, checksumVerified: verified)
      }
      interface.poll(now: now)
      flushLocked()
      let next = interface.nextPollTime(now: Network.milliseconds)
      changed.broadcast()
      lock.unlock()
      let wait = min(next.map { $0 > now ? $0 - now : 0 } ?? 1000, 1000)
      if wait > 0 { _ = interrupt.wait(deadline: Timer.uptimeNanoseconds() &+ wait * 1_000_000) }
    }
  }

  /// Hands every frame the stack queued to the NIC. Lock held.
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
  }

  /// Runs `attempt` with the stack locked until it returns something other than
  /// `.wouldBlock`, waiting for the stack to change in between; gives
  /// `.timedOut` once uptime `deadline` (milliseconds) passed.
  func retry<T>(
    until deadline: UInt64?, _ attempt: (NetworkInterface, UInt64) -> Result<T, NetError>
  ) -> Result<T, NetError> {
    lock.lock()
    defer { lock.unlock() }
    while true {
      let now = Network.milliseconds
      let result = attempt(interface, now)
      flushLocked()
      if case .failure(.wouldBlock) = result {
        if let deadline {
          guard now < deadline else { return .failure(.timedOut) }
          _ = changed.wait(lock, deadline: deadline * 1_000_000)
        } else {
          changed.wait(lock)
        }
        continue
      }
      return result
    }
  }

  /// Waits until the interface has an address (DHCP), at most `configurationTimeout`.
  func waitForConfiguration() -> Result<Void, NetError> {
    let deadline = Network.milliseconds + Network.configurationTimeout
    let result: Result<Void, NetError> = retry(until: deadline) { interface, _ in
      interface.configuration == nil ? .failure(.wouldBlock) : .success(())
    }
    if case .failure = result { return .failure(.noRoute) }
    return result
  }
}
