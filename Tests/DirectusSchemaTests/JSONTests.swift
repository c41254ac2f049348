import DirectusSchema
import Testing

@Suite("JSON value")
struct JSONTests {
    @Test("objects follow JavaScript key order: index keys first, ascending")
    func javaScriptKeyOrder() throws {
        let value = try JSONParser.parse(#"{"b":1,"10":2,"a":3,"2":4,"01":5,"4294967295":6}"#)
        #expect(value.objectValue?.keys == ["2", "10", "b", "a", "01", "4294967295"])
    }

    @Test("a repeated key keeps its first place and takes the last value")
    func repeatedKey() throws {
        let value = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value.jsonString == #"{"a":3,"b":2}"#)
    }

    @Test("a repeated key in a large object (the parser switches to a set past 16 keys), and long keys shared")
    func repeatedKeyInLargeObject() throws {
        let keys = (0..<40).map { "a_long_key_name_number_\($0)" }
        let text = "{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + ",\"\(keys[3])\":2,\"\(keys[30])\":3}"
        let object = try #require(try JSONParser.parse(text).objectValue)
        #expect(object.keys == keys)
        #expect(object[keys[3]] == 2)
        #expect(object[keys[30]] == 3)
        let many = try JSONParser.parse(
            "[" + Array(repeating: #"{"a_long_key_name_number_1":"x"}"#, count: 3).joined(separator: ",") + "]")
        #expect(
            many.jsonString == "["
                + Array(repeating: #"{"a_long_key_name_number_1":"x"}"#, count: 3).joined(separator: ",") + "]")
    }

    @Test("JavaScript string order (UTF-16) on ASCII, accents, the private use area and emoji")
    func javaScriptStringOrder() {
        let samples = [
            "", "a", "b", "ab", "a_b", "A", "Z", "é", "e\u{301}", "\u{E000}", "\u{FFFD}", "\u{FF21}", "😀", "😀a",
            "\u{10000}",
            "a😀", "a\u{E000}", "中文", "中", "\u{7F}", "~", "zz", "\u{800}",
        ]
        for a in samples {
            for b in samples {
                let expected = Array(a.utf16).lexicographicallyPrecedes(Array(b.utf16))
                #expect(jsStringLess(a, b) == expected, "\(a) < \(b)")
            }
        }
    }

    @Test("numbers keep their text and compare by value")
    func numbers() throws {
        let value = try JSONParser.parse("[1.50, 1.5, 1e3, 1000, -0, 0, 123456789012345, 1234567890123456789]")
        #expect(value.jsonString == "[1.50,1.5,1e3,1000,-0,0,123456789012345,1234567890123456789]")
        let array = try #require(value.arrayValue)
        #expect(array[0] == array[1])
        #expect(array[2] == array[3])
        #expect(array[4].numberValue?.doubleValue.sign == .minus, "-0 is minus zero, as in JavaScript")
        #expect(array[6].numberValue?.doubleValue == 123_456_789_012_345)
        #expect(array[7].numberValue?.doubleValue == Double("1234567890123456789"))
        #expect(
            JSONWriter(numberStyle: .javaScript).string(value)
                == "[1.5,1.5,1000,1000,0,0,123456789012345,1234567890123456800]")
    }

    @Test(
        "JavaScript number formatting",
        arguments: [
            (1e21, "1e+21"), (1e-7, "1e-7"), (123.456, "123.456"), (0.000001, "0.000001"), (255, "255"),
            (1.5, "1.5"), (-2.5e-10, "-2.5e-10"), (1.2345678901234568e20, "123456789012345680000"),
            (0.1 + 0.2, "0.30000000000000004"),
        ])
    func javaScriptNumbers(value: Double, expected: String) {
        #expect(JSONNumber(value).javaScriptText == expected)
    }

    @Test("strings: escapes, unicode, surrogate pairs")
    func strings() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\n\t\u00e9\ud83d\ude80", "é🚀"]"#)
        #expect(value.arrayValue?[0].stringValue == "a\"b\\c\n\té🚀")
        #expect(value.jsonString == #"["a\"b\\c\n\té🚀","é🚀"]"#)
    }

    @Test(
        "syntax errors name line and column",
        arguments: [
            ("{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 8),
            ("[1, 2", 1, 6),
            ("{\"a\" 1}", 1, 6),
            ("[01]", 1, 3),
            ("\"x", 1, 3),
        ])
    func syntaxErrors(text: String, line: Int, column: Int) {
        #expect {
            try JSONParser.parse(text)
        } throws: { error in
            guard let error = error as? JSONParser.SyntaxError else { return false }
            return error.line == line && error.column == column
        }
    }

    @Test("deep nesting is rejected, not a crash")
    func depthLimit() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test("YAML resolves scalars as js-yaml does")
    func yamlScalars() throws {
        let value = try YAMLReader.read(
            """
            a: yes
            b: true
            c: ~
            d: 0x1F
            e: 1_000
            f: 1.50
            g: '123'
            h: 2024-01-01
            i: .inf
            j:
            k: -0
            "10": x
            """)
        #expect(
            value.jsonString
                == #"{"10":"x","a":"yes","b":true,"c":null,"d":31,"e":1000,"f":1.5,"g":"123","h":"2024-01-01","i":null,"j":null,"k":0}"#
        )
    }

    @Test("YAML errors have positions; repeated keys are errors")
    func yamlErrors() {
        #expect(throws: YAMLReader.ReadError.self) { try YAMLReader.read("a: [1, 2\nb: 3") }
        let error = #expect(throws: YAMLReader.ReadError.self) { try YAMLReader.read("a: 1\nb: 2\na: 3\n") }
        #expect(error?.line == 1)
        #expect(error?.message.contains("Duplicated mapping key \"a\"") == true)
    }
}
