// The tablet booth, all in the page: pin the round, sign in with the slip's
// code, mark, review, encrypt in a Web Worker, then cast or challenge.
//
// The code and the marks never leave this page: the server is asked only
// whether the derived public key can vote, and is sent the encrypted ballot
// with its signature (cast), or an opened ballot that will not be counted
// (challenge). Every sentence shown comes from the page's own catalog
// (the data-messages of #booth), rendered by the server in the deputy's language.
import { canonicalText } from "../protocol/canonical.js";
import { checkCastAnswer, signBallot } from "../protocol/cast.js";
import { deriveCredentialKey, normalizeCode } from "../protocol/credentials.js";
import { checkMarks } from "../protocol/encrypted_ballot.js";
import { ProtocolError } from "../protocol/errors.js";
import { fromHex, toHex } from "../protocol/group.js";
import { fingerprint } from "../protocol/hashing.js";
import { pinRoundAnswer } from "../protocol/pinning.js";

const root = document.getElementById("booth");
let messages = JSON.parse(root.dataset.messages); // replaced when the language changes
const rows = JSON.parse(root.dataset.rows);
const electionId = root.dataset.election;
const roundId = root.dataset.round;
const api = root.dataset.api;
const seats = Number(root.dataset.seats);
const idleSeconds = Number(root.dataset.idleSeconds) || 240;
/** The election's other open rounds: a slip for one of them is named, not counted as a guess. */
const otherRounds = JSON.parse(root.dataset.otherRounds || "[]");
const IDLE_GRACE_SECONDS = 60;
const $ = (id) => document.getElementById(id);
const STEPS = ["step-sign-in", "step-ballot", "step-review", "step-working", "step-fingerprint",
  "step-challenged", "step-receipt"];

/** What this page holds for one deputy, and forgets on cast or abandon. */
let pinned = null;
let key = null;
/** Challenges this sign-in may still make (the page's own bound; the server bounds each
 * tablet, and cannot bound a code without learning which code challenged what). */
let challengesLeft = 0;
let prepared = null;
let worker = null;

function say(template, params = {}) {
  return template.replace(/%\((\w+)\)s|\{(\w+)\}/g, (_, a, b) => String(params[a || b] ?? ""));
}

function show(step) {
  for (const id of STEPS) $(id).hidden = id !== step;
  const heading = $(step).querySelector("h2");
  if (heading) { // where a screen reader's user should be after the step changes
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

function status(text) {
  $("booth-status").textContent = text;
}

/** Stop, saying why; `sent` when the ballot already went to the server (a bad receipt). */
function refuse(text, { sent = false } = {}) {
  for (const id of STEPS) $(id).hidden = true;
  $("booth-refused-text").textContent = text;
  $("booth-refused-nothing-sent").hidden = sent;
  $("booth-refused").hidden = false;
  status("");
}

/** The reason in the page's language: each protocol error names its case by a code. */
function reasonOf(exc) {
  const known = exc instanceof ProtocolError && messages[exc.code];
  if (!known) console.error(exc); // the technical detail, for whoever helps the deputy
  return known || messages.unexpected;
}

// --- talking to the server -------------------------------------------------------------------

async function postJson(path, body) {
  // The page's language travels in the URL: the request carries no cookie.
  const response = await fetch(`${api}/${path}?lang=${encodeURIComponent(root.dataset.lang)}`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: canonicalText(body), credentials: "omit", cache: "no-store",
  });
  let doc = null;
  try {
    doc = await response.json();
  } catch {
    doc = null;
  }
  return { status: response.status, doc };
}

/** POST, retrying while the network fails (never on an answer): a cast is idempotent. */
async function postWithRetry(path, body, attempts = 6) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postJson(path, body);
    } catch (exc) {
      if (attempt >= attempts) throw exc;
      status(messages.retrying);
      await new Promise((done) => setTimeout(done, 500 * 2 ** attempt));
    }
  }
}

// --- pinning the round -------------------------------------------------------------------------

function startWorker(answer) {
  worker = new Worker(root.dataset.worker, { type: "module" });
  return callWorker({ type: "pin", manifestJson: answer.manifest_json, election: answer.election,
                      claimed: { jointKey: answer.joint_key, context: answer.context } });
}

function callWorker(request, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      const reply = event.data;
      if (reply.type === "progress") return onProgress(reply.done, reply.total);
      if (reply.type === "error") return reject(new ProtocolError(reply.message, reply.code));
      resolve(reply);
    };
    worker.onerror = (event) => reject(new Error(event.message || "the worker failed"));
    worker.postMessage(request);
  });
}

