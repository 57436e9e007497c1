// Edge cases both implementations must decide alike (tests/vectors/encodings_v1.json,
// every verdict made by Python: libsodium for points, json.dumps for canonical JSON).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { canonicalText, parseCanonical } from "../../booth/static/protocol/canonical.js";
import { normalizeCode } from "../../booth/static/protocol/credentials.js";
import { InvalidCredentialCode, InvalidEncoding, InvalidPoint } from
  "../../booth/static/protocol/errors.js";
import { fromHex, pointFromBytes, scalarFromBytes, scalarToBytes, L } from
  "../../booth/static/protocol/group.js";

const VECTORS = JSON.parse(readFileSync(new URL("../vectors/encodings_v1.json", import.meta.url)));

test("every point is accepted or refused exactly as libsodium decides", () => {
  for (const [hex, valid] of VECTORS.points) {
    if (valid) {
      assert.equal([...pointFromBytes(fromHex(hex)).toBytes()].join(), [...fromHex(hex)].join());
    } else {
      assert.throws(() => pointFromBytes(fromHex(hex)), InvalidPoint, hex);
    }
  }
  assert.throws(() => pointFromBytes(new Uint8Array(31)), InvalidPoint);
});

test("canonical JSON is Python's, byte for byte, and only canonical text parses", () => {
  for (const [value, text] of VECTORS.canonical) {
    assert.equal(canonicalText(value), text);
    assert.deepEqual(parseCanonical(text), value);
  }
  for (const bad of ['{"b":1,"a":2}', '{"a":1,"a":1}', '{"a": 1}', "[1.0]", "[1e3]", "01",
                     '"\\u00e9"', "[9007199254740993]"]) {
    assert.throws(() => parseCanonical(bad), InvalidEncoding, bad);
  }
  assert.throws(() => canonicalText({ x: 0.5 }), InvalidEncoding);
  assert.throws(() => canonicalText("\ud800"), InvalidEncoding);
});

test("typed codes normalise as Python's, and mistakes are refused with a reason", () => {
  for (const [typed, normalized] of VECTORS.codes) {
    if (normalized === null) {
      assert.throws(() => normalizeCode(typed), InvalidCredentialCode, typed);
    } else {
      assert.equal(normalizeCode(typed), normalized);
    }
  }
  const reasons = (typed) => {
    try {
      normalizeCode(typed);
    } catch (exc) {
      return exc.code;
    }
    return null;
  };
  const [[good]] = VECTORS.codes;
  assert.equal(reasons(good.slice(0, -2)), "code-length");
  assert.equal(reasons(good.slice(0, -1) + (good.endsWith("A") ? "B" : "A")), "code-checksum");
  assert.equal(reasons(good + "U"), "code-character");
});

test("scalars: 32 bytes little-endian below L, nothing else", () => {
  assert.equal(scalarFromBytes(scalarToBytes(L - 1n)), L - 1n);
  assert.equal(scalarFromBytes(scalarToBytes(L)), 0n);
  const tooBig = new Uint8Array(32).fill(0xff);
  assert.throws(() => scalarFromBytes(tooBig), /below the group order/);
  assert.throws(() => scalarFromBytes(new Uint8Array(33)), /exactly 32 bytes/);
});
