// For tests/test_js_verifier.py: verify many records in one Node process.
// stdin: a JSON list of records, each {name: base64 of the member's bytes};
// stdout: a JSON list of {ok: true, boardHash} or {ok: false, message}.
import { readFileSync } from "node:fs";

import { RecordInvalid, newMemo, verifyRecordFiles } from "../../booth/static/protocol/verifier.js";

const records = JSON.parse(readFileSync(0, "utf8"));
const memo = newMemo(); // the mutants share most of their content: check each part once
const verdicts = records.map((record) => {
  const files = Object.fromEntries(Object.entries(record).map(
    ([name, data]) => [name, new Uint8Array(Buffer.from(data, "base64"))]));
  try {
    const report = verifyRecordFiles(files, { memo });
    return { ok: true, boardHash: report.boardHash, cast: report.cast };
  } catch (exc) {
    if (!(exc instanceof RecordInvalid)) return { ok: false, message: `CRASH ${exc.stack}` };
    return { ok: false, message: exc.message };
  }
});
process.stdout.write(JSON.stringify(verdicts));
