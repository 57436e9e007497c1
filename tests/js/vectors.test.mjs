// The JavaScript twin of crypto/ reproduces Python's bytes from the shared
// vectors (tests/vectors/*.json, made by `python -m tests.vectors.generate`).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { entryDigest } from "../../booth/static/protocol/board.js";
import { canonicalJson, canonicalText, pointFromHex, scalarFromHex } from
  "../../booth/static/protocol/canonical.js";
import { electionContext } from "../../booth/static/protocol/ceremony.js";
import { deriveCredentialKey, verifyCast } from "../../booth/static/protocol/credentials.js";
import { encrypt } from "../../booth/static/protocol/elgamal.js";
import {
  ballotDigest, checkOpening, encryptBallot, openingToJson, parseBallot, parseOpening, verifyBallot,
} from "../../booth/static/protocol/encrypted_ballot.js";
import { fromHex, pointHex, toHex, withTable } from "../../booth/static/protocol/group.js";
import { HB, HS, enc } from "../../booth/static/protocol/hashing.js";
import { pinRound } from "../../booth/static/protocol/pinning.js";
import { proveRange, verifyRange } from "../../booth/static/protocol/range_proof.js";
import { verifyReceipt } from "../../booth/static/protocol/receipts.js";
import { SeededRandomness, randomScalar } from "../../booth/static/protocol/rng.js";
import { verifyKnowledge } from "../../booth/static/protocol/schnorr.js";
import { signBallot } from "../../booth/static/protocol/cast.js";

const read = (name) => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url)));
const PRIMITIVES = read("primitives_v1.json");
const BOOTH = read("booth_v1.json");
const hexOf = (bytes) => toHex(bytes);

describe("primitives_v1.json", () => {
  test("enc, HB and HS give Python's bytes", () => {
    const G2 = pointFromHex(PRIMITIVES.ciphertext.A).constructor.BASE.multiply(2n);
    assert.equal(hexOf(enc("piaojue/v1/x", G2, 7, "票决", new Uint8Array([0, 255]))),
                 PRIMITIVES.enc);
    assert.equal(hexOf(HB("piaojue/v1/test", "票决", 2n ** 63n)), PRIMITIVES.HB);
    const G3 = G2.constructor.BASE.multiply(3n);
    assert.equal(HS("piaojue/v1/test", new TextEncoder().encode("abc"), G3),
                 scalarFromHex(PRIMITIVES.HS));
  });

  test("the seeded generator and ElGamal reproduce Python's ciphertext", () => {
    const rng = new SeededRandomness("piaojue known-answer vectors v1");
    const x = randomScalar(rng);
    assert.equal(x, scalarFromHex(PRIMITIVES.secret));
    const K = pointFromHex(PRIMITIVES.joint_key);
    const r = randomScalar(rng);
    assert.equal(r, scalarFromHex(PRIMITIVES.ciphertext.r));
    const ct = encrypt(1, r, K);
    assert.equal(pointHex(ct.A), PRIMITIVES.ciphertext.A);
    assert.equal(pointHex(ct.B), PRIMITIVES.ciphertext.B);
  });

  test("Python's range and Schnorr proofs verify here; altered ones do not", () => {
    const K = pointFromHex(PRIMITIVES.joint_key);
    const Q = fromHex(PRIMITIVES.context);
    const ct = { A: pointFromHex(PRIMITIVES.ciphertext.A), B: pointFromHex(PRIMITIVES.ciphertext.B) };
    const pairs = (v) => v.map(([c, s]) => [scalarFromHex(c), scalarFromHex(s)]);
    verifyRange(ct, pairs(PRIMITIVES.range_0_1), 0, 1, K, Q);
    verifyRange(ct, pairs(PRIMITIVES.range_1_3), 1, 3, K, Q);
    assert.throws(() => verifyRange(ct, pairs(PRIMITIVES.range_1_3), 0, 2, K, Q));
    const E = electionContext("kat-election", 3, 2);
    assert.equal(hexOf(E), PRIMITIVES.election_context);
    const X = pointFromHex(PRIMITIVES.joint_key);
    verifyKnowledge(X, pairs(PRIMITIVES.schnorr)[0], E);
    const [c, s] = pairs(PRIMITIVES.schnorr)[0];
    assert.throws(() => verifyKnowledge(X, [c, s + 1n], E), /does not verify/);
  });

  test("a range proof made here with Python's nonce verifies in both directions", () => {
    const K = withTable(pointFromHex(PRIMITIVES.joint_key));
    const Q = fromHex(PRIMITIVES.context);
    const r = scalarFromHex(PRIMITIVES.ciphertext.r);
    const ct = encrypt(1, r, K);
    for (const [lo, hi] of [[0, 1], [1, 3], [1, 1]]) {
      verifyRange(ct, proveRange(ct, 1, r, lo, hi, K, Q), lo, hi, K, Q);
    }
    assert.throws(() => proveRange(ct, 1, r, 2, 3, K, Q), RangeError);
  });

  test("credential key and cast signature are Python's", () => {
    const { code, public_key: publicKey, cast_signature: signature } = PRIMITIVES.credential;
    const key = deriveCredentialKey(code.toLowerCase().replaceAll("-", " "), "kat-election",
                                    "kat-round");
    assert.equal(hexOf(key.publicKey), publicKey);
    verifyCast(key.publicKey, fromHex(signature), fromHex(PRIMITIVES.context),
               new Uint8Array(32).fill(0x33));
  });

  test("Python's receipt verifies; every single-field alteration is refused", () => {
    const { receipt, public_key: publicKey, signature } = PRIMITIVES.receipt;
    verifyReceipt(receipt, fromHex(signature), fromHex(publicKey));
    for (const [field, altered] of alterations(receipt)) {
      assert.throws(() => verifyReceipt(altered, fromHex(signature), fromHex(publicKey)),
                    undefined, `altered ${field} was accepted`);
    }
  });
});

