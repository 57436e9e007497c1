// The independent verifier in JavaScript: one round's record checked against
// PROTOCOL.md from its files alone (the twin of ballot/verifier.py, same steps,
// same order, the same first failure named with the same place).
//
// `files` maps a record member's name to its bytes; the caller reads the zip
// (verify-cli.mjs under Node). Every failure is a RecordInvalid whose message
// starts with the file and the place in it, as Python's does.
import { entryDigest, genesis, nextHash } from "./board.js";
import { canonicalText, hexBytes, parseCanonical, pointFromHex } from "./canonical.js";
import { checkEd25519PublicKey, verifyCast } from "./credentials.js";
import { addCiphertexts } from "./elgamal.js";
import {
  ballotDigest, checkOpening, parseBallot, parseOpening, verifyBallot,
} from "./encrypted_ballot.js";
import { ProtocolError } from "./errors.js";
import { IDENTITY, smallMultiple, toHex, withTable } from "./group.js";
import { fingerprint } from "./hashing.js";
import { parseManifest } from "./manifest.js";
import { pinRound } from "./pinning.js";
import { verifyReceipt } from "./receipts.js";
import { computeResult, reconciliationProblems } from "./rules.js";
import {
  addBallot, aggregatesToJson, combine, decryptionShareFromJson, emptyAggregates, publicShare,
  verifyDecryptionShare,
} from "./tally.js";

export const REQUIRED_FILES = ["manifest.json", "election.json", "board.jsonl", "tally.json",
  "result.json"];
export const OPTIONAL_FILES = ["receipts.jsonl"];

export class RecordInvalid extends Error {
  constructor(message) {
    super(message);
    this.name = "RecordInvalid";
  }
}

const IDENTITY_HEX = `01${"00".repeat(31)}`;
const isInt = (v) => typeof v === "number" && Number.isSafeInteger(v);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const sameKeys = (v, keys) => isObject(v) && Object.keys(v).sort().join() === [...keys].sort().join();
const utf8 = new TextDecoder("utf-8", { fatal: true });

function at(where, check) {
  try {
    return check();
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw new RecordInvalid(`${where}: ${exc.message}`);
  }
}

function decodeFile(files, name) {
  try {
    return utf8.decode(files[name]);
  } catch {
    throw new RecordInvalid(`${name}: JSON must be UTF-8`);
  }
}

/** A value that must stand in canonical JSON, named by ``where`` when it does not. */
function canonicalLine(text, where) {
  try {
    return parseCanonical(text, where);
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw new RecordInvalid(exc.message);
  }
}

function canonicalFile(files, name) {
  return canonicalLine(decodeFile(files, name), name);
}

function lines(files, name) {
  const data = files[name];
  if (data.length && data[data.length - 1] !== 0x0a) {
    throw new RecordInvalid(`${name}: the last line must end with a newline`);
  }
  const text = decodeFile(files, name);
  return text ? text.slice(0, -1).split("\n") : [];
}

/**
 * Verify a record; returns the report, or throws RecordInvalid naming the first failure.
 * `slices` are what checkBoardSlice returned for parts of the board, checked
 * elsewhere (in parallel workers): their entries' ballots are not checked again,
 * and their sums stand in for those ballots in the aggregates.
 * `onCheck(step, text)` is told each step as it completes; `progress(done, total)` the
 * board's entries. `memo`, made by newMemo() and kept by the caller, remembers the
 * ceremonies pinned and the entries whose proofs and signature checked, each under its
 * own context, so checking many records that share most of their content (the tamper
 * tests' mutants) does not redo that work.
 */
export function verifyRecordFiles(files, { onCheck = () => {}, progress = () => {},
                                           memo = newMemo(), slices = [] } = {}) {
  const missing = REQUIRED_FILES.filter((n) => !(n in files));
  if (missing.length) throw new RecordInvalid(`the record lacks ${missing.join(", ")}`);
  const state = { report: { cast: 0, spoiled: 0, voided: 0, issued: 0, receipts: 0,
                            challenged: [] },
                  verified: memo.entries, rounds: memo.rounds,
                  verdicts: new Map(slices.flatMap((slice) => slice.verdicts)) };
  manifestStep(files, state);
  onCheck("manifest", `manifest.json: a valid ${state.manifest.kind} ballot, round ` +
                      `${state.manifest.roundId} of ${state.manifest.electionId}`);
  electionStep(files, state);
  onCheck("election", `election.json: ${state.manifest.trustees} trustees' commitments and ` +
                      "proofs verify; joint key and context Q recomputed");
  boardStep(files, state, progress, slices);
  const r = state.report;
  onCheck("board", `board.jsonl: ${r.boardEntries} entries chain from genesis; every proof, ` +
                   `signature and credential checks (${r.cast} cast, ${r.spoiled} challenged, ` +
                   `${r.voided} voided)`);
  tallyStep(files, state);
  onCheck("tally", "tally.json: aggregates are the sums of the cast ballots; decryption shares " +
                   `of trustees ${r.sharesUsed.join(", ") || "—"} verify; counts follow`);
  resultStep(files, state);
  onCheck("result", "result.json: reconciliation holds and the result is recomputed exactly");
  if ("receipts.jsonl" in files) {
    receiptsStep(files, state);
    onCheck("receipts", `receipts.jsonl: ${r.receipts} signed receipts match the board`);
  }
  return r;
}

