// Encrypting, opening and checking a whole ballot (PROTOCOL.md §6, §9; the twin
// of crypto/encrypted_ballot.py). Same nonce order, same proof order, same JSON:
// with the same randomness this produces Python's ballot byte for byte.
import { canonicalJson, pointFromHex, scalarFromHex, scalarHex } from "./canonical.js";
import { proofFromJson } from "./ceremony.js";
import { addAll, encrypt, sameCiphertext } from "./elgamal.js";
import { InvalidBallot, InvalidMarks, InvalidOpening, ProtocolError } from "./errors.js";
import { mod, pointHex } from "./group.js";
import { HB, fingerprint } from "./hashing.js";
import { columnsNeedingProof, rowNeedsProof } from "./manifest.js";
import { proveRange, verifyRange } from "./range_proof.js";
import { randomScalar, systemRandomness } from "./rng.js";

function rowName(manifest, r) {
  return `row ${r + 1} (${manifest.rowIds[r]})`;
}

const rangeToJson = (proof) => proof.map(([c, s]) => [scalarHex(c), scalarHex(s)]);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** Refuse marks that break the manifest's limits, naming the row or column. */
export function checkMarks(manifest, marks) {
  if (!Array.isArray(marks) || marks.length !== manifest.rowIds.length) {
    throw new InvalidMarks(`marks for ${marks?.length} rows; the ballot has ` +
                           `${manifest.rowIds.length}`, "marks-rows");
  }
  const [lo, hi] = manifest.rowLimits;
  marks.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== manifest.options.length ||
        !row.every((m) => m === 0 || m === 1)) {
      throw new InvalidMarks(`${rowName(manifest, r)}: one 0 or 1 per option expected`,
                             "marks-row-shape", { row: r + 1 });
    }
    if (!(lo <= sum(row) && sum(row) <= hi)) {
      throw new InvalidMarks(`${rowName(manifest, r)}: ${sum(row)} marks; between ${lo} and ` +
                             `${hi} allowed`, "marks-row", { row: r + 1, lo, hi });
    }
  });
  for (const [option, [clo, chi]] of Object.entries(manifest.columnLimits)) {
    const o = manifest.options.indexOf(option);
    const total = sum(marks.map((row) => row[o]));
    if (!(clo <= total && total <= chi)) {
      throw new InvalidMarks(`${total} marks '${option}'; between ${clo} and ${chi} allowed`,
                             "marks-column", { option, total, lo: clo, hi: chi });
    }
  }
}

/**
 * Encrypt and prove a ballot. `progress(done, total)` is called after each
 * cell, row and column proof, so a page can draw a bar.
 * @returns {{ballot: object, opening: {plaintext: number[][], nonces: bigint[][]}}}
 */
export function encryptBallot(manifest, jointKey, context, marks, rng = systemRandomness,
                              progress = () => {}) {
  checkMarks(manifest, marks);
  const nonces = marks.map((row) => row.map(() => randomScalar(rng)));
  const needRows = rowNeedsProof(manifest);
  const columns = columnsNeedingProof(manifest);
  const total = marks.length * manifest.options.length + (needRows ? marks.length : 0) +
    columns.length;
  let done = 0;
  const step = () => progress(++done, total);
  const cts = marks.map((row, r) => row.map((m, o) => encrypt(m, nonces[r][o], jointKey)));
  const cells = marks.map((row, r) => row.map((m, o) => {
    const ct = cts[r][o];
    const proof = proveRange(ct, m, nonces[r][o], 0, 1, jointKey, context, rng);
    step();
    return { A: pointHex(ct.A), B: pointHex(ct.B), proof: rangeToJson(proof) };
  }));
  const [lo, hi] = manifest.rowLimits;
  const rows = marks.map((row, r) => {
    if (!needRows) return {};
    const nonce = mod(nonces[r].reduce((a, b) => a + b, 0n));
    const proof = proveRange(addAll(cts[r]), sum(row), nonce, lo, hi, jointKey, context, rng);
    step();
    return { proof: rangeToJson(proof) };
  });
  const columnProofs = {};
  for (const [option, [clo, chi]] of columns) {
    const o = manifest.options.indexOf(option);
    const nonce = mod(nonces.reduce((a, row) => a + row[o], 0n));
    const proof = proveRange(addAll(cts.map((row) => row[o])), sum(marks.map((row) => row[o])),
                             nonce, clo, chi, jointKey, context, rng);
    step();
    columnProofs[option] = { proof: rangeToJson(proof) };
  }
  return {
    ballot: { cells, rows, columns: columnProofs },
    opening: { plaintext: marks.map((row) => [...row]), nonces },
  };
}