/** Each field of a receipt changed in turn, by one character or one unit. */
function* alterations(receipt) {
  for (const field of Object.keys(receipt)) {
    const value = receipt[field];
    const altered = typeof value === "number" ? value + 1
      : value.slice(0, -1) + (value.endsWith("0") ? "1" : "0");
    yield [field, { ...receipt, [field]: altered }];
  }
  const { index, ...missing } = receipt;
  yield ["index (dropped)", missing];
  yield ["extra field", { ...receipt, extra: 1 }];
}

for (const [name, vector] of Object.entries(BOOTH)) {
  describe(`booth_v1.json ${name}`, () => {
    const pinned = pinRound(vector.manifest_json, vector.election);

    test("the round pins to Python's context Q and fingerprint", () => {
      assert.equal(hexOf(pinned.context), vector.context);
      assert.equal(pinned.fingerprint, vector.round_fingerprint);
    });

    test("with the same randomness the ballot is Python's, byte for byte", () => {
      const { ballot, opening } = encryptBallot(
        pinned.manifest, withTable(pinned.jointKey), pinned.context, vector.marks,
        new SeededRandomness(vector.ballot_seed));
      assert.equal(canonicalText(ballot), canonicalText(vector.ballot));
      assert.deepEqual(openingToJson(opening), vector.opening);
      assert.equal(hexOf(ballotDigest(pinned.context, ballot)), vector.ballot_digest);
    });

    test("Python's ballot verifies here and its opening re-encrypts", () => {
      const parsed = parseBallot(vector.ballot, pinned.manifest);
      verifyBallot(parsed, pinned.manifest, pinned.jointKey, pinned.context);
      checkOpening(parsed, parseOpening(vector.opening.plaintext, vector.opening.nonces,
                                        pinned.manifest), pinned.jointKey);
    });

    test("the credential signs the cast as Python does", () => {
      const key = deriveCredentialKey(vector.code, "kat-booth", pinned.manifest.roundId);
      const { body } = signBallot(pinned, key, vector.ballot);
      assert.deepEqual(body, { ballot: vector.ballot, credential: vector.credential,
                               signature: vector.signature });
      assert.equal(hexOf(entryDigest(pinned.context, { type: "cast", ...body })),
                   vector.entry_digest);
      assert.equal(hexOf(canonicalJson(body)), hexOf(canonicalJson({
        ballot: vector.ballot, credential: vector.credential, signature: vector.signature })));
    });

    test("the receipt Python signed verifies against the manifest's key", () => {
      const { receipt, signature } = vector.receipt;
      verifyReceipt(receipt, fromHex(signature), pinned.manifest.receiptKey);
      for (const [field, altered] of alterations(receipt)) {
        assert.throws(() => verifyReceipt(altered, fromHex(signature), pinned.manifest.receiptKey),
                      undefined, `altered ${field} was accepted`);
      }
    });
  });
}

describe("record_v1: a rehearsed round's record", () => {
  const file = (name) => readFileSync(new URL(`../vectors/record_v1/${name}`, import.meta.url),
                                      "utf8");
  const pinned = pinRound(file("manifest.json"), JSON.parse(file("election.json")));
  const board = file("board.jsonl").trim().split("\n").map((line) => JSON.parse(line));
  const receipts = file("receipts.jsonl").trim().split("\n").map((line) => JSON.parse(line));

  test("every board entry's digest is recomputed here", () => {
    for (const line of board) {
      assert.equal(hexOf(entryDigest(pinned.context, line.entry)), line.digest);
    }
  });

  test("every cast's signature and ballot proofs verify, every challenge re-encrypts", () => {
    for (const { entry } of board) {
      if (entry.type !== "cast" && entry.type !== "spoiled") continue;
      const parsed = parseBallot(entry.ballot, pinned.manifest);
      verifyBallot(parsed, pinned.manifest, pinned.jointKey, pinned.context);
      if (entry.type === "cast") {
        verifyCast(fromHex(entry.credential), fromHex(entry.signature), pinned.context,
                   ballotDigest(pinned.context, entry.ballot));
      } else {
        checkOpening(parsed, parseOpening(entry.plaintext, entry.nonces, pinned.manifest),
                     pinned.jointKey);
      }
    }
  });

  test("Python's receipts verify with the manifest's key and name their entries", () => {
    assert.ok(receipts.length > 0);
    for (const { receipt, signature } of receipts) {
      verifyReceipt(receipt, fromHex(signature), pinned.manifest.receiptKey);
      assert.equal(board[receipt.index - 1].digest, receipt.entry_digest);
      assert.equal(board[receipt.index - 1].hash, receipt.board_hash);
      for (const [field, altered] of alterations(receipt)) {
        assert.throws(() => verifyReceipt(altered, fromHex(signature), pinned.manifest.receiptKey),
                      undefined, `altered ${field} was accepted`);
      }
    }
  });
});
