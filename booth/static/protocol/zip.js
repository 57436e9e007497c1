// Reading an election record's zip (PROTOCOL.md §9) with the limits of
// ballot/record.py: only the known members, each once, none too large.
// Decompression is passed in (Node's zlib or the browser's DecompressionStream),
// so this module stays pure.
import { OPTIONAL_FILES, REQUIRED_FILES } from "./verifier.js";

export const MAX_MEMBER_BYTES = 512 * 1024 * 1024;

export class RecordFormatError extends Error {
  constructor(message) {
    super(message);
    this.name = "RecordFormatError";
  }
}

/**
 * The record's members by name.
 * @param {Uint8Array} data the zip file
 * @param {(deflated: Uint8Array) => Uint8Array | Promise<Uint8Array>} inflateRaw
 */
export async function readRecordZip(data, inflateRaw) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) throw new RecordFormatError("not a readable zip file: no end of central directory");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const names = [];
  const files = {};
  const decoder = new TextDecoder("utf-8", { fatal: false });
  for (let n = 0; n < count; n++) {
    if (at + 46 > data.length || view.getUint32(at, true) !== 0x02014b50) {
      throw new RecordFormatError("not a readable zip file: a damaged central directory");
    }
    const method = view.getUint16(at + 10, true);
    const packed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(data.subarray(at + 46, at + 46 + nameLength));
    names.push(name);
    at += 46 + nameLength + extra + comment;
    if (![...REQUIRED_FILES, ...OPTIONAL_FILES].includes(name)) continue;
    if (size > MAX_MEMBER_BYTES) throw new RecordFormatError(`${name} is too large`);
    if (local + 30 > data.length || view.getUint32(local, true) !== 0x04034b50) {
      throw new RecordFormatError(`not a readable zip file: ${name} has no local header`);
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const body = data.subarray(start, start + packed);
    if (body.length !== packed) throw new RecordFormatError(`not a readable zip file: ${name} is cut short`);
    let content;
    if (method === 0) {
      content = body;
    } else if (method === 8) {
      try {
        content = await inflateRaw(body);
      } catch (exc) {
        throw new RecordFormatError(`not a readable zip file: ${name}: ${exc.message}`);
      }
    } else {
      throw new RecordFormatError(`not a readable zip file: ${name} uses compression ${method}`);
    }
    if (content.length !== size) {
      throw new RecordFormatError(`not a readable zip file: ${name} has the wrong size`);
    }
    files[name] = content;
  }
  const unknown = names.filter((x) => ![...REQUIRED_FILES, ...OPTIONAL_FILES].includes(x)).sort();
  if (unknown.length) {
    throw new RecordFormatError(`the record holds unexpected files: ${unknown.join(", ")}`);
  }
  if (new Set(names).size !== names.length) throw new RecordFormatError("the record holds a file twice");
  const missing = REQUIRED_FILES.filter((x) => !names.includes(x));
  if (missing.length) throw new RecordFormatError(`the record lacks ${missing.join(", ")}`);
  return files;
}
