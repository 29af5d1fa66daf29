/// 32-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/): a short, stable
/// name-derived value where a collision is harmless and no secrecy is needed
/// (a NIC's MAC, a tap's name).
public enum FNV1a {
  static let offsetBasis: UInt32 = 2_166_136_261
  static let prime: UInt32 = 16_777_619

  public static func hash(_ text: String) -> UInt32 {
    var hash = offsetBasis
    for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* prime }
    return hash
  }
}
