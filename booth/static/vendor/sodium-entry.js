// What the verifier takes from libsodium: the factory of its WebAssembly build
// (libsodium-sumo, which exports crypto_core_ed25519_* and
// crypto_scalarmult_ed25519_*; the .wasm is embedded in the module). Bundled by
// `npm run vendor` into sodium.js beside this file (not committed), used by
// booth/static/protocol/sodium_group.js only; the booth never loads it.
export { default } from "libsodium-sumo";
