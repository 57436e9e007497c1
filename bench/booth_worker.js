// bench/booth.py's Web Worker: encrypts ballots with the booth's own protocol
// modules, as booth/static/booth/encrypt-worker.js does, and times each step.
import { encryptBallot } from "../booth/static/protocol/encrypted_ballot.js";
import { baseMul, withTable } from "../booth/static/protocol/group.js";
import { parseManifest } from "../booth/static/protocol/manifest.js";
import { randomScalar } from "../booth/static/protocol/rng.js";

self.onmessage = ({ data: { manifests, marks, repeats } }) => {
  let started = performance.now();
  baseMul(1n); // builds G's table
  const baseTable = performance.now() - started;
  const results = {};
  for (const [key, data] of Object.entries(manifests)) {
    const manifest = parseManifest(data);
    started = performance.now();
    const jointKey = withTable(baseMul(randomScalar()));
    const keyTable = performance.now() - started;
    const context = new Uint8Array(32);
    const times = [];
    for (let i = 0; i < repeats; i++) {
      started = performance.now();
      encryptBallot(manifest, jointKey, context, marks[key][i % marks[key].length]);
      times.push(performance.now() - started);
    }
    results[key] = { keyTable, times };
  }
  postMessage({ baseTable, results, userAgent: navigator.userAgent,
                cores: navigator.hardwareConcurrency });
};
