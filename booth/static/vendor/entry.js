// What the booth's protocol code takes from @noble/curves and @noble/hashes.
// `npm run vendor` bundles exactly these exports, from the versions locked in
// package-lock.json, into noble.js beside this file (not committed): a Web
// Worker cannot use an import map, and the libraries import each other by
// bare specifiers, so the browser needs them as one file.
export { ed25519 } from "@noble/curves/ed25519.js";
export { sha256, sha512 } from "@noble/hashes/sha2.js";
export { hkdf } from "@noble/hashes/hkdf.js";
