// The booth's Web Worker: pins the round itself, then encrypts and proves
// ballots off the page's thread, reporting progress. It is given marks and
// public parameters only: the credential code never reaches it.
import { ballotDigest, encryptBallot, openingToJson } from "../protocol/encrypted_ballot.js";
import { ProtocolError } from "../protocol/errors.js";
import { toHex, withTable } from "../protocol/group.js";
import { pinRound } from "../protocol/pinning.js";

let pinned = null;
let jointKey = null;

function pin({ manifestJson, election, claimed }) {
  pinned = pinRound(manifestJson, election, claimed);
  jointKey = withTable(pinned.jointKey); // about 90 ms, once per round
  return { type: "pinned", context: toHex(pinned.context) };
}

function encrypt({ marks }) {
  if (!pinned) throw new Error("the round is not pinned");
  let reported = 0;
  const { ballot, opening } = encryptBallot(
    pinned.manifest, jointKey, pinned.context, marks, undefined, (done, total) => {
      if (done === total || done - reported >= total / 50) {
        reported = done;
        postMessage({ type: "progress", done, total });
      }
    });
  return { type: "encrypted", ballot, opening: openingToJson(opening),
           digest: toHex(ballotDigest(pinned.context, ballot)) };
}

self.onmessage = (event) => {
  const request = event.data;
  try {
    postMessage(request.type === "pin" ? pin(request) : encrypt(request));
  } catch (exc) {
    postMessage({ type: "error", code: exc instanceof ProtocolError ? exc.code : "internal",
                  message: exc.message });
  }
};