export function newMemo() {
  return { entries: new Set(), rounds: new Map() };
}

/**
 * The board cut into slices for checkBoardSlice: the manifest's and the election's
 * text, the number of lines, and {first, lines} of at most `size` lines each (`size`
 * a number, or a function of the number of lines). None (an empty list of parts)
 * when the files a slice needs are missing or the board cannot be read as lines: the
 * full pass then checks every entry itself, and names what is wrong.
 */
export function boardSliceJobs(files, size) {
  const needed = ["manifest.json", "election.json", "board.jsonl"];
  let all = [];
  try {
    if (needed.every((n) => n in files)) all = lines(files, "board.jsonl");
  } catch (exc) {
    if (!(exc instanceof RecordInvalid)) throw exc;
  }
  const text = (name) => (name in files ? new TextDecoder().decode(files[name]) : "");
  const step = typeof size === "function" ? size(all.length) : size;
  const parts = [];
  for (let first = 1; first <= all.length; first += step) {
    parts.push({ first, lines: all.slice(first - 1, first - 1 + step) });
  }
  return { manifest: text("manifest.json"), election: text("election.json"), total: all.length,
           parts };
}

/**
 * The costly part of the board step for board lines first, first + 1, …, which
 * may run apart from the rest and in parallel (one slice per Web Worker): each
 * cast or spoiled entry's proofs, signature or opening. Returns {verdicts, aggregates}
 * for verifyRecordFiles's `slices`: each such entry's verdict (null when it checks, else
 * the message the full verifier would give there) and the sums of the cast ballots that
 * check. Lines a slice cannot judge alone (unreadable ones, entries of the wrong shape)
 * get no verdict: the full verifier checks them itself, in order, so the first failure
 * it reports is the same however the board was sliced.
 */
export function checkBoardSlice(manifestJson, electionJson, first, texts, memo = newMemo()) {
  const state = { verified: memo.entries, rounds: memo.rounds, verdicts: new Map(),
                  report: {}, manifestJson };
  state.manifest = at("manifest.json", () => parseManifest(
    canonicalLine(manifestJson, "manifest.json")));
  pinnedRoundStep(state, canonicalLine(electionJson, "election.json"));
  const m = state.manifest;
  state.aggregates = emptyAggregates(m.rowIds.length, m.options.length);
  const verdicts = [];
  texts.forEach((text, i) => {
    const k = first + i;
    let entry;
    try {
      entry = canonicalLine(text, `board.jsonl line ${k}`).entry;
    } catch {
      return;
    }
    const fields = { cast: ["type", "ballot", "credential", "signature"],
                     spoiled: ["type", "ballot", "plaintext", "nonces"] }[entry?.type];
    if (!fields || !sameKeys(entry, fields)) return;
    try {
      ballotStep(state, `board.jsonl entry ${k}`, entry, k);
      verdicts.push([k, null]);
    } catch (exc) {
      if (exc instanceof RecordInvalid) verdicts.push([k, exc.message]);
    }
  });
  return { verdicts, aggregates: aggregatesToJson(state.aggregates) };
}

function addSliceSums(state, aggregates) {
  // A sum is O only for a slice with no cast ballot (A) or, rarely, by chance; O is
  // no valid point to read, and adds nothing.
  const read = (hex) => (hex === IDENTITY_HEX ? IDENTITY : pointFromHex(hex, "sum"));
  aggregates.forEach((row, r) => row.forEach((cell, o) => {
    state.aggregates[r][o] = addCiphertexts(state.aggregates[r][o],
                                            { A: read(cell.A), B: read(cell.B) });
  }));
}

function manifestStep(files, state) {
  const text = decodeFile(files, "manifest.json");
  const value = canonicalLine(text, "manifest.json");
  // Named before election.json is read, as Python's verifier does.
  state.manifest = at("manifest.json", () => parseManifest(value));
  state.manifestJson = text;
}

