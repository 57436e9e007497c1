// Anonymous one-time voting credentials (PROTOCOL.md §6; crypto/credentials.py).
//
// The code typed at the tablet never leaves it: the key is derived here, and
// only its public half and signatures are sent. Typing mistakes are caught by
// the code's two check characters before any key is derived, so they never
// reach the server and never count as attempts.
import { ed25519, hkdf, sha256 } from "../vendor/noble.js";
import { InvalidCredentialCode, InvalidEncoding, InvalidSignature, ProtocolError } from "./errors.js";
import { pointFromBytes } from "./group.js";
import { HB } from "./hashing.js";

export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const RANDOM_CHARS = 18;
export const CHECK_CHARS = 2;
export const CODE_CHARS = RANDOM_CHARS + CHECK_CHARS;
const READ_AS = { O: "0", I: "1", L: "1" };
const SEPARATORS = " -\t";
const utf8 = new TextEncoder();

function checkChars(body) {
  const digest = sha256(utf8.encode("piaojue/v1/code-check" + body));
  const value = ((digest[0] << 8) | digest[1]) >> 6;
  return ALPHABET[value >> 5] + ALPHABET[value & 31];
}

export function groupCode(code) {
  return code.match(/.{1,4}/g).join("-");
}

/**
 * Upper case, separators dropped, O/I/L read as 0/1, check characters verified.
 * Errors say what is wrong with the typing, never whether a code was issued.
 */
export function normalizeCode(typed) {
  if (typeof typed !== "string") {
    throw new InvalidCredentialCode("the code must be text", "code-text");
  }
  const chars = [];
  for (const raw of typed.trim()) {
    const bad = () => new InvalidCredentialCode(
      `the character '${raw}' does not occur in codes (letters and digits only, no U)`,
      "code-character", { character: raw });
    if (raw.codePointAt(0) > 0x7f) throw bad();
    let ch = raw.toUpperCase();
    if (SEPARATORS.includes(ch)) continue;
    ch = READ_AS[ch] || ch;
    if (!ALPHABET.includes(ch)) throw bad();
    chars.push(ch);
  }
  const code = chars.join("");
  if (code.length !== CODE_CHARS) {
    throw new InvalidCredentialCode(`a code has ${CODE_CHARS} characters; ${code.length} were ` +
                                    "entered", "code-length", { entered: code.length });
  }
  if (checkChars(code.slice(0, RANDOM_CHARS)) !== code.slice(RANDOM_CHARS)) {
    throw new InvalidCredentialCode("the code has a typing mistake; please check each character",
                                    "code-checksum");
  }
  return code;
}

/**
 * HKDF-SHA256(ikm=code, salt=election_id, info="piaojue/v1/credential/" + round_id):
 * the Ed25519 seed, and its public key.
 * @returns {{seed: Uint8Array, publicKey: Uint8Array}}
 */
export function deriveCredentialKey(code, electionId, roundId) {
  const normalized = normalizeCode(code);
  const seed = hkdf(sha256, utf8.encode(normalized), utf8.encode(electionId),
                    utf8.encode("piaojue/v1/credential/" + roundId), 32);
  return { seed, publicKey: ed25519.getPublicKey(seed) };
}

export function castMessage(context, ballotDigest) {
  return HB("piaojue/v1/cast", context, ballotDigest);
}

export function signCast(key, context, ballotDigest) {
  return ed25519.sign(castMessage(context, ballotDigest), key.seed);
}

/** An Ed25519 key from outside is a point too (§1): refuse small order and the rest. */
export function checkEd25519PublicKey(publicKey, what) {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new InvalidEncoding(`${what}: the public key is not 32 bytes`, "key-length", { what });
  }
  try {
    pointFromBytes(publicKey);
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw new InvalidEncoding(`${what}: the public key is not a valid point (${exc.message})`,
                              "key-point", { what });
  }
}

/** Strict RFC 8032 verification (no ZIP-215 leniency); throws InvalidSignature naming `what`. */
export function verifyEd25519(publicKey, signature, message, what) {
  checkEd25519PublicKey(publicKey, what);
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new InvalidSignature(`${what}: a signature is 64 bytes`, "signature-length", { what });
  }
  let ok = false;
  try {
    ok = ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new InvalidSignature(`${what} does not verify`, "signature", { what });
}

export function verifyCast(publicKey, signature, context, ballotDigest) {
  verifyEd25519(publicKey, signature, castMessage(context, ballotDigest),
                "the credential signature on the ballot");
}