/** The opening as §9 writes it in a spoiled entry: plaintext and nonces as hex. */
export function openingToJson(opening) {
  return { plaintext: opening.plaintext, nonces: opening.nonces.map((row) => row.map(scalarHex)) };
}

function parseRange(value, lo, hi, what) {
  if (!Array.isArray(value) || value.length !== hi - lo + 1) {
    throw new InvalidBallot(`${what}: the proof must have ${hi - lo + 1} [c, s] pairs`,
                            "ballot-shape");
  }
  return value.map((p, i) => proofFromJson(p, `${what} proof pair ${i}`));
}

const exactKeys = (v, keys) => v !== null && typeof v === "object" && !Array.isArray(v) &&
  Object.keys(v).sort().join(",") === [...keys].sort().join(",");

/** Parse a ballot's JSON against the manifest (shape and points; proofs not checked). */
export function parseBallot(value, manifest) {
  try {
    return parseBallotInner(value, manifest);
  } catch (exc) {
    if (exc instanceof InvalidBallot || !(exc instanceof ProtocolError)) throw exc;
    throw new InvalidBallot(exc.message, "ballot-shape");
  }
}

function parseBallotInner(value, manifest) {
  if (!exactKeys(value, ["cells", "rows", "columns"])) {
    throw new InvalidBallot("a ballot is an object with exactly cells, rows and columns",
                            "ballot-shape");
  }
  const nRows = manifest.rowIds.length, nOpts = manifest.options.length;
  if (!Array.isArray(value.cells) || value.cells.length !== nRows) {
    throw new InvalidBallot(`the ballot must have ${nRows} rows of cells`, "ballot-shape");
  }
  const cells = value.cells.map((row, r) => {
    const where = rowName(manifest, r);
    if (!Array.isArray(row) || row.length !== nOpts) {
      throw new InvalidBallot(`${where} must have ${nOpts} cells`, "ballot-shape");
    }
    return row.map((cell, o) => {
      const at = `${where}, option '${manifest.options[o]}'`;
      if (!exactKeys(cell, ["A", "B", "proof"])) {
        throw new InvalidBallot(`${at}: a cell is an object with exactly A, B and proof`,
                                "ballot-shape");
      }
      return { ct: { A: pointFromHex(cell.A, `${at} A`), B: pointFromHex(cell.B, `${at} B`) },
               proof: parseRange(cell.proof, 0, 1, at) };
    });
  });
  if (!Array.isArray(value.rows) || value.rows.length !== nRows) {
    throw new InvalidBallot(`the ballot must have ${nRows} row entries`, "ballot-shape");
  }
  const [lo, hi] = manifest.rowLimits;
  const rows = value.rows.map((entry, r) => {
    const where = rowName(manifest, r);
    if (rowNeedsProof(manifest)) {
      if (!exactKeys(entry, ["proof"])) {
        throw new InvalidBallot(`${where}: the row sum needs a proof`, "ballot-shape");
      }
      return parseRange(entry.proof, lo, hi, `${where} sum`);
    }
    if (!exactKeys(entry, [])) {
      throw new InvalidBallot(`${where}: the row limits need no proof; expected {}`,
                              "ballot-shape");
    }
    return null;
  });
  const needed = columnsNeedingProof(manifest);
  if (!exactKeys(value.columns, needed.map(([o]) => o))) {
    throw new InvalidBallot("the ballot must carry column proofs for exactly " +
                            `[${needed.map(([o]) => `'${o}'`).join(", ")}]`, "ballot-shape");
  }
  const columns = {};
  for (const [option, [clo, chi]] of needed) {
    const entry = value.columns[option];
    if (!exactKeys(entry, ["proof"])) {
      throw new InvalidBallot(`column '${option}': expected an object with a proof`,
                              "ballot-shape");
    }
    columns[option] = parseRange(entry.proof, clo, chi, `column '${option}'`);
  }
  return { cells, rows, columns };
}

