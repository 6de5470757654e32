/**
 * quickScan (the fast path of the header and index parsers) must never disagree with the full
 * scanner: whenever it answers, there is no duplicate key and the depth is the same; it declines
 * (null) for anything it cannot prove, and duplicates always reach the full scanner.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quickScan, scanJson } from "../src/formats/json-scan.js";

const enc = new TextEncoder();
const key = fc.oneof(fc.constantFrom("a", "dtype", "shape", ":", ": x", " :", "weight_map", "__proto__", "a.b.0"), fc.string({ maxLength: 6 }));

/** JSON text built by hand so it can hold duplicate keys and odd spacing. */
const jsonText: fc.Arbitrary<string> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant("1"), fc.constant('"v"'), fc.constant('": c"'), fc.constant("null"), tie("object"), tie("array")),
  object: fc
    .array(fc.tuple(key, tie("value"), fc.constantFrom("", " ", "\n  ")), { maxLength: 5 })
    .chain((entries) =>
      // sometimes repeat a key
      fc.boolean().map((dup) => {
        const list = dup && entries.length > 0 ? [...entries, entries[0]!] : entries;
        return `{${list.map(([k, v, ws]) => `${JSON.stringify(k)}${ws}:${ws}${v}`).join(",")}}`;
      }),
    ),
  array: fc.array(tie("value"), { maxLength: 4 }).map((xs) => `[${xs.join(",")}]`),
})).object as fc.Arbitrary<string>;

describe("quickScan agrees with scanJson", () => {
  it("on 10,000 generated documents (duplicates, colons in strings, escapes, odd spacing)", () => {
    let answered = 0;
    let declined = 0;
    fc.assert(
      fc.property(jsonText, fc.integer({ min: 2, max: 8 }), (text, depthLimit) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return;
        }
        const bytes = enc.encode(text);
        const full = scanJson(bytes, { depthLimit, trackKeys: () => true });
        const quick = quickScan(bytes, parsed, depthLimit);
        if (quick === null) {
          declined++;
          return;
        }
        answered++;
        // too deep is fatal whatever else the document holds: both must say so
        expect(quick.tooDeep).toBe(full.tooDeep);
        if (!full.tooDeep) {
          expect(full.duplicateCount).toBe(0);
          expect(quick.maxDepth).toBe(full.maxDepth);
        }
      }),
      { numRuns: 10_000, seed: 20261128 },
    );
    console.log(`quickScan: answered ${answered}, declined ${declined} of 10,000 documents`);
    expect(answered).toBeGreaterThan(1000);
  });

  it("a duplicate key never passes the fast path", () => {
    const text = '{"a":{"dtype":"F16","dtype":"BF16"},"b":": x"}';
    expect(quickScan(enc.encode(text), JSON.parse(text), 10)).toBeNull();
    const dupTop = '{"a":1,"b":": z","a":2}';
    expect(quickScan(enc.encode(dupTop), JSON.parse(dupTop), 10)).toBeNull();
  });
});
