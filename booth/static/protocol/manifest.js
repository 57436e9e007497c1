// The ballot definition of one round and the context Q it yields
// (PROTOCOL.md §3, §9; the twin of crypto/manifest.py, same checks, same order).
import { canonicalJson, hexBytes } from "./canonical.js";
import { checkTrusteeCounts } from "./ceremony.js";
import { checkEd25519PublicKey } from "./credentials.js";
import { InvalidManifest, ProtocolError } from "./errors.js";
import { HB } from "./hashing.js";

export const PROTOCOL = "piaojue/1";
export const SELECTION_OPTIONS = ["for", "against"];
export const APPROVAL_OPTIONS = ["for"];
export const RATING_OPTIONS = ["satisfied", "basically_satisfied", "dissatisfied"];
const REQUIRED_FIELDS = ["protocol", "election_id", "round_id", "kind", "title", "rows",
  "options", "row_limits", "column_limits", "rule", "electorate", "trustees", "receipt_key"];

const isInt = (v) => typeof v === "number" && Number.isSafeInteger(v);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function fail(message) {
  return new InvalidManifest(message, "manifest", { detail: message });
}

function limits(value, what, most) {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(isInt) ||
      !(value[0] >= 0 && value[0] <= value[1])) {
    throw fail(`${what} must be [min, max] with 0 <= min <= max`);
  }
  if (value[0] > most) {
    throw fail(`${what}: minimum ${value[0]} can never be reached (at most ${most})`);
  }
  return [value[0], value[1]];
}

function nonEmptyText(value, what) {
  if (typeof value !== "string" || !value.trim()) throw fail(`${what} must be a non-empty string`);
  return value;
}

function checkRule(kind, rule, options, columnLimits) {
  if (!isObject(rule)) throw fail("rule must be an object");
  if (kind === "selection") {
    if (rule.name !== "majority-top-k") throw fail("a selection round uses the rule 'majority-top-k'");
    if (!sameList(options, SELECTION_OPTIONS) && !sameList(options, APPROVAL_OPTIONS)) {
      throw fail("a selection round has the options ['for', 'against'] (or ['for'] alone)");
    }
    const seats = rule.seats;
    if (!isInt(seats) || seats < 1) throw fail("rule.seats must be a positive integer");
    const f = columnLimits.for;
    if (!f || f[0] !== 0 || f[1] !== seats) {
      throw fail(`column_limits.for must be [0, ${seats}], the number of seats`);
    }
    if (rule.basis !== "enrolled" && rule.basis !== "cast") {
      throw fail("rule.basis must be 'enrolled' or 'cast'");
    }
  } else {
    if (rule.name !== "satisfaction") throw fail("a rating round uses the rule 'satisfaction'");
    if (!sameList(options, RATING_OPTIONS)) {
      throw fail(`a rating round has the options ${JSON.stringify(RATING_OPTIONS)}`);
    }
    const t = rule.threshold;
    if (!Array.isArray(t) || t.length !== 2 || !t.every(isInt) || !(t[0] >= 0 && t[0] <= t[1]) ||
        t[1] === 0) {
      throw fail("rule.threshold must be [numerator, denominator], at most 1");
    }
  }
}

/**
 * A parsed, validated manifest; `data` is the exact object hashed.
 * @returns {{data: object, electionId: string, roundId: string, kind: string, title: string,
 *   rowIds: string[], rows: Array<{id: string, title: string}>, options: string[],
 *   rowLimits: [number, number], columnLimits: Record<string, [number, number]>,
 *   rule: object, enrolled: number, trustees: number, threshold: number,
 *   receiptKey: Uint8Array}}
 */
