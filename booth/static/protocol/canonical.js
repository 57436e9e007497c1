// Canonical JSON (PROTOCOL.md §2) and the hex forms of points and scalars.
//
// The twin of crypto/canonical.py: UTF-8, keys sorted by code point, no
// whitespace, no floats, the same string escapes as Python's json.dumps with
// ensure_ascii=False. Two encoders that disagree by one byte would make every
// digest differ, so tests/js checks this one against Python's bytes.
import { fromHex, pointFromBytes, scalarFromBytes, scalarToBytes, toHex } from "./group.js";
import { InvalidEncoding, InvalidPoint, InvalidScalar } from "./errors.js";

const utf8 = new TextEncoder();
const SHORT_ESCAPES = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\b": "\\b", "\f": "\\f" };

function codePointCompare(a, b) {
  const x = Array.from(a), y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

function quote(text, path) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw surrogate(path);
      out += ch + text[i + 1];
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      throw surrogate(path);
    } else if (SHORT_ESCAPES[ch]) {
      out += SHORT_ESCAPES[ch];
    } else if (unit < 0x20) {
      out += "\\u" + unit.toString(16).padStart(4, "0");
    } else {
      out += ch;
    }
  }
  return out + '"';
}

function surrogate(path) {
  return new InvalidEncoding(`${path || "value"}: text with an unpaired surrogate has no ` +
                             "UTF-8 form", "json-surrogate");
}

function text(value, path) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return quote(value, path);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidEncoding(`${path || "value"}: floating-point numbers are not allowed`,
                                "json-float");
    }
    return String(value);
  }
  if (value instanceof Uint8Array) return quote(toHex(value), path);
  if (Array.isArray(value)) {
    return "[" + value.map((item, i) => text(item, `${path}[${i}]`)).join(",") + "]";
  }
  if (typeof value === "object") {
    const keys = Object.keys(value).sort(codePointCompare);
    return "{" + keys.map((k) => quote(k, path) + ":" +
                          text(value[k], path ? `${path}.${k}` : k)).join(",") + "}";
  }
  throw new InvalidEncoding(`${path || "value"}: ${typeof value} has no JSON form`, "json-type");
}

/** The canonical JSON bytes of a value. */
export function canonicalJson(value) {
  return utf8.encode(text(value, ""));
}

/** The canonical JSON text of a value. */
export function canonicalText(value) {
  return text(value, "");
}

/**
 * Parse JSON that must already be canonical (the manifest as hashed, a board
 * line): anything else (whitespace, floats, duplicate keys, unsorted keys,
 * integers beyond 2**53) fails to round-trip and is refused.
 */
export function parseCanonical(input, what = "JSON") {
  const source = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true })
    .decode(input);
  let value;
  try {
    value = JSON.parse(source);
  } catch (exc) {
    throw new InvalidEncoding(`${what}: malformed JSON (${exc.message})`, "json-malformed",
                              { what });
  }
  if (canonicalText(value) !== source) {
    throw new InvalidEncoding(`${what}: not in canonical JSON form`, "json-not-canonical",
                              { what });
  }
  return value;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Lowercase hex of exactly `length` bytes, or a named error. */
export function hexBytes(value, length, what) {
  if (typeof value !== "string" || value.length !== 2 * length || !/^[0-9a-f]*$/.test(value)) {
    throw new InvalidEncoding(`${what}: expected ${2 * length} lowercase hex characters`,
                              "hex", { what, length });
  }
  return fromHex(value);
}

export function pointFromHex(value, what = "point") {
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw new InvalidPoint(`${what}: expected 64 lowercase hex characters`, "hex", { what });
  }
  try {
    return pointFromBytes(fromHex(value));
  } catch (exc) {
    throw new InvalidPoint(`${what}: ${exc.message}`, exc.code, { what });
  }
}

export function scalarFromHex(value, what = "scalar") {
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw new InvalidScalar(`${what}: expected 64 lowercase hex characters`, "hex", { what });
  }
  try {
    return scalarFromBytes(fromHex(value));
  } catch (exc) {
    throw new InvalidScalar(`${what}: ${exc.message}`, exc.code, { what });
  }
}

export function scalarHex(k) {
  return toHex(scalarToBytes(k));
}
