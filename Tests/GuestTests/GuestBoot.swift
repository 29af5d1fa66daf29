import BootFormat
import Foundation
import HermitQEMU

/// Boots one app from `build/` under QEMU (microvm; TCG unless told) the way docs/ABI.md
/// describes, with a timeout so a hung guest fails its test instead of hanging
/// the suite, and decodes how it ended.
struct GuestRun {
  var output: String
  var status: GuestStatus
  var qemuStatus: Int32
  var timedOut: Bool

  var lines: [String] {
    output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }
}

enum GuestBoot {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let build = repository.appendingPathComponent("build")
  static let loader = build.appendingPathComponent("hermit-loader")

  static func app(_ name: String) -> URL {
    let example = build.appendingPathComponent("examples/\(name)")
    if FileManager.default.fileExists(atPath: example.path) { return example }
    return build.appendingPathComponent("guests/\(name)")
  }

  struct MissingArtifact: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path) is missing: run `make` first" }
  }

  /// Runs QEMU and waits at most `timeout` seconds. `whileRunning` talks to the
  /// running guest; then the guest is stopped, unless `letsGuestFinish` (a guest
  /// that ends by itself: killing it when the test has seen what it wanted would
  /// race its own exit).
  static func boot(
    _ appFile: URL, append: String = "", memoryMiB: Int = 64, statusChannel: Bool = true,
    smp: Int = 1, network: VMConfiguration.Network = .none, nic: VMConfiguration.NIC = .virtio,
    machine: PCMachine? = nil, namespace: String? = nil, accelerator: Accelerator = .tcg,
    timeout: TimeInterval = 90, letsGuestFinish: Bool = false,
    whileRunning: ((_ outputFile: URL) throws -> Void)? = nil
  ) throws -> GuestRun {
    for file in [loader, appFile] where !FileManager.default.fileExists(atPath: file.path) {
      throw MissingArtifact(path: file.path)
    }
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-guest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let statusFile = scratch.appendingPathComponent("status")
    let outputFile = scratch.appendingPathComponent("output")
    FileManager.default.createFile(atPath: outputFile.path, contents: nil)

    // The runtime's own command builder (docs/ABI.md "Booting"), so these boots
    // also check the command line every `hermit-runtime run` uses.
    let configuration = VMConfiguration(
      name: "guesttest-\(scratch.lastPathComponent)", loader: loader.path, app: appFile.path,
      commandLine: append, cpus: smp, memoryMiB: memoryMiB, accelerator: accelerator,
      network: network, nic: nic, statusFile: statusFile.path)
    var arguments = QEMUCommand(configuration, pcFirmware: machine?.firmware).arguments
    if let machine, let flag = arguments.firstIndex(of: "-M") {
      arguments[flag + 1] = machine.type
    }
    if let device = machine?.nicDevice,
      let index = arguments.firstIndex(where: { $0.hasPrefix("rtl8139,") })
    {
      arguments[index] = device
    }
    if !statusChannel {
      // The seed's plain command line: isa-debug-exit only, no status record.
      let chardev = arguments.firstIndex(of: "-chardev")!
      arguments.removeSubrange(chardev..<chardev + 4)
    }

    // QMP, to ask where a hung guest is (`vCPUState` on a timeout), where the
    // socket's path fits a sockaddr_un (QEMU would not start otherwise).
    let monitor = scratch.appendingPathComponent("qmp")
    if monitor.path.utf8.count < 100 {
      arguments += ["-qmp", "unix:\(monitor.path),server=on,wait=off"]
    }

    let process = Process()
    if let namespace {
      // QEMU opens its tap inside the namespace the test made.
      process.executableURL = URL(fileURLWithPath: "/usr/bin/ip")
      process.arguments = ["netns", "exec", namespace, "/usr/bin/qemu-system-x86_64"] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/qemu-system-x86_64")
      process.arguments = arguments
    }
    let output = try FileHandle(forWritingTo: outputFile)
    defer { try? output.close() }
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    if let whileRunning {
      // The test talks to the running guest, then the guest is stopped.
      defer {
        if !letsGuestFinish && process.isRunning { kill(process.processIdentifier, SIGKILL) }
      }
      try whileRunning(outputFile)
    }
    var hungAt = ""
    while process.isRunning {
      if Date() > deadline {
        timedOut = true
        hungAt = vCPUState(qmp: monitor.path)
        kill(process.processIdentifier, SIGKILL)
        break
      }
      usleep(10_000)
    }
    process.waitUntilExit()
    var text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    if timedOut {
      text += "\n[GuestBoot: no exit after \(Int(timeout)) s; the vCPU then:]\n\(hungAt)"
    }
    let record = (try? String(contentsOf: statusFile, encoding: .utf8)) ?? ""
    let qemuStatus = process.terminationStatus
    return GuestRun(
      output: text, status: GuestStatus.decode(record: record, qemuExitStatus: qemuStatus),
      qemuStatus: qemuStatus, timedOut: timedOut)
  }

  static func boot(
    _ name: String, append: String = "", memoryMiB: Int = 64, smp: Int = 1,
    network: VMConfiguration.Network = .none, nic: VMConfiguration.NIC = .virtio,
    machine: PCMachine? = nil, namespace: String? = nil, accelerator: Accelerator = .tcg,
    timeout: TimeInterval = 90, letsGuestFinish: Bool = false,
    whileRunning: ((_ outputFile: URL) throws -> Void)? = nil
  ) throws -> GuestRun {
    try boot(
      app(name), append: append, memoryMiB: memoryMiB, smp: smp, network: network, nic: nic,
      machine: machine, namespace: namespace, accelerator: accelerator, timeout: timeout,
      letsGuestFinish: letsGuestFinish, whileRunning: whileRunning)
  }

  /// The registers and the top of the stack of a running guest, from QEMU's
  /// QMP socket at `path` (its human monitor's `info registers` and `x`), for
  /// the failure message of a guest that hangs; "" if QEMU does not answer.
  static func vCPUState(qmp path: String) -> String {
    guard let fd = try? UnixSocket.connected(to: path) else { return "" }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var pending: [UInt8] = []
    /// The next JSON object QEMU sends (one per line), nil on timeout or EOF.
    func nextObject() -> [String: Any]? {
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
          let line = Data(pending[..<newline])
          pending.removeSubrange(...newline)
          if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] {
            return object
          }
          continue
        }
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        pending += buffer[..<count]
      }
    }
    /// Sends `command` and returns its answer ("return"), skipping events.
    func execute(_ command: [String: Any]) -> Any? {
      guard let data = try? JSONSerialization.data(withJSONObject: command) else { return nil }
      let line = [UInt8](data) + [UInt8(ascii: "\n")]
      guard send(fd, line, line.count, 0) == line.count else { return nil }
      while let object = nextObject() {
        if let answer = object["return"] { return answer }
        if object["error"] != nil { return nil }
      }
      return nil
    }
    guard nextObject()?["QMP"] != nil, execute(["execute": "qmp_capabilities"]) != nil else {
      return ""
    }
    var state = ""
    for command in ["info registers", "x /24gx $esp"] {
      let answer = execute([
        "execute": "human-monitor-command", "arguments": ["command-line": command],
      ])
      state += (answer as? String) ?? "(\(command): no answer)\n"
    }
    return state
  }

  /// A PC machine other than the one the runtime picks: `pc` or `q35`, with
  /// QEMU's default firmware (SeaBIOS) or another (qboot, what the runtime uses).
  struct PCMachine: CustomStringConvertible, Sendable {
    var type: String
    var firmware: String?
    /// A `-device` value for the NIC instead of the runtime's rtl8139 (a model
    /// only a test drives, on `nic: .rtl8139`).
    var nicDevice: String? = nil

    static let qboot = "/usr/share/qemu/qboot.rom"
    static let pcSeaBIOS = PCMachine(type: "pc", firmware: nil)
    static let pcQboot = PCMachine(type: "pc", firmware: qboot)
    static let q35SeaBIOS = PCMachine(type: "q35", firmware: nil)
    static let q35Qboot = PCMachine(type: "q35", firmware: qboot)
    /// microvm without its 8254 PIT: the kernel calibrates its clocks otherwise.
    static let microvmWithoutPIT = PCMachine(type: "microvm,pit=off", firmware: nil)

    var description: String { "\(type) with \(firmware == nil ? "SeaBIOS" : "qboot")" }
  }

  /// Waits until the guest's console (in `outputFile`) has a line containing
  /// `text`; false after `timeout` seconds.
  static func waitForOutput(_ outputFile: URL, containing text: String, timeout: TimeInterval)
    -> Bool
  {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if let output = try? String(contentsOf: outputFile, encoding: .utf8), output.contains(text) {
        return true
      }
      usleep(20_000)
    }
    // Where the guest is, in its output (so in the failure message): QEMU has
    // stopped writing to the file unless the guest still prints.
    let qmp = outputFile.deletingLastPathComponent().appendingPathComponent("qmp").path
    let state = vCPUState(qmp: qmp)
    if !state.isEmpty, let file = try? FileHandle(forWritingTo: outputFile) {
      _ = try? file.seekToEnd()
      try? file.write(
        contentsOf: Data(
          "\n[GuestBoot: no \"\(text)\" after \(Int(timeout)) s; the vCPU:]\n\(state)".utf8))
      try? file.close()
    }
    return false
  }

  /// A copy of an app with `patch` applied to its bytes, in a temp file the
  /// caller removes.
  static func patchedCopy(of name: String, _ patch: (inout [UInt8]) -> Void) throws -> URL {
    var bytes = [UInt8](try Data(contentsOf: app(name)))
    patch(&bytes)
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-patched-\(UUID().uuidString)")
    try Data(bytes).write(to: file)
    return file
  }
}

extension Array where Element == UInt8 {
  func u64(at offset: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[offset + $1]) << (8 * $1) }
  }
  mutating func setU64(_ value: UInt64, at offset: Int) {
    for index in 0..<8 { self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
  }
  mutating func setU16(_ value: UInt16, at offset: Int) {
    self[offset] = UInt8(truncatingIfNeeded: value)
    self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
  }
}