export function parseManifest(data) {
  if (!isObject(data)) throw fail("the manifest must be a JSON object");
  const missing = REQUIRED_FIELDS.filter((f) => !(f in data));
  if (missing.length) throw fail(`the manifest lacks ${missing.join(", ")}`);
  if (data.protocol !== PROTOCOL) throw fail(`protocol must be '${PROTOCOL}'`);
  const electionId = nonEmptyText(data.election_id, "election_id");
  const roundId = nonEmptyText(data.round_id, "round_id");
  nonEmptyText(data.title, "title");
  const kind = data.kind;
  if (kind !== "selection" && kind !== "rating") throw fail("kind must be 'selection' or 'rating'");

  const rows = data.rows;
  if (!Array.isArray(rows) || !rows.length) throw fail("rows must be a non-empty list");
  const rowIds = rows.map((row, i) => {
    if (!isObject(row)) throw fail(`row ${i + 1} must be an object with id and title`);
    const id = nonEmptyText(row.id, `row ${i + 1} id`);
    nonEmptyText(row.title, `row ${i + 1} title`);
    return id;
  });
  if (new Set(rowIds).size !== rowIds.length) throw fail("row ids must be unique");

  const options = data.options;
  if (!Array.isArray(options) || !options.length ||
      !options.every((o) => typeof o === "string" && o) || new Set(options).size !== options.length) {
    throw fail("options must be a non-empty list of distinct strings");
  }
  const rowLimits = limits(data.row_limits, "row_limits", options.length);
  if (!isObject(data.column_limits)) {
    throw fail("column_limits must be an object {option: [min, max]}");
  }
  const columnLimits = {};
  for (const [option, value] of Object.entries(data.column_limits)) {
    if (!options.includes(option)) {
      throw fail(`column_limits names '${option}', which is not an option`);
    }
    columnLimits[option] = limits(value, `column_limits.${option}`, rows.length);
  }
  const most = options.reduce((n, o) => n + (o in columnLimits ? columnLimits[o][1] : rows.length), 0);
  const least = Object.values(columnLimits).reduce((n, l) => n + l[0], 0);
  if (rowLimits[0] * rows.length > most ||
      least > Math.min(rowLimits[1], options.length) * rows.length) {
    throw fail("no ballot can satisfy both the row and the column limits");
  }
  checkRule(kind, data.rule, options, columnLimits);

  const electorate = data.electorate;
  if (!isObject(electorate) || !isInt(electorate.enrolled)) {
    throw fail("electorate must be {enrolled: integer}");
  }
  if (electorate.enrolled < 1) throw fail("electorate.enrolled must be at least 1");
  const trustees = data.trustees;
  if (!isObject(trustees)) throw fail("trustees must be {n, threshold}");
  try {
    checkTrusteeCounts(trustees.n, trustees.threshold);
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw fail(`trustees: ${exc.message}`);
  }
  let receiptKey;
  try {
    receiptKey = hexBytes(data.receipt_key, 32, "receipt_key");
    checkEd25519PublicKey(receiptKey, "receipt_key");
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw fail(exc.message);
  }
  try {
    canonicalJson(data);
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw fail(`the manifest has no canonical JSON form: ${exc.message}`);
  }
  return Object.freeze({
    data, electionId, roundId, kind, title: data.title, rows, rowIds, options, rowLimits,
    columnLimits, rule: data.rule, enrolled: electorate.enrolled, trustees: trustees.n,
    threshold: trustees.threshold, receiptKey,
  });
}

export function manifestHash(manifest) {
  return HB("piaojue/v1/manifest", canonicalJson(manifest.data));
}

/** A row limit the 0/1 cell proofs do not already imply needs its own proof. */
export function rowNeedsProof(manifest) {
  const [lo, hi] = manifest.rowLimits;
  return !(lo === 0 && hi >= manifest.options.length);
}

/** Limited options in ballot order, less those the cell proofs imply. */
export function columnsNeedingProof(manifest) {
  const out = [];
  for (const option of manifest.options) {
    const l = manifest.columnLimits[option];
    if (l && !(l[0] === 0 && l[1] >= manifest.rowIds.length)) out.push([option, l]);
  }
  return out;
}

/** Q: binds every proof of the round to its manifest and its keys. */
export function roundContext(hash, jointKey, commitmentsHashBytes) {
  return HB("piaojue/v1/context", hash, jointKey, commitmentsHashBytes);
}
