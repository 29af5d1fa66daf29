// A function's interrupt: MSI-X when it has it, else its INTx# pin.
//
// INTx# (PCI Local Bus 3.0 §2.2.6) is level-sensitive and active low on the
// bus. The firmware writes where it routed the pin into the interrupt line
// register (§6.2.4: "the value ... is system architecture specific"); on a PC
// that is an ISA IRQ. QEMU's `pc` and `q35` route INTA#–INTD# through the
// chipset's PIRQ router to ISA IRQs 5, 9, 10 or 11, and their MADT carries an
// interrupt source override for each (level-triggered, active high at the I/O
// APIC: the router inverts), which ACPI.isaInterrupt applies. Without an
// override the bus's own polarity holds: level, active low. A line of 16 or
// more is taken as a GSI (an I/O APIC pin past the ISA range).
//
// QEMU `pc` quirk: qboot (the runtime's firmware) computes the line register
// with the 1-based pin where the wiring uses the 0-based one, so a device in
// slot 2 reads IRQ 11 while its INTA# really arrives on IRQ 10. On the
// i440FX/PIIX3 the route is read from the chipset instead: device d's pin p
// drives PIRQ[(p - 1 + d - 1) mod 4] (the board's rotation, as QEMU's
// piix pci_slot_get_pirq wires it), and the PIIX3's PIRQRC[A:D] registers
// (82371SB datasheet §2.2.10, ISA bridge config 0x60–0x63; bit 7 = disabled)
// hold the ISA IRQ each PIRQ goes to.

extension PCIFunction {
  static let noInterruptLine: UInt8 = 0xFF

  /// The INTx line the firmware assigned, nil if the function has no pin or the
  /// firmware routed none.
  var interruptLineNumber: UInt8? {
    let pin = read8(Self.interruptPin)
    guard pin != 0 else { return nil }
    if let routed = piixRoutedIRQ(pin: pin) { return routed }
    let line = read8(Self.interruptLine)
    return line == Self.noInterruptLine ? nil : line
  }

  static let i440fxHostBridge: (vendor: UInt16, device: UInt16) = (0x8086, 0x1237)
  static let piix3ISABridge: (vendor: UInt16, device: UInt16) = (0x8086, 0x7000)
  static let piixPIRQRouteControl: UInt16 = 0x60  // PIRQRC[A:D], one byte each
  static let piixRoutingDisabled: UInt8 = 1 << 7  // IRQRouteEn#: PIRQ not routed

  /// The ISA IRQ the PIIX3 routes this bus-0 function's `pin` to, nil on other
  /// chipsets or when the PIRQ is not routed.
  private func piixRoutedIRQ(pin: UInt8) -> UInt8? {
    guard bus == 0, device > 0, (1...4).contains(pin) else { return nil }
    let host = PCIFunction(bus: 0, device: 0, function: 0)
    let isa = PCIFunction(bus: 0, device: 1, function: 0)
    guard host.vendor == Self.i440fxHostBridge.vendor,
      host.deviceIdentifier == Self.i440fxHostBridge.device,
      isa.vendor == Self.piix3ISABridge.vendor, isa.deviceIdentifier == Self.piix3ISABridge.device
    else { return nil }
    let pirq = (UInt16(pin) - 1 + UInt16(device) - 1) & 3
    let irq = isa.read8(Self.piixPIRQRouteControl + pirq)
    guard irq & Self.piixRoutingDisabled == 0, irq < 16 else { return nil }
    return irq
  }

  /// Calls `handler` on the function's interrupt: MSI-X entry 0 when there is
  /// an MSI-X capability (and `allowMSIX`), else the INTx line. A
  /// level-triggered INTx handler must acknowledge the device, or the line
  /// stays asserted.
  /// - Returns: how it is wired, nil if it cannot interrupt.
  func onInterrupt(
    name: StaticString, allowMSIX: Bool = true, handler: @escaping () -> Void
  ) -> InterruptRoute? {
    if allowMSIX && enableMSIX(name: name, handler: handler) { return .msix }
    guard let line = interruptLineNumber else { return nil }
    var gsi = UInt32(line)
    var level = true
    var activeLow = true
    if line < 16, let override = ACPI.overrides.first(where: { $0.source == line }) {
      gsi = override.gsi
      level = override.level
      activeLow = override.activeLow
    }
    disable(Self.commandInterruptDisable)
    guard
      Interrupts.register(
        gsi: gsi, level: level, activeLow: activeLow, name: name, handler: handler)
    else { return nil }
    return .intx(gsi: gsi)
  }

  enum InterruptRoute {
    case msix
    case intx(gsi: UInt32)
  }
}
