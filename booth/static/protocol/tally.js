// Homomorphic tally and the trustees' decryption shares (PROTOCOL.md §5.3, §8;
// the twin of crypto/tally.py, crypto/decryption_proof.py and crypto/threshold.py).
import { pointFromHex } from "./canonical.js";
import { proofFromJson } from "./ceremony.js";
import { addCiphertexts, zeroCiphertext } from "./elgamal.js";
import { InvalidEncoding, InvalidProof } from "./errors.js";
import { L, baseMulPublic, mod, mulPublic, pointHex, pointSum } from "./group.js";
import { HS } from "./hashing.js";

export const TAG = "piaojue/v1/decrypt";

/** Throws InvalidProof unless (c, s) proves M = x*A for the x of X = x*G. */
export function verifyDecryption(X, A, M, [c, s], context) {
  const a = baseMulPublic(s).subtract(mulPublic(X, c));
  const b = mulPublic(A, s).subtract(mulPublic(M, c));
  if (HS(TAG, context, X, A, M, a, b) !== c) {
    throw new InvalidProof("decryption share proof does not verify", "proof-decryption");
  }
}

export function emptyAggregates(rows, options) {
  return Array.from({ length: rows }, () => Array(options).fill(zeroCiphertext()));
}

/** Add one parsed ballot's cells into the running aggregates, in place. */
export function addBallot(aggregates, parsed) {
  parsed.cells.forEach((row, r) => row.forEach((cell, o) => {
    aggregates[r][o] = addCiphertexts(aggregates[r][o], cell.ct);
  }));
}

export function aggregatesToJson(aggregates) {
  return aggregates.map((row) => row.map((ct) => ({ A: pointHex(ct.A), B: pointHex(ct.B) })));
}

/** X_j = sum_i sum_k j^k * C_ik: trustee j's public share, from the commitments. */
export function publicShare(published, trustee) {
  const j = BigInt(trustee);
  return pointSum(published.flatMap((tc) => tc.commitments.map((C, k) =>
    mulPublic(C, mod(j ** BigInt(k))))));
}

function modInverse(a) {
  let [r0, r1, s0, s1] = [mod(a), L, 1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** lambda_j = prod_{k in S, k != j} k / (k - j) mod L. */
export function lagrangeAtZero(j, subset) {
  let num = 1n, den = 1n;
  for (const k of subset) {
    if (k === j) continue;
    num = mod(num * BigInt(k));
    den = mod(den * BigInt(k - j));
  }
  return mod(num * modInverse(den));
}

/** M = sum lambda_j * M_j over the trustees whose shares are given. */
export function combine(shares) {
  const subset = [...shares.keys()];
  return pointSum(subset.map((j) => mulPublic(shares.get(j), lagrangeAtZero(j, subset))));
}

/** One trustee's {trustee, cells: [[{M, proof}]]}, points validated. */
export function decryptionShareFromJson(value, rows, options) {
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(value) || Object.keys(value).sort().join() !== "cells,trustee") {
    throw new InvalidEncoding("a decryption share is an object with trustee and cells",
                              "share-shape");
  }
  const { trustee, cells } = value;
  if (!Number.isSafeInteger(trustee) || trustee < 1) {
    throw new InvalidEncoding("decryption share: trustee must be a positive integer",
                              "share-shape");
  }
  if (!Array.isArray(cells) || cells.length !== rows ||
      !cells.every((row) => Array.isArray(row) && row.length === options)) {
    throw new InvalidEncoding(`trustee ${trustee}'s share must have ${rows} rows of ${options} ` +
                              "cells", "share-shape");
  }
  return {
    trustee,
    cells: cells.map((row, r) => row.map((cell, o) => {
      const at = `trustee ${trustee}, row ${r + 1}, option ${o + 1}`;
      if (!isObject(cell) || Object.keys(cell).sort().join() !== "M,proof") {
        throw new InvalidEncoding(`${at}: a share cell is an object with M and proof`,
                                  "share-shape");
      }
      return { M: pointFromHex(cell.M, `${at} M`), proof: proofFromJson(cell.proof, `${at} proof`) };
    })),
  };
}

/** Every cell's proof; the error names the trustee and the cell. */
export function verifyDecryptionShare(share, X, aggregates, context) {
  share.cells.forEach((row, r) => row.forEach(({ M, proof }, o) => {
    try {
      verifyDecryption(X, aggregates[r][o].A, M, proof, context);
    } catch (exc) {
      if (!(exc instanceof InvalidProof)) throw exc;
      throw new InvalidProof(`trustee ${share.trustee}'s decryption share for row ${r + 1}, ` +
                             `option ${o + 1} does not verify`, "proof-decryption");
    }
  }));
}
