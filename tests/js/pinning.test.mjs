// The tablet pins a round and refuses every substitution a server could try,
// and checks the receipt it is given against the ballot it sent.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { checkCastAnswer, signBallot } from "../../booth/static/protocol/cast.js";
import { canonicalText } from "../../booth/static/protocol/canonical.js";
import { deriveCredentialKey } from "../../booth/static/protocol/credentials.js";
import { InvalidReceipt, PinningFailed } from "../../booth/static/protocol/errors.js";
import { G, baseMul, pointHex } from "../../booth/static/protocol/group.js";
import { pinRound, pinRoundAnswer } from "../../booth/static/protocol/pinning.js";

const BOOTH = JSON.parse(readFileSync(new URL("../vectors/booth_v1.json", import.meta.url)));
const vector = BOOTH.selection;
const copy = (value) => JSON.parse(JSON.stringify(value));
const answer = () => ({ manifest_json: vector.manifest_json, election: copy(vector.election),
                        joint_key: vector.election.joint_key, context: vector.context });

function refusedWith(change, code) {
  const doc = answer();
  change(doc);
  assert.throws(() => pinRoundAnswer(doc, "kat-booth", "selection-1"),
                (exc) => exc instanceof PinningFailed && exc.code === code, code);
}

describe("pinning", () => {
  test("the honest parameters pin", () => {
    const pinned = pinRoundAnswer(answer(), "kat-booth", "selection-1");
    assert.equal(pinned.fingerprint, vector.round_fingerprint);
  });

  test("a joint key the server chose (x*G) is refused, stated alone or in election.json", () => {
    const substitute = pointHex(baseMul(123456789n));
    refusedWith((doc) => { doc.joint_key = substitute; }, "pin-joint-key");
    refusedWith((doc) => { doc.election.joint_key = substitute; }, "pin-joint-key");
  });

  test("a substituted commitment fails its proof; a stated Q that differs is refused", () => {
    refusedWith((doc) => {
      doc.election.trustees[1].commitments[0] = pointHex(baseMul(99n));
    }, "pin-commitments");
    refusedWith((doc) => { doc.context = "00".repeat(32); }, "pin-context");
    refusedWith((doc) => { doc.election.trustees.pop(); }, "pin-election");
    refusedWith((doc) => { doc.election.threshold = 3; }, "pin-election");
  });

  test("a substituted or reformatted manifest is refused", () => {
    const manifest = JSON.parse(vector.manifest_json);
    refusedWith((doc) => { doc.manifest_json = canonicalText({ ...manifest, title: "x" }); },
                "pin-context");
    refusedWith((doc) => { doc.manifest_json = JSON.stringify(manifest, null, 1); },
                "pin-manifest");
    refusedWith((doc) => {
      doc.manifest_json = canonicalText({ ...manifest, election_id: "other" });
    }, "pin-election");
    assert.throws(() => pinRoundAnswer(answer(), "kat-booth", "another-round"),
                  (exc) => exc.code === "pin-round");
  });

  test("a joint key whose commitments sum elsewhere cannot be passed as G", () => {
    refusedWith((doc) => { doc.joint_key = pointHex(G); }, "pin-joint-key");
  });
});

describe("the cast answer", () => {
  const pinned = pinRound(vector.manifest_json, vector.election);
  const key = deriveCredentialKey(vector.code, "kat-booth", "selection-1");
  const { body } = signBallot(pinned, key, vector.ballot);
  const good = copy(vector.receipt);

  test("the receipt for exactly this ballot checks", () => {
    assert.equal(checkCastAnswer(pinned, body, good).receipt.index, 2);
  });

  test("a receipt for another entry, another round or with a bad signature is refused", () => {
    const entry = copy(good);
    entry.receipt.entry_digest = "11".repeat(32);
    assert.throws(() => checkCastAnswer(pinned, body, entry), InvalidReceipt);
    const otherBody = { ...body, signature: "00".repeat(64) };
    assert.throws(() => checkCastAnswer(pinned, otherBody, good),
                  (exc) => exc.code === "receipt-entry");
    const signature = copy(good);
    signature.signature = signature.signature.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    assert.throws(() => checkCastAnswer(pinned, body, signature),
                  (exc) => exc.code === "receipt-signature");
    assert.throws(() => checkCastAnswer(pinned, body, null), InvalidReceipt);
  });
});
