// The group of PROTOCOL.md §1 on libsodium compiled to WebAssembly, for the verifier.
//
// Why a second curve library under group.js: a verifier knows no nonce, so each
// branch of each range proof costs two products by points it has never seen,
// and each point read from a record one more (L·P = O). noble does those in
// BigInt arithmetic at about 1.2 ms each on this project's reference machine;
// libsodium's WebAssembly build takes about 0.15 ms, which is what makes a
// 500-ballot record verifiable in a browser in minutes rather than an hour.
// It is the same C library the Python verifier uses through PyNaCl, so which
// points are accepted is the same by construction; the protocol itself
// (hashing, proofs, board, tally, seat rule) stays this project's own
// JavaScript, written from PROTOCOL.md. The booth keeps noble: its page allows
// no WebAssembly.
//
// A point here is its canonical 32-byte encoding; libsodium decodes it for each
// operation. Only the operations group.js and the protocol modules call exist.
import { useBackend } from "./group.js";

const BYTES = 32;
const IDENTITY_BYTES = new Uint8Array(BYTES);
IDENTITY_BYTES[0] = 1;

let lib = null; // the instantiated module, once loaded
let scratch = 0; // four 32-byte slots in its heap: p, q, scalar, result

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function scalarBytes(k) {
  // k is already reduced mod L by group.js (mul, mulPublic).
  const out = new Uint8Array(BYTES);
  let v = k;
  for (let i = 0; i < BYTES; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function result(rc, what) {
  if (rc !== 0) throw new Error(`libsodium refused ${what}`); // only on a bug: inputs are valid
  return new SodiumPoint(lib.HEAPU8.slice(scratch + 3 * BYTES, scratch + 4 * BYTES));
}

export class SodiumPoint {
  /** @param {Uint8Array} bytes a canonical encoding libsodium accepts */
  constructor(bytes, isBase = false) {
    this.bytes = bytes;
    this.isBase = isBase;
  }

  static fromBytes(bytes) {
    return new SodiumPoint(Uint8Array.from(bytes));
  }

  toBytes() {
    return this.bytes.slice();
  }

  is0() {
    return bytesEqual(this.bytes, IDENTITY_BYTES);
  }

  equals(other) {
    return bytesEqual(this.bytes, other.bytes);
  }

  add(other) {
    return this.#combine(other, lib._crypto_core_ed25519_add, "an addition");
  }

  subtract(other) {
    return this.#combine(other, lib._crypto_core_ed25519_sub, "a subtraction");
  }

  /** this ∘ other by libsodium's two-point `operation` (add or sub). */
  #combine(other, operation, what) {
    lib.HEAPU8.set(this.bytes, scratch);
    lib.HEAPU8.set(other.bytes, scratch + BYTES);
    return result(operation(scratch + 3 * BYTES, scratch, scratch + BYTES), what);
  }

  /** k·P for 0 < k < L on a point other than O (group.js handles the zero cases). */
  multiplyUnsafe(k) {
    const heap = lib.HEAPU8;
    heap.set(scalarBytes(k), scratch + 2 * BYTES);
    if (this.isBase) {
      return result(lib._crypto_scalarmult_ed25519_base_noclamp(scratch + 3 * BYTES,
                                                                scratch + 2 * BYTES),
                    "a product by G");
    }
    heap.set(this.bytes, scratch);
    return result(lib._crypto_scalarmult_ed25519_noclamp(scratch + 3 * BYTES, scratch + 2 * BYTES,
                                                         scratch),
                  "a product");
  }

  /** libsodium's products do not branch on the scalar's bits (ref10's signed windows). */
  multiply(k) {
    return this.multiplyUnsafe(k);
  }
}

export const SODIUM = {
  name: "libsodium",
  Point: SodiumPoint,
  decodeValid(bytes) {
    lib.HEAPU8.set(bytes, scratch);
    // crypto_core_ed25519_is_valid_point: canonical, on the curve, not of small
    // order, in the prime-order subgroup (PROTOCOL.md §1), exactly as in Python.
    return lib._crypto_core_ed25519_is_valid_point(scratch) === 1 ? SodiumPoint.fromBytes(bytes)
      : null;
  },
  withTable(P) {
    return P; // libsodium keeps no tables for points other than G
  },
};

/**
 * Load libsodium (instantiating its WebAssembly) and make group.js use it.
 * `factory` is the default export of the vendored libsodium-sumo module.
 */
export async function useSodium(factory) {
  if (lib === null) {
    const module = await factory({
      getRandomValue() { // libsodium asks for it at start; the verifier draws nothing
        const word = new Uint32Array(1);
        globalThis.crypto.getRandomValues(word);
        return word[0] >>> 0;
      },
    });
    if (module._sodium_init() < 0) throw new Error("libsodium did not start");
    scratch = module._malloc(4 * BYTES);
    lib = module;
    const G = new SodiumPoint(new Uint8Array(BYTES), true);
    heapBase(G);
    SodiumPoint.BASE = G;
    SodiumPoint.ZERO = new SodiumPoint(IDENTITY_BYTES.slice());
  }
  useBackend(SODIUM);
}

function heapBase(G) {
  // 1·G, from libsodium itself: the encoding of the base point.
  const one = new Uint8Array(BYTES);
  one[0] = 1;
  lib.HEAPU8.set(one, scratch + 2 * BYTES);
  if (lib._crypto_scalarmult_ed25519_base_noclamp(scratch + 3 * BYTES, scratch + 2 * BYTES) !== 0) {
    throw new Error("libsodium refused 1·G");
  }
  G.bytes = lib.HEAPU8.slice(scratch + 3 * BYTES, scratch + 4 * BYTES);
}
