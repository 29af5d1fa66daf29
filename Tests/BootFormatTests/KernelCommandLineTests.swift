import BootFormat
import Testing

@Suite struct KernelCommandLineTests {
  /// App argument lists that must survive encode → parse unchanged.
  static let argumentLists: [[String]] = [
    [],
    ["hello"],
    ["hello world"],
    ["say \"hi\""],
    ["C:\\path\\to", "trailing\\"],
    ["\\\"", "\"", "\"\"", "\\\\"],
    [""],
    ["", "", ""],
    ["a", "", "b"],
    ["  leading", "trailing  ", "  ", " "],
    ["tab\there", "\t", "\t\t"],
    ["héllo", "日本語", "🦊 fox", "e\u{301}"],
    ["line\nbreak", "cr\r\nlf"],
    ["--"],
    ["--", "--", "x"],
    ["quiet"],
    ["quiet", "env=A=B", "ip=1.2.3.4/8", "gateway=1.2.3.1", "name=x", "--", "quiet"],
    ["a\"b c\\d", "\"quoted\"", "un\"balanced"],
    ["-", "-q", "---"],
  ]

  /// Options (without `unknown`, which encode does not write) that must survive too.
  static let optionSets: [KernelOptions] = [
    KernelOptions(),
    KernelOptions(quiet: true),
    KernelOptions(environment: ["HOME=/", "PATH=/bin:/usr/bin", "HOME=/root"]),
    KernelOptions(environment: ["GREETING=hello world", "EMPTY=", "Q=\"x\"", "B=a\\b"]),
    KernelOptions(ip: "10.88.0.5/16", gateway: "10.88.0.1"),
    KernelOptions(name: "my app"),
    KernelOptions(name: ""),
    KernelOptions(name: "--"),
    KernelOptions(
      quiet: true, environment: ["A=1", "B=2"], ip: "10.0.2.15/24", gateway: "10.0.2.2",
      dns: "10.0.2.3", name: "hello"),
  ]

  @Test(arguments: argumentLists)
  func argumentsSurviveEncodeThenParse(arguments: [String]) {
    let line = KernelCommandLine.encode(KernelOptions(), arguments: arguments)
    let parsed = KernelCommandLine.parse(line)
    #expect(parsed.arguments == arguments, "line: \(line)")
    #expect(parsed.options == KernelOptions())
  }

  @Test(arguments: optionSets, argumentLists)
  func optionsAndArgumentsSurviveEncodeThenParse(options: KernelOptions, arguments: [String]) {
    let line = KernelCommandLine.encode(options, arguments: arguments)
    let parsed = KernelCommandLine.parse(line)
    #expect(parsed.options == options, "line: \(line)")
    #expect(parsed.arguments == arguments, "line: \(line)")
    // The loader's Multiboot command line puts the image path in front.
    let booted = KernelCommandLine.parse("/boot/hermit-loader " + line, skippingImageName: true)
    #expect(booted.options == options)
    #expect(booted.arguments == arguments)
  }

  @Test(arguments: optionSets, argumentLists)
  func hasQuietAgreesWithParseOnEncodedLines(options: KernelOptions, arguments: [String]) {
    let line = KernelCommandLine.encode(options, arguments: arguments)
    let found = Array(line.utf8).withUnsafeBytes { KernelCommandLine.hasOption("quiet", in: $0) }
    #expect(found == options.quiet, "line: \(line)")
  }

