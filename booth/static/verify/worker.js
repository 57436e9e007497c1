// A Web Worker of the record verification page (verify/record.js): it checks
// slices of the board's ballots (checkBoardSlice), and one of the workers then
// runs the whole verifier with those slices' verdicts (verifyRecordFiles), so
// that the page's thread stays free to show progress.
//
// The group runs on libsodium's WebAssembly build; where WebAssembly is not
// allowed, on noble (several times slower, the same verdicts), and the page says so.
import { useSodium } from "../protocol/sodium_group.js";
import {
  RecordInvalid, checkBoardSlice, newMemo, verifyRecordFiles,
} from "../protocol/verifier.js";
import sodium from "../vendor/sodium.js";

const group = useSodium(sodium).then(() => "libsodium", () => "noble");
const memo = newMemo();

function answer(message) {
  self.postMessage(message);
}

function slice({ id, manifest, election, first, lines }) {
  try {
    return { kind: "slice", id, ...checkBoardSlice(manifest, election, first, lines, memo) };
  } catch (exc) {
    // The manifest or election itself is at fault: the whole pass will name it.
    return { kind: "slice", id, verdicts: [], aggregates: null, problem: String(exc?.message) };
  }
}

function record({ files, slices }) {
  try {
    const report = verifyRecordFiles(files, {
      slices, memo,
      onCheck: (step, text) => answer({ kind: "step", step, text }),
      progress: (done, total) => {
        if (done === total || done % 50 === 0) answer({ kind: "board", done, total });
      },
    });
    return { kind: "verified", report };
  } catch (exc) {
    if (exc instanceof RecordInvalid) return { kind: "invalid", message: exc.message };
    return { kind: "crashed", message: String(exc?.stack || exc) };
  }
}

self.onmessage = async ({ data }) => {
  const used = await group;
  if (data.kind === "hello") answer({ kind: "ready", group: used });
  else if (data.kind === "slice") answer(slice(data));
  else if (data.kind === "record") answer(record(data));
};