/** Every proof of a parsed ballot; throws InvalidBallot naming the first failure. */
export function verifyBallot(parsed, manifest, jointKey, context) {
  parsed.cells.forEach((row, r) => row.forEach((cell, o) => {
    try {
      verifyRange(cell.ct, cell.proof, 0, 1, jointKey, context);
    } catch {
      throw new InvalidBallot(`${rowName(manifest, r)}, option '${manifest.options[o]}': ` +
                              "the cell's 0-or-1 proof does not verify", "ballot-proof");
    }
  }));
  const [lo, hi] = manifest.rowLimits;
  parsed.rows.forEach((proof, r) => {
    if (proof === null) return;
    try {
      verifyRange(addAll(parsed.cells[r].map((c) => c.ct)), proof, lo, hi, jointKey, context);
    } catch {
      throw new InvalidBallot(`${rowName(manifest, r)}: the proof that the row has ${lo} to ` +
                              `${hi} marks does not verify`, "ballot-proof");
    }
  });
  for (const [option, [clo, chi]] of columnsNeedingProof(manifest)) {
    const o = manifest.options.indexOf(option);
    try {
      verifyRange(addAll(parsed.cells.map((row) => row[o].ct)), parsed.columns[option], clo, chi,
                  jointKey, context);
    } catch {
      throw new InvalidBallot(`column '${option}': the proof that it has ${clo} to ${chi} ` +
                              "marks does not verify", "ballot-proof");
    }
  }
}

/** Parse a spoiled entry's plaintext and nonces against the manifest's shape. */
export function parseOpening(plaintext, nonces, manifest) {
  const rows = manifest.rowIds.length, opts = manifest.options.length;
  for (const [name, value] of [["plaintext", plaintext], ["nonces", nonces]]) {
    if (!Array.isArray(value) || value.length !== rows ||
        !value.every((row) => Array.isArray(row) && row.length === opts)) {
      throw new InvalidOpening(`${name} must have the shape of the cells (${rows}, ${opts})`,
                               "opening-shape");
    }
  }
  if (!plaintext.every((row) => row.every((m) => m === 0 || m === 1))) {
    throw new InvalidOpening("plaintext marks must be 0 or 1", "opening-shape");
  }
  try {
    return { plaintext, nonces: nonces.map((row, i) =>
      row.map((r) => scalarFromHex(r, `nonce at row ${i + 1}`))) };
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw new InvalidOpening(exc.message, "opening-shape");
  }
}

/** A Benaloh opening verifies when it re-encrypts to the ballot exactly. */
export function checkOpening(parsed, opening, jointKey) {
  parsed.cells.forEach((row, r) => row.forEach((cell, o) => {
    const nonce = opening.nonces[r][o];
    if (nonce === 0n || !sameCiphertext(encrypt(opening.plaintext[r][o], nonce, jointKey),
                                         cell.ct)) {
      throw new InvalidOpening(`row ${r + 1}, option ${o + 1}: the plaintext and nonce do not ` +
                               "re-encrypt to the ballot's ciphertext", "opening",
                               { row: r + 1, option: o + 1 });
    }
  }));
}

/** HB("piaojue/v1/ballot", Q, canonical_json(ballot)): what the deputy compares. */
export function ballotDigest(context, ballotJson) {
  return HB("piaojue/v1/ballot", context, canonicalJson(ballotJson));
}

export { fingerprint };