  static let encodedLines: [(KernelOptions, [String], String)] = [
    (KernelOptions(), [], "--"),
    (KernelOptions(quiet: true), ["a"], "quiet -- a"),
    (KernelOptions(), ["x y", ""], #"-- "x y" """#),
    (KernelOptions(), [#"say "hi""#, #"a\b"#], #"-- "say \"hi\"" "a\\b""#),
    (KernelOptions(), ["quiet", "--"], "-- quiet --"),
    (
      KernelOptions(environment: ["HOME=/", "GREETING=hello world"], name: "hello"), [],
      #"name=hello env=HOME=/ "env=GREETING=hello world" --"#
    ),
    (
      KernelOptions(quiet: true, ip: "10.0.2.15/24", gateway: "10.0.2.2"), ["serve"],
      "quiet ip=10.0.2.15/24 gateway=10.0.2.2 -- serve"
    ),
  ]

  @Test(arguments: encodedLines)
  func encodeWritesTheDocumentedGrammar(options: KernelOptions, arguments: [String], line: String) {
    #expect(KernelCommandLine.encode(options, arguments: arguments) == line)
  }

  static let parsedLines: [(String, KernelOptions, [String])] = [
    ("", KernelOptions(), []),
    ("quiet", KernelOptions(quiet: true), []),
    ("quiet quiet", KernelOptions(quiet: true), []),
    ("env=A=1 env=B=2 env=A=3", KernelOptions(environment: ["A=1", "B=2", "A=3"]), []),
    ("env= env==", KernelOptions(environment: ["", "="]), []),
    (
      "ip=10.0.2.15/24 gateway=10.0.2.2", KernelOptions(ip: "10.0.2.15/24", gateway: "10.0.2.2"), []
    ),
    ("ip=1.1.1.1/8 ip=2.2.2.2/16", KernelOptions(ip: "2.2.2.2/16"), []),
    ("name=hello -- a b", KernelOptions(name: "hello"), ["a", "b"]),
    ("name=", KernelOptions(name: ""), []),
    ("verbose foo=bar QUIET -- x", KernelOptions(unknown: ["verbose", "foo=bar", "QUIET"]), ["x"]),
    ("-- quiet env=X=1 name=n", KernelOptions(), ["quiet", "env=X=1", "name=n"]),
    ("quiet -- -- a", KernelOptions(quiet: true), ["--", "a"]),
    ("   quiet\t\t--  a   b  ", KernelOptions(quiet: true), ["a", "b"]),
    ("a b", KernelOptions(unknown: ["a", "b"]), []),
    (#"-- "a b" c\"d"#, KernelOptions(), ["a b", #"c\d"#]),
    (#""env=K=v w" -- """#, KernelOptions(environment: ["K=v w"]), [""]),
    ("--", KernelOptions(), []),
    ("-- ", KernelOptions(), []),
    ("--x", KernelOptions(unknown: ["--x"]), []),
  ]

  @Test(arguments: parsedLines)
  func parseReadsOptionsThenArguments(line: String, options: KernelOptions, arguments: [String]) {
    let parsed = KernelCommandLine.parse(line)
    #expect(parsed.options == options)
    #expect(parsed.arguments == arguments)
  }

  static let imageNameLines: [(String, KernelOptions, [String])] = [
    ("build/hermit-loader quiet -- a", KernelOptions(quiet: true), ["a"]),
    ("build/hermit-loader", KernelOptions(), []),
    ("", KernelOptions(), []),
    ("   ", KernelOptions(), []),
    (#""/path with space/loader" name=x"#, KernelOptions(name: "x"), []),
    ("quiet -- a", KernelOptions(), ["a"]),  // the first token is dropped whatever it is
    ("-- a b", KernelOptions(unknown: ["a", "b"]), []),
  ]

  @Test(arguments: imageNameLines)
  func skippingImageNameDropsTheFirstToken(
    line: String, options: KernelOptions, arguments: [String]
  ) {
    let parsed = KernelCommandLine.parse(line, skippingImageName: true)
    #expect(parsed.options == options)
    #expect(parsed.arguments == arguments)
  }

  @Test func withoutSkippingTheImageNameItIsAnUnknownOption() {
    let parsed = KernelCommandLine.parse("build/hermit-loader quiet -- a")
    #expect(parsed.options == KernelOptions(quiet: true, unknown: ["build/hermit-loader"]))
    #expect(parsed.arguments == ["a"])
  }

  static let splitLines: [(String, [String])] = [
    ("", []),
    ("   ", []),
    ("\t \t", []),
    ("a b", ["a", "b"]),
    ("a\tb", ["a", "b"]),
    ("  a  b  ", ["a", "b"]),
    (#""a b""#, ["a b"]),
    ("\"a\tb\"", ["a\tb"]),
    (#""""#, [""]),
    (#""" """#, ["", ""]),
    (#"x""y"#, ["xy"]),
    (#"pre"mid dle"post"#, ["premid dlepost"]),
    (#""unterminated quote"#, ["unterminated quote"]),
    (#""ends with backslash\"#, ["ends with backslash"]),
    (#"a\ b"#, [#"a\"#, "b"]),
    (#""a\\b\"c""#, [#"a\b"c"#]),
    (#""\x""#, ["x"]),
    ("\"日本 語\" ü", ["日本 語", "ü"]),
    ("a\nb c\rd", ["a\nb", "c\rd"]),
  ]

  @Test(arguments: splitLines)
  func splitHonoursQuotesAndEscapes(line: String, tokens: [String]) {
    #expect(KernelCommandLine.split(line) == tokens)
  }

  static let quotedTokens: [(String, String)] = [
    ("", #""""#),
    ("plain", "plain"),
    ("a b", #""a b""#),
    ("a\tb", "\"a\tb\""),
    (#"say "hi""#, #""say \"hi\"""#),
    (#"a\b"#, #""a\\b""#),
    ("日本", "日本"),
    ("--", "--"),
    ("line\nbreak", "line\nbreak"),
    ("env=A=1", "env=A=1"),
  ]

  @Test(arguments: quotedTokens)
  func quoteAddsQuotesOnlyWhenNeeded(token: String, quoted: String) {
    #expect(KernelCommandLine.quote(token) == quoted)
    #expect(KernelCommandLine.split(quoted) == [token])
  }

  static let optionLines: [(String, Bool)] = [
    ("quiet", true),
    ("quiet -- a", true),
    ("env=A=1 quiet", true),
    ("\tquiet\t", true),
    ("  quiet  ", true),
    ("---- quiet", true),
    ("x--y quiet", true),
    (#""a quiet b" quiet"#, true),
    ("-- quiet", false),
    ("a -- quiet", false),
    ("a\t--\tquiet", false),
    ("quieter", false),
    ("notquiet", false),
    ("quiet=1", false),
    (#""a quiet b""#, false),
    (#"env="x quiet" -- y"#, false),
    ("", false),
    ("--", false),
    ("-", false),
  ]

  @Test(arguments: optionLines)
  func hasOptionLooksOnlyBeforeTheSeparatorAndOutsideQuotes(line: String, found: Bool) {
    let bytes = Array(line.utf8)
    #expect(bytes.withUnsafeBytes { KernelCommandLine.hasOption("quiet", in: $0) } == found)
  }

  @Test func hasOptionMatchesOtherNamesToo() {
    let bytes = Array("verbose quiet -- debug".utf8)
    bytes.withUnsafeBytes { line in
      #expect(KernelCommandLine.hasOption("verbose", in: line))
      #expect(KernelCommandLine.hasOption("quiet", in: line))
      #expect(!KernelCommandLine.hasOption("debug", in: line))
      #expect(!KernelCommandLine.hasOption("verbos", in: line))
    }
  }

  @Test func hasOptionOnAnEmptyBufferIsFalse() {
    #expect(!KernelCommandLine.hasOption("quiet", in: UnsafeRawBufferPointer(start: nil, count: 0)))
  }

  /// `hasOption` toggles its quote state on every `"`, including the escaped `\"`
  /// that `quote` writes, so an option value holding `" quiet "` makes a bare
  /// `quiet` appear where `parse` sees one quoted token.
  @Test func hasOptionHonoursEscapedQuotesLikeParse() {
    let options = KernelOptions(environment: [#"X=a" quiet "b"#])
    let line = KernelCommandLine.encode(options, arguments: [])
    #expect(line == #""env=X=a\" quiet \"b" --"#)
    #expect(KernelCommandLine.parse(line).options == options)
    let found = Array(line.utf8).withUnsafeBytes { KernelCommandLine.hasOption("quiet", in: $0) }
    #expect(!found)
  }
}
