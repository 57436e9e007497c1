// Make a cast as the tablet does, for tests/test_js_cross.py: reads
// {manifest_json, election, code, marks} as JSON on stdin, pins the round,
// encrypts with the platform's randomness, signs, and writes
// {body, spoiled, digest} as JSON on stdout. Exit 1 with the message on a
// protocol error (a substituted key, marks over the limit).
import { readFileSync } from "node:fs";

import { signBallot } from "../../booth/static/protocol/cast.js";
import { canonicalText } from "../../booth/static/protocol/canonical.js";
import { deriveCredentialKey } from "../../booth/static/protocol/credentials.js";
import { encryptBallot, openingToJson } from "../../booth/static/protocol/encrypted_ballot.js";
import { ProtocolError } from "../../booth/static/protocol/errors.js";
import { toHex, withTable } from "../../booth/static/protocol/group.js";
import { pinRound } from "../../booth/static/protocol/pinning.js";

const request = JSON.parse(readFileSync(0, "utf8"));
try {
  const pinned = pinRound(request.manifest_json, request.election);
  const key = deriveCredentialKey(request.code, pinned.manifest.electionId,
                                  pinned.manifest.roundId);
  const { ballot, opening } = encryptBallot(pinned.manifest, withTable(pinned.jointKey),
                                            pinned.context, request.marks);
  const { body, digest } = signBallot(pinned, key, ballot);
  process.stdout.write(canonicalText({
    body, digest: toHex(digest), spoiled: { ballot, ...openingToJson(opening) },
  }));
} catch (exc) {
  if (!(exc instanceof ProtocolError)) throw exc;
  process.stderr.write(`${exc.code}: ${exc.message}\n`);
  process.exit(1);
}
