// Exponential ElGamal under the joint key: Enc(m; r) = (r*G, m*G + r*K)
// (the twin of crypto/elgamal.py).
import { IDENTITY, baseMul, mul, smallMultiple } from "./group.js";

/** @typedef {{A: import("./group.js").Point, B: import("./group.js").Point}} Ciphertext */

/** (O, O), the sum of no ciphertexts: made on each call, as group.js's backend may change. */
export function zeroCiphertext() {
  return Object.freeze({ A: IDENTITY, B: IDENTITY });
}

/** Encrypt a small non-negative m with nonce r (1..L-1). */
export function encrypt(m, r, jointKey) {
  return { A: baseMul(r), B: smallMultiple(m).add(mul(jointKey, r)) };
}

export function addCiphertexts(x, y) {
  return { A: x.A.add(y.A), B: x.B.add(y.B) };
}

export function addAll(ciphertexts) {
  return ciphertexts.reduce(addCiphertexts, zeroCiphertext());
}

export function sameCiphertext(x, y) {
  return x.A.equals(y.A) && x.B.equals(y.B);
}