function electionStep(files, state) {
  pinnedRoundStep(state, canonicalFile(files, "election.json"));
}

function pinnedRoundStep(state, election) {
  const seen = `${state.manifestJson}\n${canonicalText(election)}`;
  if (!state.rounds.has(seen)) {
    // pinRound parses the manifest too; its refusals are named by file as Python's are.
    let pinned;
    try {
      pinned = pinRound(state.manifestJson, election);
    } catch (exc) {
      if (!(exc instanceof ProtocolError)) throw exc;
      throw new RecordInvalid(exc.message);
    }
    state.rounds.set(seen, {
      manifest: pinned.manifest,
      jointKey: withTable(pinned.jointKey), // every proof multiplies it, twice a branch
      context: pinned.context,
      publicShares: new Map(pinned.commitments.map((tc) =>
        [tc.index, publicShare(pinned.commitments, tc.index)])),
    });
  }
  Object.assign(state, state.rounds.get(seen));
  const m = state.manifest;
  Object.assign(state.report, { electionId: m.electionId, roundId: m.roundId, kind: m.kind,
                                trustees: m.trustees, threshold: m.threshold });
}

function boardStep(files, state, progress, slices) {
  const all = lines(files, "board.jsonl");
  const m = state.manifest;
  state.issued = new Set();
  state.voided = new Set();
  state.used = new Set();
  state.chain = new Map();
  state.aggregates = emptyAggregates(m.rowIds.length, m.options.length);
  let head = genesis(state.context);
  all.forEach((text, i) => {
    const k = i + 1;
    const where = `board.jsonl entry ${k}`;
    const line = canonicalLine(text, `board.jsonl line ${k}`);
    head = entryStep(state, k, where, line, head);
    progress(k, all.length);
  });
  // Every entry a slice vouched for has now been reached in order: its sums count.
  for (const slice of slices) addSliceSums(state, slice.aggregates);
  const r = state.report;
  r.boardEntries = all.length;
  r.boardHash = toHex(head);
  r.chain = state.chain; // entry k: {digest, head, kind}, what a receipt is checked against
  r.issued = state.issued.size - state.voided.size;
  r.voided = state.voided.size;
  r.cast = state.used.size;
  if (r.cast > r.issued) {
    throw new RecordInvalid(`board.jsonl: ${r.cast} ballots cast but only ${r.issued} ` +
                            "credentials issued: the round is void");
  }
}

function entryStep(state, k, where, line, previous) {
  if (!sameKeys(line, ["index", "entry", "digest", "hash"])) {
    throw new RecordInvalid(`${where}: a line has exactly the fields index, entry, digest and ` +
                            "hash");
  }
  if (!isInt(line.index) || line.index !== k) {
    throw new RecordInvalid(`${where}: index is ${JSON.stringify(line.index)}, expected ${k}`);
  }
  const { entry } = line;
  if (!isObject(entry)) throw new RecordInvalid(`${where}: entry must be an object`);
  const digest = entryDigest(state.context, entry);
  const head = nextHash(previous, digest);
  if (toHex(at(where, () => hexBytes(line.digest, 32, "digest"))) !== toHex(digest)) {
    throw new RecordInvalid(`${where}: digest is not HB(entry, Q, entry)`);
  }
  if (toHex(at(where, () => hexBytes(line.hash, 32, "hash"))) !== toHex(head)) {
    throw new RecordInvalid(`${where}: chain value does not follow from the entries before it`);
  }
  const kind = entry.type;
  state.chain.set(k, { digest: toHex(digest), head: toHex(head), kind });
  if (kind === "credentials") {
    credentialsEntry(state, where, entry);
  } else if (kind === "void") {
    const key = keyOf(where, entry, ["type", "key"], "key");
    if (!state.issued.has(key)) throw new RecordInvalid(`${where}: voids a key that was never issued`);
    if (state.voided.has(key) || state.used.has(key)) {
      throw new RecordInvalid(`${where}: voids a key already voided or used`);
    }
    state.voided.add(key);
  } else if (kind === "cast") {
    castEntry(state, where, entry);
    ballotStep(state, where, entry, k);
  } else if (kind === "spoiled") {
    if (!sameKeys(entry, ["type", "ballot", "plaintext", "nonces"])) {
      throw new RecordInvalid(`${where}: a spoiled entry has exactly the fields type, ballot, ` +
                              "plaintext and nonces");
    }
    state.report.spoiled += 1;
    ballotStep(state, where, entry, k);
    state.report.challenged.push({ index: k, plaintext: entry.plaintext,
                                   fingerprint: fingerprint(ballotDigest(state.context,
                                                                         entry.ballot)) });
  } else {
    throw new RecordInvalid(`${where}: unknown entry type ${JSON.stringify(kind)}`);
  }
  return head;
}