async function pin() {
  let answer;
  try {
    const response = await fetch(api, { credentials: "omit", cache: "no-store" });
    answer = await response.json();
  } catch {
    return refuse(messages.network);
  }
  try {
    pinned = pinRoundAnswer(answer, electionId, roundId);
    const inWorker = await startWorker(answer);
    if (inWorker.context !== toHex(pinned.context)) throw new Error("the worker pinned another Q");
  } catch (exc) {
    return refuse(say(messages.pinning, { reason: reasonOf(exc) }));
  }
  $("round-fingerprint").textContent = pinned.fingerprint;
  status(messages.ready);
  show("step-sign-in");
  $("code").focus();
  offerScanner();
}

// --- signing in ----------------------------------------------------------------------------

function codeError(text) {
  $("code-error").textContent = text;
  $("code-error").hidden = !text;
}

async function signIn(event) {
  event.preventDefault();
  codeError("");
  let code;
  try {
    code = normalizeCode($("code").value);
  } catch (exc) {
    return codeError(reasonOf(exc)); // a typo: nothing is sent
  }
  const derived = deriveCredentialKey(code, electionId, roundId);
  const asked = { credential: toHex(derived.publicKey) };
  if (otherRounds.length) { // public keys only: the board of each round lists its own
    asked.elsewhere = Object.fromEntries(otherRounds.map(
      (other) => [other, toHex(deriveCredentialKey(code, electionId, other).publicKey)]));
  }
  let reply;
  try {
    reply = await postJson("credential", asked);
  } catch {
    return codeError(messages.network);
  }
  if (reply.status !== 200) return codeError(reply.doc?.error || messages.network);
  key = derived;
  challengesLeft = Number(root.dataset.challenges);
  showChallengesLeft();
  $("code").value = "";
  show("step-ballot");
}

function offerScanner() {
  const button = root.querySelector("[data-action=scan]");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const video = $("scanner");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch {
      return codeError(messages["scan-failed"]);
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const stop = () => { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; };
    const deadline = Date.now() + 30000;
    const look = async () => {
      const found = await detector.detect(video).catch(() => []);
      if (found.length) {
        stop();
        $("code").value = found[0].rawValue;
        return $("sign-in-form").requestSubmit();
      }
      if (Date.now() > deadline) return stop() || codeError(messages["scan-failed"]);
      requestAnimationFrame(look);
    };
    look();
  });
}

// --- marking -------------------------------------------------------------------------------------

function chosen() {
  return rows.map((row) => {
    const input = root.querySelector(`input[name="row-${CSS.escape(row.id)}"]:checked`);
    return input ? input.value : "abstain";
  });
}

function marksOf(choices) {
  return choices.map((choice) => pinned.manifest.options.map((o) => (o === choice ? 1 : 0)));
}

function forCount() {
  return chosen().filter((c) => c === "for").length;
}

let previous = {};
function rememberMarks() {
  const choices = chosen();
  previous = Object.fromEntries(rows.map((row, i) => [row.id, choices[i]]));
}

function onMark(event) {
  const input = event.target;
  if (input.type !== "radio") return;
  const limit = $("limit-error");
  const rowId = input.name.slice("row-".length);
  if (pinned.manifest.kind === "selection" && input.value === "for" && forCount() > seats) {
    const back = root.querySelector(
      `input[name="${CSS.escape(input.name)}"][value="${previous[rowId] || "abstain"}"]`);
    if (back) back.checked = true;
    input.closest("fieldset").append(limit); // beside the row it is about
    limit.hidden = false;
    limit.focus({ preventScroll: true });
  } else {
    previous[rowId] = input.value;
    limit.hidden = true;
  }
  updateCounter();
}

function updateCounter() {
  const counter = $("counter");
  if (!counter) return;
  $("count").textContent = String(forCount());
  counter.classList.toggle("full", forCount() >= seats);
}

function fillMarksTable(tbody, choices) {
  tbody.replaceChildren(...rows.map((row, i) => {
    const tr = document.createElement("tr");
    tr.className = `mark-${choices[i]}`;
    const project = document.createElement("td");
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = row.id;
    project.append(code, ` ${row.title}`);
    const mark = document.createElement("td");
    const strong = document.createElement("strong");
    strong.textContent = messages.labels[choices[i]];
    mark.append(strong);
    tr.append(project, mark);
    return tr;
  }));
}

function review() {
  const choices = chosen();
  try {
    checkMarks(pinned.manifest, marksOf(choices));
  } catch {
    const limit = $("limit-error");
    limit.textContent = say(messages.marks, { n: forCount(), k: seats });
    limit.hidden = false;
    return;
  }
  fillMarksTable($("review-table").tBodies[0], choices);
  show("step-review");
}

// --- encrypting, casting, challenging ----------------------------------------------------------

