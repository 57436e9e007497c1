// Schnorr proof of knowing x with X = x*G (PROTOCOL.md §5.2; crypto/schnorr.py).
import { InvalidProof } from "./errors.js";
import { baseMulPublic, mulPublic } from "./group.js";
import { HS } from "./hashing.js";

export const TAG = "piaojue/v1/schnorr";

/** Throws InvalidProof unless c == HS(tag, ctx, X, s*G - c*X). */
export function verifyKnowledge(X, [c, s], context) {
  if (HS(TAG, context, X, baseMulPublic(s).subtract(mulPublic(X, c))) !== c) {
    throw new InvalidProof("Schnorr proof of knowledge does not verify", "proof-schnorr");
  }
}
