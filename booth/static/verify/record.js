// The record verification page (/verify/record, and the same page saved as one
// file): open a record zip, verify it on this device in Web Workers, then check
// a receipt against it and read the challenged ballots' openings. Nothing is
// sent anywhere: the page fetches a record only when asked to (the "this
// round's record" button), and the file saved for offline use cannot fetch at all.
import { parseCanonical } from "../protocol/canonical.js";
import { ProtocolError } from "../protocol/errors.js";
import { parseManifest } from "../protocol/manifest.js";
import { RecordInvalid, checkReceiptAgainstBoard } from "../protocol/verifier.js";
import { RecordFormatError } from "../protocol/zip.js";
import { readRecord, verifyInWorkers } from "./run.js";

const page = document.getElementById("record-verifier");
const T = JSON.parse(page.dataset.messages);
const $ = (id) => document.getElementById(id);

/** "{n} of {total}" style templates from the catalog, filled in. */
function say(key, values = {}) {
  return T[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

function makeWorker() {
  // The single-file page carries its worker's code (verify-offline.js sets this);
  // the served page loads the worker module beside this one.
  const source = globalThis.PIAOJUE_VERIFY_WORKER;
  if (source) {
    return new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
  }
  return new Worker(page.dataset.worker, { type: "module" });
}

function cores() {
  return Math.max(1, Math.min(16, navigator.hardwareConcurrency || 1));
}

function setUpWorkerChoice() {
  const select = $("workers");
  const wanted = Number(new URLSearchParams(location.search).get("workers")) || cores();
  for (let n = 1; n <= Math.max(cores(), wanted); n++) {
    const option = document.createElement("option");
    option.value = String(n);
    option.textContent = String(n);
    option.selected = n === wanted;
    select.append(option);
  }
}

function formatSeconds(seconds) {
  const s = Math.max(1, Math.round(seconds));
  return s < 60 ? say("seconds", { s }) : say("minutes", { m: Math.floor(s / 60), s: s % 60 });
}

let verified = null; // {report, manifest} once a record has verified

function reset() {
  verified = null;
  $("steps").replaceChildren();
  $("result").hidden = true;
  $("after").hidden = true;
  $("receipt-result").hidden = true;
  $("progress").value = 0;
  $("progress-box").hidden = false;
  $("eta").textContent = "";
}

function addStep(step, detail) {
  const item = document.createElement("li");
  item.dataset.step = step;
  const name = document.createElement("strong");
  name.textContent = `✔ ${T[`step-${step}`] || step}`;
  item.append(name);
  // The verifier's own account of the step is in English (the same words as
  // `piaojue verify`); a page in another language names the step's file instead.
  const text = document.createElement("span");
  text.className = "hint";
  text.textContent = document.documentElement.lang === "en" ? ` ${detail}`
    : ` (${detail.split(":")[0]})`;
  item.append(text);
  $("steps").append(item);
}

function showResult(ok, title, detail) {
  const box = $("result");
  box.className = ok ? "success" : "error";
  box.setAttribute("role", ok ? "status" : "alert");
  box.dataset.verdict = ok ? "verifies" : "fails";
  $("result-title").textContent = title;
  $("result-detail").textContent = detail;
  // A failure is the verifier's message, which names a file and a place in English.
  $("result-detail").lang = ok ? "" : "en";
  box.hidden = false;
  $("progress-box").hidden = true;
  box.focus();
}

async function verifyBytes(bytes, name) {
  reset();
  $("status").textContent = say("reading", { name });
  let files;
  try {
    files = await readRecord(bytes);
  } catch (exc) {
    if (!(exc instanceof RecordFormatError)) throw exc;
    showResult(false, T.unreadable, exc.message);
    return;
  }
  const count = Number($("workers").value) || 1;
  const started = performance.now();
  const outcome = await verifyInWorkers(files, {
    count,
    makeWorker,
    events: {
      ready: (group) => {
        $("status").textContent = say(group === "libsodium" ? "working" : "working-slow",
                                      { n: count });
      },
      slices: (done, total) => {
        $("progress").max = Math.max(1, total);
        $("progress").value = done;
        const elapsed = (performance.now() - started) / 1000;
        $("progress-text").textContent = say("entries", { done, total });
        $("eta").textContent = done && done < total
          ? say("eta", { time: formatSeconds(elapsed / done * (total - done)) }) : "";
      },
      board: () => { $("status").textContent = T.finishing; },
      step: addStep,
    },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  $("status").textContent = "";
  if (outcome.kind === "verified") {
    const r = outcome.report;
    verified = { report: r, manifest: parseManifest(parseCanonical(
      new TextDecoder().decode(files["manifest.json"]), "manifest.json")) };
    showResult(true, T.verifies, say("verifies-detail", {
      election: r.electionId, round: r.roundId, cast: r.cast, seconds, head: r.boardHash }));
    page.dataset.seconds = seconds;
    showAfter(verified);
  } else if (outcome.kind === "invalid") {
    showResult(false, T.fails, outcome.message);
  } else {
    showResult(false, T.crashed, outcome.message);
  }
}

// ---- after verification: receipts and challenged ballots ---------------------------

class ReceiptUnreadable extends Error {}

/** The receipt's {receipt, signature}, from its JSON text, its link or the link's code. */
function decodeReceiptText(text) {
  let value = text.trim();
  if (!value) throw new ReceiptUnreadable(T["receipt-empty"]);
  if (!value.startsWith("{")) {
    if (value.includes("receipt=")) value = value.split("receipt=")[1].split("&")[0];
    try {
      const b64 = value.replace(/-/g, "+").replace(/_/g, "/");
      value = new TextDecoder("utf-8", { fatal: true }).decode(
        Uint8Array.from(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0)));
    } catch {
      throw new ReceiptUnreadable(T["receipt-unreadable"]);
    }
  }
  let doc;
  try {
    doc = JSON.parse(value);
  } catch {
    throw new ReceiptUnreadable(T["receipt-unreadable"]);
  }
  if (doc === null || typeof doc !== "object" || typeof doc.receipt !== "object" ||
      doc.receipt === null) {
    throw new ReceiptUnreadable(T["receipt-unreadable"]);
  }
  return doc;
}

function checkReceipt() {
  const box = $("receipt-result");
  let ok = false, detail;
  try {
    const doc = decodeReceiptText($("receipt-text").value);
    checkReceiptAgainstBoard("receipt", doc.receipt, doc.signature, verified.manifest,
                             verified.report.chain);
    ok = true;
    detail = say("receipt-ok", { k: doc.receipt.index });
  } catch (exc) {
    if (exc instanceof RecordInvalid || exc instanceof ProtocolError) {
      detail = say("receipt-bad", { why: exc.message });
    } else if (exc instanceof ReceiptUnreadable) {
      detail = exc.message;
    } else {
      throw exc;
    }
  }
  box.className = ok ? "success" : "error";
  box.setAttribute("role", ok ? "status" : "alert");
  box.dataset.verdict = ok ? "verifies" : "fails";
  box.textContent = detail;
  box.hidden = false;
}

function markWord(manifest, marks) {
  const chosen = manifest.options.filter((_, o) => marks[o] === 1);
  if (!chosen.length) return manifest.kind === "rating" ? T["mark-none-rating"] : T["mark-none"];
  return chosen.map((option) => T[`mark-${option}`] || option).join(" + ");
}

function showAfter({ report, manifest }) {
  $("after").hidden = false;
  const body = $("challenged-rows");
  body.replaceChildren();
  $("challenged-none").hidden = report.challenged.length > 0;
  $("challenged-table").hidden = report.challenged.length === 0;
  for (const ballot of report.challenged) {
    const row = document.createElement("tr");
    row.dataset.entry = String(ballot.index);
    const cells = [String(ballot.index), ballot.fingerprint,
      manifest.rows.map((r, i) => `${r.title}：${markWord(manifest, ballot.plaintext[i])}`)
        .join("；")];
    cells.forEach((text, i) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (i === 1) cell.className = "fingerprint small";
      row.append(cell);
    });
    body.append(row);
  }
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("receipt");
  if (fromLink) {
    $("receipt-text").value = fromLink;
    checkReceipt();
  }
}

// ---- wiring ---------------------------------------------------------------------------

async function fromFile() {
  const [file] = $("record-file").files;
  if (file) await verifyBytes(new Uint8Array(await file.arrayBuffer()), file.name);
}

async function fromServer() {
  const url = page.dataset.record;
  reset();
  $("status").textContent = say("downloading", { name: url });
  let response;
  try {
    response = await fetch(url);
  } catch {
    response = null;
  }
  if (!response?.ok) {
    showResult(false, T.unreadable, say("download-failed", { name: url }));
    return;
  }
  await verifyBytes(new Uint8Array(await response.arrayBuffer()), url);
}

setUpWorkerChoice();
$("record-file").addEventListener("change", fromFile);
document.querySelector('[data-action="check-receipt"]').addEventListener("click", checkReceipt);
const fetchButton = document.querySelector('[data-action="fetch-record"]');
if (fetchButton) fetchButton.addEventListener("click", fromServer);
page.dataset.ready = "1";
// Arriving from a receipt's check on the site (/verify): verify the round's record
// and then that receipt against it, without another click.
if (page.dataset.record && new URLSearchParams(location.hash.slice(1)).has("receipt")) {
  fromServer();
}
