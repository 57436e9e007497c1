// Starts bench/booth_worker.js with what bench/booth.py put in the page's hash.
const request = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const worker = new Worker(new URL("./booth_worker.js", import.meta.url), { type: "module" });
const state = document.getElementById("state");
worker.onmessage = ({ data }) => {
  state.textContent = JSON.stringify(data);
  state.dataset.done = "yes";
};
worker.onerror = (event) => {
  state.textContent = JSON.stringify({ error: event.message || "the worker failed" });
  state.dataset.done = "yes";
};
fetch(request.input).then((r) => r.json()).then((input) => worker.postMessage(input));