async function encrypt() {
  const marks = marksOf(chosen());
  $("working-title").textContent = messages.encrypting;
  const bar = $("working-progress");
  bar.value = 0;
  $("fingerprint").textContent = "";
  show("step-working");
  try {
    const reply = await callWorker({ type: "encrypt", marks }, (done, total) => {
      bar.max = total;
      bar.value = done;
    });
    prepared = { ballot: reply.ballot, opening: reply.opening, digest: fromHex(reply.digest) };
  } catch (exc) {
    return refuse(say(messages.refused, { reason: reasonOf(exc) }));
  }
  $("fingerprint").textContent = fingerprint(prepared.digest);
  $("cast-error").hidden = true;
  show("step-fingerprint");
}

function busy(on) {
  for (const button of $("step-fingerprint").querySelectorAll("button")) button.disabled = on;
}

/**
 * Send a cast or a challenge with the step's buttons disabled; the answer when its
 * status is one of `accepted`, else null with the reason shown beside the buttons.
 */
async function send(path, body, working, accepted) {
  busy(true);
  status(working);
  let reply;
  try {
    reply = await postWithRetry(path, body);
  } catch {
    reply = null;
  }
  busy(false);
  if (reply === null) return showCastError(messages.network);
  if (!accepted.includes(reply.status)) {
    return showCastError(say(messages.refused, { reason: reply.doc?.error || reply.status }));
  }
  return reply;
}

async function cast() {
  const { body, digest } = signBallot(pinned, key, prepared.ballot);
  const reply = await send("cast", body, messages.casting, [200, 201]);
  if (!reply) return;
  let doc;
  try {
    doc = checkCastAnswer(pinned, body, reply.doc);
  } catch (exc) {
    return refuse(say(messages.receipt, { reason: reasonOf(exc) }), { sent: true });
  }
  showReceipt(doc, digest, reply.doc);
}

function showCastError(text) {
  status("");
  $("cast-error").textContent = text;
  $("cast-error").hidden = false;
  return null;
}

function showReceipt(doc, digest, answer) {
  const text = canonicalText(doc);
  key = null;
  prepared = null;
  $("ballot-form").reset();
  $("booth-title").textContent = messages["cast-title"];
  $("receipt-time").textContent = new Date().toLocaleString(document.documentElement.lang);
  $("receipt-fingerprint").textContent = fingerprint(digest);
  $("receipt-index").textContent = String(doc.receipt.index);
  $("receipt-digest").textContent = doc.receipt.entry_digest;
  $("receipt-json").textContent = text;
  $("receipt-download").href = URL.createObjectURL(new Blob([text + "\n"],
                                                            { type: "application/json" }));
  if (answer.verify_url) $("verify-link").href = answer.verify_url;
  if (answer.qr && answer.qr.startsWith("data:image/svg+xml;base64,")) {
    $("receipt-qr").src = answer.qr;
    $("receipt-qr").hidden = false;
  }
  status("");
  show("step-receipt");
}

function showChallengesLeft() {
  $("challenges-left").textContent = say(messages["challenges-left"], { n: challengesLeft });
  document.querySelector('[data-action="challenge"]').hidden = challengesLeft <= 0;
}

async function challenge() {
  if (challengesLeft <= 0) return;
  const opened = { ballot: prepared.ballot, ...prepared.opening };
  if (!await send("challenge", opened, messages.challenging, [202])) return;
  challengesLeft -= 1;
  showChallengesLeft();
  const choices = prepared.opening.plaintext.map((row) => {
    const o = row.indexOf(1);
    return o < 0 ? "abstain" : pinned.manifest.options[o];
  });
  openedChoices = choices;
  fillMarksTable($("opened-marks").tBodies[0], choices);
  $("opened-fingerprint").textContent = fingerprint(prepared.digest);
  prepared = null;
  status("");
  show("step-challenged");
}

function abandon(notice = "abandoned") {
  key = null;
  prepared = null;
  window.location.assign(new URL(`../../?notice=${notice}`, window.location.href).href);
}

// --- a tablet left untouched ----------------------------------------------------------------
// A deputy who walks away mid-ballot must not leave a signed-in booth, with their marks, to
// the next person: after `idleSeconds` untouched the page warns, counts down a minute out
// loud (the warning is an alert dialog), and then abandons the ballot; its button keeps
// voting. Not while the ballot is being encrypted or sent. A code typed and left unsent
// is cleared the same way, silently.

let idleTimer = null;
let graceTimer = null;

function stopIdleWarning() {
  clearInterval(graceTimer);
  graceTimer = null;
  $("idle-warning").hidden = true;
}

