// Randomness is passed in, never taken from a global, so tests can fix it
// (the twin of crypto/rng.py). SeededRandomness reproduces Python's
// SeededRandomness byte for byte and must never make a real ballot.
import { sha512 } from "../vendor/noble.js";
import { bytesToIntLE, L } from "./group.js";

/** The platform's CSPRNG (Web Crypto, in pages, workers and Node alike). */
export const systemRandomness = {
  tokenBytes(n) {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 65536) {
      globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
    }
    return out;
  },
};

/** SHA-512 in counter mode over a seed: reproducible, for tests only. */
export class SeededRandomness {
  constructor(seed) {
    this.seed = typeof seed === "string" ? new TextEncoder().encode(seed) : seed;
    this.counter = 0n;
  }

  tokenBytes(n) {
    const blocks = [];
    let have = 0;
    while (have < n) {
      const input = new Uint8Array(this.seed.length + 8);
      input.set(this.seed);
      new DataView(input.buffer).setBigUint64(this.seed.length, this.counter, false);
      this.counter += 1n;
      const block = sha512(input);
      blocks.push(block);
      have += block.length;
    }
    const out = new Uint8Array(have);
    blocks.forEach((b, i) => out.set(b, i * 64));
    return out.slice(0, n);
  }
}

/** Uniform in 1..L-1: 64 bytes reduced mod L, as crypto/rng.py does. */
export function randomScalar(rng = systemRandomness) {
  for (;;) {
    const k = bytesToIntLE(rng.tokenBytes(64)) % L;
    if (k) return k;
  }
}
