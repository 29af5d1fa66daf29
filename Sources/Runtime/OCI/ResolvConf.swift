/// resolv.conf(5) as far as a guest needs it: the DNS server to hand it.
enum ResolvConf {
  /// The first `nameserver` line's address that a guest can use: IPv4, and not
  /// on loopback (127.0.0.0/8 is the host's own resolver, such as
  /// systemd-resolved's 127.0.0.53, which the guest cannot reach).
  static func firstNameserver(in text: String) -> String? {
    for line in text.split(whereSeparator: \.isNewline) {
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard words.count >= 2, words[0] == "nameserver" else { continue }
      let octets = words[1].split(separator: ".", omittingEmptySubsequences: false)
      guard octets.count == 4,
        octets.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } && UInt8($0) != nil }),
        UInt8(octets[0]) != 127
      else { continue }
      return String(words[1])
    }
    return nil
  }
}
