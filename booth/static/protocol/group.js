// The prime-order subgroup of edwards25519 (PROTOCOL.md §1), over @noble/curves.
//
// Points are noble's Edwards points; scalars are bigints mod L. As in
// crypto/group.py, k*O = O and 0*P = O are defined here (noble refuses a zero
// scalar), while the identity is never accepted from outside.
import { ed25519 } from "../vendor/noble.js";
import { InvalidPoint, InvalidScalar } from "./errors.js";

/** The order of the subgroup and of G. */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const IDENTITY_HEX = "01" + "00".repeat(31);

/**
 * What the rest of this module needs from a curve library. noble is the default
 * and the only one the booth uses; the verifier swaps in libsodium compiled to
 * WebAssembly (sodium_group.js), which multiplies by a point it has not seen
 * before about eight times faster. The two must agree on every point they
 * accept and every product: tests/js/ runs the shared vectors through both.
 */
const NOBLE = Object.freeze({
  name: "noble",
  Point: ed25519.Point,
  /** A point of the prime-order subgroup other than O, or null (any other bytes). */
  decodeValid(bytes) {
    let p;
    try {
      p = ed25519.Point.fromBytes(bytes, false);
    } catch {
      return null;
    }
    if (p.is0() || p.isSmallOrder() || !p.isTorsionFree() || toHex(p.toBytes()) !== toHex(bytes)) {
      return null;
    }
    return p;
  },
  withTable(P) {
    return ed25519.Point.fromBytes(P.toBytes()).precompute(8, false);
  },
});

let backend = NOBLE;
/** The class of this module's points, for `instanceof` (hashing.js). */
export let Point = NOBLE.Point;
export let G = NOBLE.Point.BASE;
export let IDENTITY = NOBLE.Point.ZERO;

/**
 * Use another curve library from now on, in this whole realm (a worker, a Node
 * process). Points made before the switch must not be mixed with points made after.
 */
export function useBackend(chosen) {
  backend = chosen;
  Point = chosen.Point;
  G = chosen.Point.BASE;
  IDENTITY = chosen.Point.ZERO;
  baseTable = null;
  smallMultiples.clear();
}

export function mod(k) {
  const r = k % L;
  return r < 0n ? r + L : r;
}

/** 32 bytes little-endian of k mod L. */
export function scalarToBytes(k) {
  let v = mod(BigInt(k));
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export function bytesToIntLE(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Read a scalar from outside: exactly 32 bytes, value below L. */
export function scalarFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new InvalidScalar("a scalar must be exactly 32 bytes", "scalar-length");
  }
  const v = bytesToIntLE(bytes);
  if (v >= L) throw new InvalidScalar("a scalar must be below the group order L", "scalar-range");
  return v;
}

/**
 * Read a point from outside, rejecting everything §1 forbids: wrong length,
 * non-canonical, off the curve, small order, outside the prime-order subgroup,
 * and the identity (libsodium's crypto_core_ed25519_is_valid_point).
 */
export function pointFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new InvalidPoint("a point must be exactly 32 bytes", "point-length");
  }
  if (toHex(bytes) === IDENTITY_HEX) {
    throw new InvalidPoint("the identity point is not allowed here", "point-identity");
  }
  const p = backend.decodeValid(bytes);
  if (p === null) throw invalidPoint();
  return p;
}

function invalidPoint() {
  return new InvalidPoint("not a canonical point of the prime-order subgroup " +
                          "(off the curve, small order or non-canonical)", "point-invalid");
}

/** k*P for a secret k (constant time); k = 0 gives the identity. */
export function mul(P, k) {
  const s = mod(BigInt(k));
  if (s === 0n || P.is0()) return IDENTITY;
  return P.multiply(s);
}

/** k*P for a public k (variable time, as a verifier may use). */
export function mulPublic(P, k) {
  const s = mod(BigInt(k));
  if (s === 0n || P.is0()) return IDENTITY;
  return P.multiplyUnsafe(s);
}

let baseTable = null;
/**
 * G with a window-8 table of its own, built on first use (about 90 ms): noble's
 * default table for G is smaller, and every proof multiplies G dozens of times.
 */
function tableOfG() {
  if (baseTable === null) baseTable = withTable(G);
  return baseTable;
}

/** k*G for a secret k, constant time, on G's table. */
export function baseMul(k) {
  return mul(tableOfG(), k);
}

/** k*G for a public k, on G's table. */
export function baseMulPublic(k) {
  return mulPublic(tableOfG(), k);
}

const smallMultiples = new Map();
/** m*G for small plaintexts, cached: proofs use j*G over and over. */
export function smallMultiple(m) {
  let p = smallMultiples.get(m);
  if (!p) {
    p = baseMulPublic(BigInt(m));
    smallMultiples.set(m, p);
  }
  return p;
}

export function pointSum(points) {
  return points.reduce((total, p) => total.add(p), IDENTITY);
}

export function pointToBytes(P) {
  return P.toBytes();
}

export function pointHex(P) {
  return toHex(P.toBytes());
}

/**
 * A copy of P with a precomputed table, for a key used for many multiplications
 * (the joint key): fixed-base speed instead of double-and-add.
 */
export function withTable(P) {
  return backend.withTable(P);
}

export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
