// Signed cast receipts (PROTOCOL.md §7; crypto/receipts.py): checked on the
// tablet against the manifest's receipt key, so a server cannot hand out a
// receipt it did not sign for the ballot the tablet sent.
import { canonicalJson, hexBytes } from "./canonical.js";
import { InvalidEncoding } from "./errors.js";
import { verifyEd25519 } from "./credentials.js";

export const RECEIPT_FIELDS = ["board_hash", "election_id", "entry_digest", "index", "round_id"];

export function checkReceiptShape(receipt) {
  if (receipt === null || typeof receipt !== "object" || Array.isArray(receipt) ||
      !RECEIPT_FIELDS.every((f) => f in receipt)) {
    throw new InvalidEncoding(`a receipt has the fields ${RECEIPT_FIELDS.join(", ")}`,
                              "receipt-shape");
  }
  for (const field of ["election_id", "round_id"]) {
    if (typeof receipt[field] !== "string") {
      throw new InvalidEncoding(`receipt ${field} must be text`, "receipt-shape");
    }
  }
  if (!Number.isSafeInteger(receipt.index) || receipt.index < 1) {
    throw new InvalidEncoding("receipt index must be a positive integer", "receipt-shape");
  }
  hexBytes(receipt.entry_digest, 32, "receipt entry_digest");
  hexBytes(receipt.board_hash, 32, "receipt board_hash");
}

/** Shape first, then the Ed25519 signature over the receipt's canonical JSON. */
export function verifyReceipt(receipt, signature, receiptKey) {
  checkReceiptShape(receipt);
  verifyEd25519(receiptKey, signature, canonicalJson(receipt), "the receipt signature");
}