function warnIdle() {
  if (key === null) $("code").value = "";
  if (key === null || !$("step-working").hidden) return watchIdle();
  let left = IDLE_GRACE_SECONDS;
  const warning = $("idle-warning");
  $("idle-text").textContent = say(messages.idle, { s: left });
  warning.hidden = false;
  warning.querySelector("button").focus();
  graceTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      stopIdleWarning();
      abandon("idle");
      return;
    }
    if (left % 10 === 0 || left <= 5) $("idle-text").textContent = say(messages.idle, { s: left });
  }, 1000);
}

function watchIdle() {
  clearTimeout(idleTimer);
  if (graceTimer === null) idleTimer = setTimeout(warnIdle, idleSeconds * 1000);
}

function keepVoting() {
  stopIdleWarning();
  watchIdle();
}

// --- wiring ---------------------------------------------------------------------------------

const actions = {
  review, encrypt, cast, challenge, abandon: () => abandon(), "keep-voting": keepVoting,
  change: () => show("step-ballot"),
  "vote-again": () => { rememberMarks(); show("step-ballot"); },
};

// --- another language, the ballot kept -------------------------------------------------------
// The language links would reload the page, and the code and the marks live only in this
// page. So the page in the other language is fetched and its words put in place: the marks,
// the step, the fingerprints and the receipt stay as they were; nothing is sent but the GET.

/** The last challenged ballot's marks, to show them again in another language. */
let openedChoices = null;
/** Filled in by this script as the deputy goes: carried over to the other language. */
const KEPT_TEXT = ["round-fingerprint", "fingerprint", "opened-fingerprint", "receipt-time",
  "receipt-fingerprint", "receipt-index", "receipt-digest", "receipt-json"];
const KEPT_LINKS = ["receipt-download", "verify-link", "receipt-qr"];

async function switchLanguage(link) {
  if (!$("step-working").hidden) return; // never while encrypting or sending
  let page;
  try {
    const answer = await fetch(link.href, { credentials: "same-origin" });
    if (!answer.ok) throw new Error(String(answer.status));
    page = new DOMParser().parseFromString(await answer.text(), "text/html");
  } catch {
    window.location.assign(link.href); // the plain way, as without this script
    return;
  }
  const fresh = page.getElementById("booth");
  if (!fresh) return window.location.assign(link.href);
  const step = STEPS.find((id) => !$(id).hidden);
  const marks = chosen();
  const code = $("code").value;
  const texts = Object.fromEntries(KEPT_TEXT.map((id) => [id, $(id).textContent]));
  const links = Object.fromEntries(KEPT_LINKS.map((id) => [id, {
    href: $(id).getAttribute("href"), src: $(id).getAttribute("src"), hidden: $(id).hidden }]));
  const castDone = step === "step-receipt";
  root.replaceChildren(...fresh.childNodes);
  Object.assign(root.dataset, fresh.dataset);
  messages = JSON.parse(root.dataset.messages);
  for (const part of [".top", ".foot"]) {
    const mine = document.querySelector(part), theirs = page.querySelector(part);
    if (mine && theirs) mine.replaceWith(theirs);
  }
  document.documentElement.lang = page.documentElement.lang;
  document.title = page.title;
  history.replaceState(null, "", link.href);
  for (const [id, text] of Object.entries(texts)) if (text) $(id).textContent = text;
  if (castDone) $("booth-title").textContent = messages["cast-title"];
  for (const [id, kept] of Object.entries(links)) {
    for (const name of ["href", "src"]) if (kept[name]) $(id).setAttribute(name, kept[name]);
    $(id).hidden = kept.hidden;
  }
  rows.forEach((row, i) => {
    const input = root.querySelector(
      `input[name="row-${CSS.escape(row.id)}"][value="${CSS.escape(marks[i])}"]`);
    if (input) input.checked = true;
  });
  $("code").value = code;
  bind();
  updateCounter();
  showChallengesLeft();
  status(step === "step-sign-in" ? messages.ready : "");
  if (step === "step-review") fillMarksTable($("review-table").tBodies[0], marks);
  if (openedChoices) fillMarksTable($("opened-marks").tBodies[0], openedChoices);
  if (step) show(step);
}

function bind() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("ballot-form").addEventListener("change", onMark);
  document.querySelectorAll(".langs a").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      switchLanguage(link);
    });
  });
}

bind();
root.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (button && actions[button.dataset.action] && button.dataset.action !== "sign-in" &&
      button.dataset.action !== "scan") {
    actions[button.dataset.action]();
  }
});
for (const type of ["pointerdown", "keydown", "change", "input"]) {
  document.addEventListener(type, () => { if (graceTimer === null) watchIdle(); },
    { capture: true, passive: true });
}
rememberMarks();
pin();
