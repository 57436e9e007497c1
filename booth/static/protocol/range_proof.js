// Disjunctive Chaum-Pedersen proof that (A, B) encrypts m in lo..hi
// (PROTOCOL.md §5.1; the twin of crypto/range_proof.py).
//
// The prover knows the nonce r, so every simulated commitment is computed
// with fixed bases only: a_j = s_j*G - c_j*A = (s_j - c_j*r)*G and
// b_j = s_j*K - c_j*(B - j*G) = (s_j - c_j*r)*K - c_j*(v - j)*G. The points
// are the same as Python's; the joint key's precomputed table makes them fast.
import { InvalidProof } from "./errors.js";
import { baseMul, baseMulPublic, mod, mul, mulPublic, smallMultiple } from "./group.js";
import { HS } from "./hashing.js";
import { randomScalar, systemRandomness } from "./rng.js";

export const TAG = "piaojue/v1/range";

/**
 * Prove ct = Enc(value; nonce) with lo <= value <= hi.
 * @returns {Array<[bigint, bigint]>} one (c_j, s_j) pair per j in lo..hi
 */
export function proveRange(ct, value, nonce, lo, hi, jointKey, context, rng = systemRandomness) {
  if (!(lo >= 0 && lo <= value && value <= hi)) {
    throw new RangeError(`value ${value} is outside ${lo}..${hi}`);
  }
  const r = mod(BigInt(nonce));
  const fake = new Map();
  const commitments = [];
  const u = randomScalar(rng);
  for (let j = lo; j <= hi; j++) {
    if (j === value) {
      commitments.push(baseMul(u), mul(jointKey, u));
    } else {
      const c = randomScalar(rng), s = randomScalar(rng);
      fake.set(j, [c, s]);
      const t = mod(s - c * r);
      // c is published in the proof, so c*(v - j)*G needs no constant-time multiply.
      commitments.push(baseMul(t),
                       mul(jointKey, t).subtract(baseMulPublic(mod(c * BigInt(value - j)))));
    }
  }
  const c = HS(TAG, context, ct.A, ct.B, lo, hi, ...commitments);
  let cv = c;
  for (const [cj] of fake.values()) cv -= cj;
  cv = mod(cv);
  const sv = mod(u + cv * r);
  const proof = [];
  for (let j = lo; j <= hi; j++) proof.push(fake.get(j) || [cv, sv]);
  return proof;
}

/** Rebuild every commitment from (c_j, s_j) and check the challenges; throws InvalidProof. */
export function verifyRange(ct, proof, lo, hi, jointKey, context) {
  if (proof.length !== hi - lo + 1) {
    throw new InvalidProof(`range proof for ${lo}..${hi} needs ${hi - lo + 1} pairs, ` +
                           `has ${proof.length}`, "proof-length");
  }
  const commitments = [];
  let total = 0n;
  proof.forEach(([c, s], i) => {
    const j = lo + i;
    commitments.push(baseMulPublic(s).subtract(mulPublic(ct.A, c)),
                     mulPublic(jointKey, s).subtract(mulPublic(ct.B.subtract(smallMultiple(j)),
                                                               c)));
    total += c;
  });
  if (mod(total) !== HS(TAG, context, ct.A, ct.B, lo, hi, ...commitments)) {
    throw new InvalidProof(`range proof for ${lo}..${hi} does not verify`, "proof-range");
  }
}
