// Verifying a record with a pool of Web Workers (no DOM here: verify/record.js
// draws). The board's lines are handed out in small slices to whichever worker
// is free, so every core stays busy and progress moves evenly; then one worker
// runs the whole verifier in order, with the slices' verdicts, which is what
// makes the first failure the same as a single pass's (and as Python's).
import { boardSliceJobs } from "../protocol/verifier.js";
import { readRecordZip } from "../protocol/zip.js";

/** Inflate a zip member with the browser's own DecompressionStream. */
export async function inflateRaw(data) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The record's members by name, or a RecordFormatError naming what is wrong. */
export function readRecord(bytes) {
  return readRecordZip(bytes, inflateRaw);
}

function ask(worker, message) {
  return new Promise((resolve, reject) => {
    const listener = ({ data }) => {
      if (data.kind === "step" || data.kind === "board") return; // told through `events`
      worker.removeEventListener("message", listener);
      resolve(data);
    };
    worker.addEventListener("message", listener);
    worker.addEventListener("error", (event) => reject(new Error(event.message)), { once: true });
    worker.postMessage(message);
  });
}

/**
 * Verify `files` with `count` workers made by `makeWorker()`.
 * `events`: ready(group), slices(doneLines, totalLines), step(step, text), board(done, total).
 * Resolves to {kind: "verified", report} | {kind: "invalid", message} | {kind: "crashed", message}.
 */
export async function verifyInWorkers(files, { count, makeWorker, events = {} }) {
  const workers = Array.from({ length: Math.max(1, count) }, () => makeWorker());
  try {
    const groups = await Promise.all(workers.map((w) => ask(w, { kind: "hello" })));
    events.ready?.(groups[0].group);
    const slices = await checkSlices(files, workers, events);
    workers[0].addEventListener("message", ({ data }) => {
      if (data.kind === "step") events.step?.(data.step, data.text);
      if (data.kind === "board") events.board?.(data.done, data.total);
    });
    return await ask(workers[0], { kind: "record", files, slices });
  } finally {
    workers.forEach((w) => w.terminate());
  }
}

async function checkSlices(files, workers, events) {
  // About eight slices a worker (at most 16 lines each), so the load stays even.
  const { manifest, election, total, parts } = boardSliceJobs(
    files, (lines) => Math.max(1, Math.min(16, Math.ceil(lines / (workers.length * 8)))));
  const slices = [];
  let done = 0;
  events.slices?.(0, total);
  await Promise.all(workers.map(async (worker) => {
    while (parts.length) {
      const { first, lines } = parts.shift();
      const answer = await ask(worker, { kind: "slice", id: first, manifest, election, first,
                                         lines });
      if (answer.aggregates !== null) slices.push(answer);
      done += lines.length;
      events.slices?.(done, total);
    }
  }));
  return slices.map(({ verdicts, aggregates }) => ({ verdicts, aggregates }));
}
