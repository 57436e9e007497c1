// The public side of the trustees' key ceremony (PROTOCOL.md §4; crypto/ceremony.py):
// what a tablet or a verifier recomputes from the published commitments.
import { pointFromHex, scalarFromHex } from "./canonical.js";
import { InvalidCeremony, InvalidEncoding, ProtocolError } from "./errors.js";
import { pointSum } from "./group.js";
import { HB } from "./hashing.js";
import { verifyKnowledge } from "./schnorr.js";

export const MAX_TRUSTEES = 64;

function isInt(v) {
  return typeof v === "number" && Number.isSafeInteger(v);
}

export function checkTrusteeCounts(n, threshold) {
  if (!isInt(n) || !isInt(threshold)) {
    throw new InvalidCeremony("trustee counts must be integers", "ceremony-counts");
  }
  if (!(threshold >= 1 && threshold <= n && n <= MAX_TRUSTEES)) {
    throw new InvalidCeremony(`need 1 <= threshold <= trustees <= ${MAX_TRUSTEES}, got ` +
                              `threshold ${threshold} of ${n}`, "ceremony-counts");
  }
}

/** E: binds the ceremony's proofs to one election and its n, t. */
export function electionContext(electionId, n, threshold) {
  checkTrusteeCounts(n, threshold);
  return HB("piaojue/v1/election", electionId, n, threshold);
}

export function proofFromJson(value, what) {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidEncoding(`${what}: a proof is a [c, s] pair`, "proof-pair", { what });
  }
  return [scalarFromHex(value[0], `${what} c`), scalarFromHex(value[1], `${what} s`)];
}

/** One trustee's published {index, commitments, proofs}, points validated. */
export function trusteeCommitmentFromJson(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidEncoding("trustee commitment must be an object", "ceremony-shape");
  }
  const index = value.index;
  if (!isInt(index) || index < 1) {
    throw new InvalidEncoding("trustee commitment: index must be a positive integer",
                              "ceremony-shape");
  }
  const who = `trustee ${index}`;
  const { commitments, proofs } = value;
  if (!Array.isArray(commitments) || !Array.isArray(proofs)) {
    throw new InvalidEncoding(`${who}: commitments and proofs must be lists`, "ceremony-shape");
  }
  if (commitments.length !== proofs.length || !commitments.length) {
    throw new InvalidEncoding(`${who}: one proof is needed per commitment`, "ceremony-shape");
  }
  return {
    index,
    commitments: commitments.map((c, k) => pointFromHex(c, `${who} commitment ${k}`)),
    proofs: proofs.map((p, k) => proofFromJson(p, `${who} proof ${k}`)),
  };
}

/** All n trustees, numbered 1..n in order, t commitments each, every proof valid. */
export function verifyAllCommitments(published, n, threshold, context) {
  const indices = published.map((tc) => tc.index);
  if (indices.join(",") !== Array.from({ length: n }, (_, i) => i + 1).join(",")) {
    throw new InvalidCeremony(`expected trustees 1..${n} in order, got [${indices.join(", ")}]`,
                              "ceremony-order");
  }
  for (const tc of published) {
    if (tc.commitments.length !== threshold) {
      throw new InvalidCeremony(`trustee ${tc.index} published ${tc.commitments.length} ` +
                                `commitments; threshold ${threshold} needs ${threshold}`,
                                "ceremony-count", { trustee: tc.index });
    }
    tc.commitments.forEach((C, k) => {
      try {
        verifyKnowledge(C, tc.proofs[k], context);
      } catch (exc) {
        if (!(exc instanceof ProtocolError)) throw exc;
        throw new InvalidCeremony(`trustee ${tc.index}: proof for commitment ${k} does not ` +
                                  "verify", "ceremony-proof", { trustee: tc.index });
      }
    });
  }
}

/** K_joint = sum_i C_i0. */
export function jointKey(published) {
  return pointSum(published.map((tc) => tc.commitments[0]));
}

/** HB("piaojue/v1/commitments", C_10, ..., C_n(t-1)) in order of i, then k. */
export function commitmentsHash(published) {
  const ordered = [...published].sort((x, y) => x.index - y.index);
  return HB("piaojue/v1/commitments", ...ordered.flatMap((tc) => tc.commitments));
}
