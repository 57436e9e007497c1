// Pinning a round's public parameters (PROTOCOL.md §3, §4, §7): the tablet
// recomputes Q from the manifest, the joint key and the trustees' commitments
// instead of trusting the server's word for any of them, and refuses to
// encrypt when anything disagrees. The twin of crypto/pinning.py.
import { parseCanonical, pointFromHex } from "./canonical.js";
import {
  commitmentsHash, electionContext, jointKey, trusteeCommitmentFromJson, verifyAllCommitments,
} from "./ceremony.js";
import { PinningFailed, ProtocolError } from "./errors.js";
import { toHex } from "./group.js";
import { fingerprint } from "./hashing.js";
import { manifestHash, parseManifest, roundContext } from "./manifest.js";

function refuse(code, message) {
  return new PinningFailed(message, code);
}

function step(code, what, check) {
  try {
    return check();
  } catch (exc) {
    if (!(exc instanceof ProtocolError)) throw exc;
    throw refuse(code, `${what}: ${exc.message}`);
  }
}

/**
 * Pin a round from the manifest's canonical text and election.json's content.
 * `claimed` holds what the server says the joint key and Q are (either may be
 * absent); both must equal what is recomputed here.
 * @returns {{manifest: object, manifestJson: string, jointKey: object, context: Uint8Array,
 *   fingerprint: string, commitments: object[]}}
 */
export function pinRound(manifestJson, election, claimed = {}) {
  const manifest = step("pin-manifest", "manifest.json",
                        () => parseManifest(parseCanonical(manifestJson, "manifest.json")));
  if (election === null || typeof election !== "object" ||
      !["election_id", "threshold", "joint_key", "trustees"].every((f) => f in election)) {
    throw refuse("pin-election", "election.json: needs election_id, threshold, joint_key and " +
                                 "trustees");
  }
  if (election.election_id !== manifest.electionId) {
    throw refuse("pin-election", "election.json: election_id differs from the manifest's");
  }
  if (election.threshold !== manifest.threshold) {
    throw refuse("pin-election", "election.json: threshold differs from the manifest's");
  }
  if (!Array.isArray(election.trustees) || election.trustees.length !== manifest.trustees) {
    throw refuse("pin-election", `election.json: the manifest names ${manifest.trustees} trustees`);
  }
  const published = step("pin-commitments", "election.json",
                         () => election.trustees.map(trusteeCommitmentFromJson));
  step("pin-commitments", "election.json", () => verifyAllCommitments(
    published, manifest.trustees, manifest.threshold,
    electionContext(manifest.electionId, manifest.trustees, manifest.threshold)));
  const key = jointKey(published);
  const stated = step("pin-joint-key", "election.json joint_key",
                      () => pointFromHex(election.joint_key));
  if (!stated.equals(key)) {
    throw refuse("pin-joint-key", "election.json: joint_key is not the sum of the C_i0");
  }
  if (claimed.jointKey !== undefined && claimed.jointKey !== toHex(key.toBytes())) {
    throw refuse("pin-joint-key", "the joint key the server states is not the trustees' joint key");
  }
  const context = roundContext(manifestHash(manifest), key, commitmentsHash(published));
  if (claimed.context !== undefined && claimed.context !== toHex(context)) {
    throw refuse("pin-context", "the context Q the server states differs from the one " +
                                "recomputed from the manifest and the ceremony");
  }
  return Object.freeze({
    manifest, manifestJson, jointKey: key, context,
    fingerprint: fingerprint(context), commitments: published,
  });
}

/**
 * Pin what GET /api/rounds/<election>/<round> answers, for the round the page
 * expects: a server that answers for another round is refused too.
 */
export function pinRoundAnswer(answer, electionId, roundId) {
  if (answer === null || typeof answer !== "object" || typeof answer.manifest_json !== "string") {
    throw refuse("pin-manifest", "the round's parameters carry no manifest");
  }
  const pinned = pinRound(answer.manifest_json, answer.election,
                          { jointKey: answer.joint_key, context: answer.context });
  if (pinned.manifest.electionId !== electionId || pinned.manifest.roundId !== roundId) {
    throw refuse("pin-round", "the manifest is for another round");
  }
  return pinned;
}
