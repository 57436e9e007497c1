// For tests/test_js_verifier.py: verify many records in one Node process.
// stdin: a JSON list of records, each {name: base64 of the member's bytes};
// stdout: a JSON list of {ok: true, boardHash} or {ok: false, message}.
//
//   node verify_many.mjs noble    the group on noble, one pass (the booth's library)
//   node verify_many.mjs sodium   the group on libsodium's WebAssembly, one pass
//   node verify_many.mjs sliced   libsodium, and the board's ballots checked first in
//                                 slices of 1, 2 and 3 lines in turn, as the page's
//                                 workers do, then the whole pass with their verdicts
import { readFileSync } from "node:fs";

import { useSodium } from "../../booth/static/protocol/sodium_group.js";
import {
  RecordInvalid, boardSliceJobs, checkBoardSlice, newMemo, verifyRecordFiles,
} from "../../booth/static/protocol/verifier.js";
import sodium from "../../booth/static/vendor/sodium.js";

const mode = process.argv[2];
if (!["noble", "sodium", "sliced"].includes(mode)) {
  process.stderr.write("usage: node verify_many.mjs noble|sodium|sliced < records.json\n");
  process.exit(2);
}
if (mode !== "noble") await useSodium(sodium);

/** What the page's workers would hand the final pass (booth/static/verify/run.js). */
function slicesOf(files, size) {
  const { manifest, election, parts } = boardSliceJobs(files, size);
  const slices = [];
  for (const { first, lines } of parts) {
    try {
      slices.push(checkBoardSlice(manifest, election, first, lines));
    } catch {
      // as the page's worker: a slice that cannot pin the round is left to the full pass
    }
  }
  return slices;
}

const records = JSON.parse(readFileSync(0, "utf8"));
const memo = newMemo(); // the mutants share most of their content: check each part once
const verdicts = records.map((record, i) => {
  const files = Object.fromEntries(Object.entries(record).map(
    ([name, data]) => [name, new Uint8Array(Buffer.from(data, "base64"))]));
  try {
    const slices = mode === "sliced" ? slicesOf(files, 1 + (i % 3)) : [];
    const report = verifyRecordFiles(files, { memo, slices });
    return { ok: true, boardHash: report.boardHash, cast: report.cast };
  } catch (exc) {
    if (!(exc instanceof RecordInvalid)) return { ok: false, message: `CRASH ${exc.stack}` };
    return { ok: false, message: exc.message };
  }
});
process.stdout.write(JSON.stringify(verdicts));
