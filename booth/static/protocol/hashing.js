// enc, HB and HS of PROTOCOL.md §2 (the twin of crypto/hashing.py).
//
// Items: a Point is its 32 bytes; a Uint8Array is taken as it is (scalars are
// passed as scalarToBytes(k)); a bigint or an integer Number is 8 bytes big-endian
// unsigned; a string is its UTF-8 bytes.
import { sha256, sha512 } from "../vendor/noble.js";
import { bytesToIntLE, L, Point, toHex } from "./group.js";

export const TAG_PREFIX = "piaojue/v1/";
const utf8 = new TextEncoder();

function itemBytes(item) {
  if (item instanceof Point) return item.toBytes();
  if (item instanceof Uint8Array) return item;
  if (typeof item === "string") return utf8.encode(item);
  if (typeof item === "bigint" || (typeof item === "number" && Number.isInteger(item))) {
    const v = BigInt(item);
    if (v < 0n || v >= 2n ** 64n) throw new RangeError("integers are encoded as 8 unsigned bytes");
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, v, false);
    return out;
  }
  throw new TypeError(`no protocol encoding for ${typeof item}`);
}

/** Length-prefixed concatenation: 4-byte big-endian length, then the bytes. */
export function enc(...items) {
  const parts = items.map(itemBytes);
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length, false);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

function checkTag(tag) {
  if (typeof tag !== "string" || !tag.startsWith(TAG_PREFIX) || !/^[\x00-\x7f]*$/.test(tag)) {
    throw new RangeError(`protocol tags are ASCII and start with ${TAG_PREFIX}`);
  }
}

/** SHA-256 of enc(tag, items...): digests and chain values. */
export function HB(tag, ...items) {
  checkTag(tag);
  return sha256(enc(tag, ...items));
}

/** SHA-512 of enc(tag, items...) read little-endian mod L: challenges. */
export function HS(tag, ...items) {
  checkTag(tag);
  return bytesToIntLE(sha512(enc(tag, ...items))) % L;
}

/** A grouped hex prefix of a digest, short enough to compare by eye ("1A2B 3C4D ..."). */
export function fingerprint(digest, groups = 4) {
  const text = toHex(digest).slice(0, 4 * groups).toUpperCase();
  return text.match(/.{1,4}/g).join(" ");
}