function keyOf(where, entry, fields, name) {
  if (!sameKeys(entry, fields)) {
    throw new RecordInvalid(`${where}: a ${entry.type} entry has exactly the fields ` +
                            `${[...fields].sort().join(", ")}`);
  }
  return toHex(at(where, () => hexBytes(entry[name], 32, name)));
}

function credentialsEntry(state, where, entry) {
  if (!sameKeys(entry, ["type", "keys"]) || !Array.isArray(entry.keys)) {
    throw new RecordInvalid(`${where}: a credentials entry has exactly the fields type and keys ` +
                            "(a list)");
  }
  entry.keys.forEach((value, i) => {
    const key = at(where, () => hexBytes(value, 32, `key ${i + 1}`));
    at(where, () => checkEd25519PublicKey(key, `key ${i + 1}`));
    if (state.issued.has(toHex(key))) {
      throw new RecordInvalid(`${where}: key ${i + 1} was already issued`);
    }
    state.issued.add(toHex(key));
  });
}

function castEntry(state, where, entry) {
  if (!sameKeys(entry, ["type", "ballot", "credential", "signature"])) {
    throw new RecordInvalid(`${where}: a cast entry has exactly the fields type, ballot, ` +
                            "credential and signature");
  }
  const key = toHex(at(where, () => hexBytes(entry.credential, 32, "credential")));
  at(where, () => hexBytes(entry.signature, 64, "signature"));
  if (!state.issued.has(key)) {
    throw new RecordInvalid(`${where}: the credential was not issued by an earlier entry`);
  }
  if (state.voided.has(key)) throw new RecordInvalid(`${where}: the credential was voided`);
  if (state.used.has(key)) {
    throw new RecordInvalid(`${where}: the credential has already cast a ballot`);
  }
  state.used.add(key);
}

/** Proofs, signature or opening of entry k (Python's BallotChecker.check). */
function ballotStep(state, where, entry, k) {
  const verdict = state.verdicts.get(k);
  if (verdict === null) return; // checked, and summed, by a slice
  if (verdict !== undefined) throw new RecordInvalid(verdict);
  const m = state.manifest;
  const seen = `${toHex(state.context)} ${canonicalText(entry)}`;
  at(where, () => {
    const parsed = parseBallot(entry.ballot, m);
    if (state.verified.has(seen)) {
      if (entry.type === "cast") addBallot(state.aggregates, parsed);
      return;
    }
    verifyBallot(parsed, m, state.jointKey, state.context);
    if (entry.type === "cast") {
      verifyCast(hexBytes(entry.credential, 32, "credential"),
                 hexBytes(entry.signature, 64, "signature"), state.context,
                 ballotDigest(state.context, entry.ballot));
      addBallot(state.aggregates, parsed);
    } else {
      checkOpening(parsed, parseOpening(entry.plaintext, entry.nonces, m), state.jointKey);
    }
    state.verified.add(seen);
  });
}

