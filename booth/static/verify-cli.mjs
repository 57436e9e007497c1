#!/usr/bin/env node
// Verify an election record with the JavaScript verifier alone:
//
//     node booth/static/verify-cli.mjs RECORD.zip
//     node booth/static/verify-cli.mjs --noble RECORD.zip   # the group in BigInt, slower
//
// Prints each step as it completes and exits 0 when the record verifies, 1
// naming the first failure, 2 on a file it cannot read (the same codes as
// `piaojue verify`). It shares no code with the Python verifier.
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

import { useSodium } from "./protocol/sodium_group.js";
import { RecordInvalid, verifyRecordFiles } from "./protocol/verifier.js";
import { RecordFormatError, readRecordZip } from "./protocol/zip.js";
import sodium from "./vendor/sodium.js";

const args = process.argv.slice(2);
const noble = args[0] === "--noble";
const [path, ...rest] = noble ? args.slice(1) : args;
if (!path || rest.length) {
  process.stderr.write("usage: node booth/static/verify-cli.mjs [--noble] RECORD.zip\n");
  process.exit(2);
}
if (!noble) await useSodium(sodium);
let files;
try {
  files = await readRecordZip(new Uint8Array(readFileSync(path)), (d) => inflateRawSync(d));
} catch (exc) {
  if (!(exc instanceof RecordFormatError) && exc.code !== "ENOENT" && exc.code !== "EISDIR") {
    throw exc;
  }
  process.stderr.write(`✘ cannot read ${path}: ${exc.message}\n`);
  process.exit(2);
}
try {
  const report = verifyRecordFiles(files, {
    onCheck: (_step, text) => process.stdout.write(`✔ ${text}\n`),
  });
  process.stdout.write(`\n✔ record verifies: election ${report.electionId}, round ` +
                       `${report.roundId} (${report.kind}); board head ${report.boardHash}\n`);
} catch (exc) {
  if (!(exc instanceof RecordInvalid)) throw exc;
  process.stdout.write(`✘ ${exc.message}\n`);
  process.exit(1);
}
