// A printable name for each NetError (Embedded Swift cannot print an enum by
// reflection).

extension NetError {
  /// The case's name, e.g. "connectionRefused".
  public var name: String {
    switch self {
    case .wouldBlock: "wouldBlock"
    case .connectionRefused: "connectionRefused"
    case .connectionReset: "connectionReset"
    case .timedOut: "timedOut"
    case .addressInUse: "addressInUse"
    case .notConnected: "notConnected"
    case .closed: "closed"
    case .noRoute: "noRoute"
    case .invalidArgument: "invalidArgument"
    case .noBuffers: "noBuffers"
    case .nameNotFound: "nameNotFound"
    case .hostUnreachable: "hostUnreachable"
    case .truncatedAnswer: "truncatedAnswer"
    }
  }
}