function tallyStep(files, state) {
  const m = state.manifest;
  const r = state.report;
  const doc = canonicalFile(files, "tally.json");
  if (!sameKeys(doc, ["cast", "aggregates", "shares", "counts"])) {
    throw new RecordInvalid("tally.json: needs exactly cast, aggregates, shares and counts");
  }
  if (doc.cast !== r.cast || !isInt(doc.cast)) {
    throw new RecordInvalid(`tally.json: cast is ${JSON.stringify(doc.cast)}; the board has ` +
                            `${r.cast} cast entries`);
  }
  const rows = m.rowIds.length, options = m.options.length;
  if (canonicalText(doc.aggregates) !== canonicalText(aggregatesToJson(state.aggregates))) {
    throw new RecordInvalid("tally.json: aggregates are not the sums of the cast ballots");
  }
  if (!Array.isArray(doc.shares)) throw new RecordInvalid("tally.json: shares must be a list");
  const zeros = JSON.stringify(Array.from({ length: rows }, () => Array(options).fill(0)));
  if (r.cast === 0) {
    if (doc.shares.length !== 0 || JSON.stringify(doc.counts) !== zeros) {
      throw new RecordInvalid("tally.json: no ballots were cast, so there are no decryption " +
                              "shares and every count is 0");
    }
    state.counts = r.counts = doc.counts;
    r.sharesUsed = [];
    return;
  }
  const shares = new Map();
  for (const value of doc.shares) {
    const share = at("tally.json", () => decryptionShareFromJson(value, rows, options));
    if (!state.publicShares.has(share.trustee)) {
      throw new RecordInvalid(`tally.json: there is no trustee ${share.trustee}`);
    }
    if (shares.has(share.trustee)) {
      throw new RecordInvalid(`tally.json: trustee ${share.trustee} appears twice`);
    }
    at("tally.json", () => verifyDecryptionShare(share, state.publicShares.get(share.trustee),
                                                 state.aggregates, state.context));
    shares.set(share.trustee, share);
  }
  if (shares.size < m.threshold) {
    throw new RecordInvalid(`tally.json: ${shares.size} decryption shares; the threshold is ` +
                            `${m.threshold}`);
  }
  const { counts } = doc;
  if (!Array.isArray(counts) || counts.length !== rows ||
      !counts.every((row) => Array.isArray(row) && row.length === options) ||
      !counts.every((row) => row.every((c) => isInt(c) && c >= 0 && c <= r.cast))) {
    throw new RecordInvalid(`tally.json: counts must be ${rows} rows of ${options} integers ` +
                            `between 0 and ${r.cast}`);
  }
  counts.forEach((row, ri) => row.forEach((count, o) => {
    const M = combine(new Map([...shares].map(([j, s]) => [j, s.cells[ri][o].M])));
    if (!smallMultiple(count).equals(state.aggregates[ri][o].B.subtract(M))) {
      throw new RecordInvalid(`tally.json: count for row ${ri + 1} (${m.rowIds[ri]}), option ` +
                              `'${m.options[o]}' is not what the trustees decrypted`);
    }
  }));
  state.counts = r.counts = counts;
  r.sharesUsed = [...shares.keys()].sort((a, b) => a - b);
}

function resultStep(files, state) {
  const doc = canonicalFile(files, "result.json");
  if (!isObject(doc) || !isObject(doc.reconciliation)) {
    throw new RecordInvalid("result.json: needs a reconciliation object");
  }
  const { present } = doc.reconciliation;
  if (!isInt(present)) {
    throw new RecordInvalid("result.json: reconciliation.present must be an integer");
  }
  const r = state.report;
  const reconciliation = { enrolled: state.manifest.enrolled, present, issued: r.issued,
                           cast: r.cast };
  const problems = reconciliationProblems(reconciliation);
  if (problems.length) {
    throw new RecordInvalid(`result.json: reconciliation fails: ${problems.join("; ")}`);
  }
  const expected = computeResult(state.manifest, state.counts, reconciliation);
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(doc)])].sort();
  for (const key of keys) {
    if (!(key in doc)) throw new RecordInvalid(`result.json: lacks ${key}`);
    if (!(key in expected)) continue; // more fields are allowed
    if (canonicalText(doc[key]) !== canonicalText(expected[key])) {
      throw new RecordInvalid(`result.json: ${key} differs from the one recomputed from the ` +
                              `counts: expected ${canonicalText(expected[key])}`);
    }
  }
  r.result = expected;
}

/** A receipt is signed by the round's key and matches cast entry k of the board. */
export function checkReceiptAgainstBoard(where, receipt, signatureHex, manifest, chain) {
  const signature = at(where, () => hexBytes(signatureHex, 64, "signature"));
  at(where, () => verifyReceipt(receipt, signature, manifest.receiptKey));
  if (receipt.election_id !== manifest.electionId || receipt.round_id !== manifest.roundId) {
    throw new RecordInvalid(`${where}: the receipt is for another round`);
  }
  const entry = chain.get(receipt.index);
  if (!entry) throw new RecordInvalid(`${where}: the board has no entry ${receipt.index}`);
  if (entry.kind !== "cast") {
    throw new RecordInvalid(`${where}: entry ${receipt.index} is not a cast ballot`);
  }
  if (receipt.entry_digest !== entry.digest || receipt.board_hash !== entry.head) {
    throw new RecordInvalid(`${where}: entry ${receipt.index} on the board is not the one ` +
                            "receipted");
  }
}

function receiptsStep(files, state) {
  lines(files, "receipts.jsonl").forEach((text, i) => {
    const where = `receipts.jsonl line ${i + 1}`;
    const line = canonicalLine(text, where);
    if (!sameKeys(line, ["receipt", "signature"])) {
      throw new RecordInvalid(`${where}: a line has exactly the fields receipt and signature`);
    }
    checkReceiptAgainstBoard(where, line.receipt, line.signature, state.manifest, state.chain);
    state.report.receipts += 1;
  });
}
