// The bulletin board's hash chain (PROTOCOL.md §6; crypto/board.py).
import { canonicalJson } from "./canonical.js";
import { HB } from "./hashing.js";

/** d_k = HB("piaojue/v1/entry", Q, canonical_json(entry_k)). */
export function entryDigest(context, entry) {
  return HB("piaojue/v1/entry", context, canonicalJson(entry));
}

/** h_0 = HB("piaojue/v1/genesis", Q). */
export function genesis(context) {
  return HB("piaojue/v1/genesis", context);
}

/** h_k = HB("piaojue/v1/board", h_(k-1), d_k). */
export function nextHash(previous, digest) {
  return HB("piaojue/v1/board", previous, digest);
}
