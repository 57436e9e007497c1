// The deputy's side of a cast (PROTOCOL.md §6, §7; crypto/cast.py): sign the
// encrypted ballot with the credential, and check the receipt that comes back
// against the manifest's receipt key and the digest computed here.
import { hexBytes } from "./canonical.js";
import { entryDigest } from "./board.js";
import { castMessage } from "./credentials.js";
import { ballotDigest } from "./encrypted_ballot.js";
import { InvalidReceipt, ProtocolError } from "./errors.js";
import { toHex } from "./group.js";
import { verifyReceipt } from "./receipts.js";
import { ed25519 } from "../vendor/noble.js";

/**
 * The cast request body: exactly ballot, credential and signature.
 * @returns {{body: {ballot: object, credential: string, signature: string}, digest: Uint8Array}}
 */
export function signBallot(pinned, key, ballotJson) {
  const digest = ballotDigest(pinned.context, ballotJson);
  const signature = ed25519.sign(castMessage(pinned.context, digest), key.seed);
  return {
    body: { ballot: ballotJson, credential: toHex(key.publicKey), signature: toHex(signature) },
    digest,
  };
}

/**
 * Check a 201/200 answer: signed by the manifest's receipt key, for this round,
 * and its entry digest is that of exactly the signed ballot sent. Returns
 * the {receipt, signature} document; throws InvalidReceipt otherwise.
 */
export function checkCastAnswer(pinned, body, answer) {
  try {
    if (answer === null || typeof answer !== "object") {
      throw new InvalidReceipt("the answer must be a JSON object", "receipt-shape");
    }
    const { receipt } = answer;
    verifyReceipt(receipt, hexBytes(answer.signature, 64, "signature"),
                  pinned.manifest.receiptKey);
    if (receipt.election_id !== pinned.manifest.electionId ||
        receipt.round_id !== pinned.manifest.roundId) {
      throw new InvalidReceipt("the receipt is for another round", "receipt-round");
    }
    const expected = toHex(entryDigest(pinned.context, { type: "cast", ...body }));
    if (receipt.entry_digest !== expected) {
      throw new InvalidReceipt("the receipt is for another board entry than the ballot sent",
                               "receipt-entry");
    }
    return { receipt, signature: answer.signature };
  } catch (exc) {
    if (exc instanceof InvalidReceipt || !(exc instanceof ProtocolError)) throw exc;
    throw new InvalidReceipt(exc.message, exc.code === "signature" ? "receipt-signature" :
      "receipt-shape");
  }
}
