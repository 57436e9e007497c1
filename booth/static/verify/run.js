// Verifying a record with a pool of Web Workers (no DOM here: verify/record.js
// draws). The board's lines are handed out in small slices to whichever worker
// is free, so every core stays busy and progress moves evenly; then one worker
// runs the whole verifier in order, with the slices' verdicts, which is what
// makes the first failure the same as a single pass's (and as Python's).
import { readRecordZip } from "../protocol/zip.js";

const utf8 = new TextDecoder("utf-8");

/** Inflate a zip member with the browser's own DecompressionStream. */
export async function inflateRaw(data) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The record's members by name, or a RecordFormatError naming what is wrong. */
export function readRecord(bytes) {
  return readRecordZip(bytes, inflateRaw);
}

function boardLines(files) {
  const text = utf8.decode(files["board.jsonl"]);
  return text.endsWith("\n") ? text.slice(0, -1).split("\n") : [];
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
    const missing = ["manifest.json", "election.json", "board.jsonl"].some((n) => !(n in files));
    const slices = missing ? [] : await checkSlices(files, workers, events);
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
  const manifest = utf8.decode(files["manifest.json"]);
  const election = utf8.decode(files["election.json"]);
  const lines = boardLines(files);
  const size = Math.max(1, Math.min(16, Math.ceil(lines.length / (workers.length * 8))));
  const queue = [];
  for (let first = 1; first <= lines.length; first += size) queue.push(first);
  const slices = [];
  let done = 0;
  events.slices?.(0, lines.length);
  await Promise.all(workers.map(async (worker) => {
    while (queue.length) {
      const first = queue.shift();
      const part = lines.slice(first - 1, first - 1 + size);
      const answer = await ask(worker, { kind: "slice", id: first, manifest, election, first,
                                         lines: part });
      if (answer.aggregates !== null) slices.push(answer);
      done += part.length;
      events.slices?.(done, lines.length);
    }
  }));
  return slices.map(({ verdicts, aggregates }) => ({ verdicts, aggregates }));
}
