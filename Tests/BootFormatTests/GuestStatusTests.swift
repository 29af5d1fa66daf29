import BootFormat
import Testing

@Suite struct GuestStatusTests {
  /// (debugcon file, QEMU exit status) → how the guest ended (docs/ABI.md,
  /// "Exit status channel").
  static let decodings: [(String, Int32, GuestStatus)] = [
    // exit=N whose low 7 bits match QEMU's status: the exact code.
    ("HERMIT-STATUS exit=0\n", 1, .exited(0)),
    ("HERMIT-STATUS exit=1\n", 3, .exited(1)),
    ("HERMIT-STATUS exit=42\n", 85, .exited(42)),
    ("HERMIT-STATUS exit=127\n", 255, .exited(127)),
    ("HERMIT-STATUS exit=128\n", 1, .exited(128)),
    ("HERMIT-STATUS exit=200\n", 145, .exited(200)),
    ("HERMIT-STATUS exit=255\n", 255, .exited(255)),
    ("HERMIT-STATUS exit=3", 7, .exited(3)),  // no trailing newline
    // Mismatched low bits: a stale or forged record does not count.
    ("HERMIT-STATUS exit=0\n", 3, .crashed(qemuStatus: 3)),
    ("HERMIT-STATUS exit=1\n", 1, .crashed(qemuStatus: 1)),
    ("HERMIT-STATUS exit=128\n", 3, .crashed(qemuStatus: 3)),
    ("HERMIT-STATUS exit=0\n", 0, .crashed(qemuStatus: 0)),  // record, then reset
    ("HERMIT-STATUS exit=0\n", 255, .crashed(qemuStatus: 255)),
    ("HERMIT-STATUS exit=0\n", 137, .crashed(qemuStatus: 137)),  // SIGKILL
    ("HERMIT-STATUS exit=5\n", 10, .crashed(qemuStatus: 10)),  // even: not isa-debug-exit
    // Malformed exit records.
    ("HERMIT-STATUS exit=256\n", 1, .crashed(qemuStatus: 1)),
    ("HERMIT-STATUS exit=-1\n", 255, .crashed(qemuStatus: 255)),
    ("HERMIT-STATUS exit=\n", 1, .crashed(qemuStatus: 1)),
    ("HERMIT-STATUS exit=1x\n", 3, .crashed(qemuStatus: 3)),
    ("HERMIT-STATUS exit= 1\n", 3, .crashed(qemuStatus: 3)),
    ("HERMIT-STATUS bogus\n", 1, .crashed(qemuStatus: 1)),
    ("HERMIT-STATUS \n", 1, .crashed(qemuStatus: 1)),
    ("HERMIT-STATUS pan", 255, .crashed(qemuStatus: 255)),  // cut off mid-write
    // Panic: whatever QEMU says.
    ("HERMIT-STATUS panic\n", 255, .panicked),
    ("HERMIT-STATUS panic\n", 0, .panicked),
    ("HERMIT-STATUS panic\n", 1, .panicked),
    ("HERMIT-STATUS panic", 137, .panicked),
    // No record: status 0 is a reset (triple fault with -no-reboot), others crashed.
    ("", 0, .reset),
    ("", 1, .crashed(qemuStatus: 1)),
    ("", 3, .crashed(qemuStatus: 3)),
    ("", 255, .crashed(qemuStatus: 255)),
    ("", -1, .crashed(qemuStatus: -1)),
    ("boot noise\nmore noise\n", 0, .reset),
    ("hermit-status exit=0\n", 1, .crashed(qemuStatus: 1)),  // the prefix is case-sensitive
    ("HERMIT-STATUSexit=0\n", 1, .crashed(qemuStatus: 1)),
    (" HERMIT-STATUS exit=0\n", 1, .crashed(qemuStatus: 1)),
    // Several lines: the last record wins; other lines are ignored.
    ("HERMIT-STATUS exit=1\nHERMIT-STATUS exit=2\n", 5, .exited(2)),
    ("HERMIT-STATUS exit=1\nHERMIT-STATUS exit=2\n", 3, .crashed(qemuStatus: 3)),
    ("HERMIT-STATUS exit=0\nHERMIT-STATUS panic\n", 1, .panicked),
    ("HERMIT-STATUS panic\nHERMIT-STATUS exit=0\n", 1, .exited(0)),
    ("HERMIT-STATUS exit=7\nnoise after\n\n", 15, .exited(7)),
    ("noise\nHERMIT-STATUS exit=9\nmore", 19, .exited(9)),
    ("\n\n\nHERMIT-STATUS exit=4\n\n", 9, .exited(4)),
  ]

  @Test(arguments: decodings)
  func decodeJudgesRecordAndQEMUStatusTogether(
    record: String, qemuStatus: Int32, expected: GuestStatus
  ) {
    #expect(GuestStatus.decode(record: record, qemuExitStatus: qemuStatus) == expected)
  }

  @Test func recordsAreTheDocumentedLines() {
    #expect(GuestStatus.exitRecord(0) == "HERMIT-STATUS exit=0\n")
    #expect(GuestStatus.exitRecord(255) == "HERMIT-STATUS exit=255\n")
    #expect(GuestStatus.panicRecord == "HERMIT-STATUS panic\n")
    #expect(GuestStatus.recordPrefix == "HERMIT-STATUS ")
  }

  @Test(arguments: [
    (UInt8(0), UInt8(0), Int32(1)), (1, 1, 3), (127, 127, 255), (128, 0, 1), (255, 127, 255),
  ])
  func exitValueKeepsSevenBits(code: UInt8, value: UInt8, qemuStatus: Int32) {
    #expect(GuestStatus.exitValue(code) == value)
    #expect(GuestStatus.qemuStatus(forExitValue: value) == qemuStatus)
  }

  @Test func panicWritesTheHighestValue() {
    #expect(GuestStatus.panicExitValue == 0x7f)
    #expect(GuestStatus.qemuStatus(forExitValue: GuestStatus.panicExitValue) == 255)
  }

  @Test func everyExitCodeRoundTripsThroughRecordAndStatus() {
    for code in UInt8.min...UInt8.max {
      let status = GuestStatus.qemuStatus(forExitValue: GuestStatus.exitValue(code))
      let decoded = GuestStatus.decode(record: GuestStatus.exitRecord(code), qemuExitStatus: status)
      #expect(decoded == .exited(code), "exit(\(code))")
    }
  }

  @Test func exitRecordAfterBootOutputRoundTrips() {
    let record = "loader: hello\n" + GuestStatus.exitRecord(3)
    #expect(GuestStatus.decode(record: record, qemuExitStatus: 7) == .exited(3))
  }
}
