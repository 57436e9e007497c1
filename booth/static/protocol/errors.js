// Every error the protocol core throws, in one flat module (the twin of crypto/errors.py).
//
// Each error carries `code`, a stable message id the pages translate, and
// `params` for the message; `message` is the English text for logs and tests.

export class ProtocolError extends Error {
  /**
   * @param {string} message English text naming what is wrong and where.
   * @param {string} [code] Stable id the booth's catalog translates.
   * @param {Record<string, unknown>} [params] Values the translated message names.
   */
  constructor(message, code = "protocol", params = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.params = params;
  }
}

export class InvalidEncoding extends ProtocolError {}
export class InvalidPoint extends InvalidEncoding {}
export class InvalidScalar extends InvalidEncoding {}
export class InvalidProof extends ProtocolError {}
export class InvalidSignature extends ProtocolError {}
export class InvalidManifest extends ProtocolError {}
export class InvalidMarks extends ProtocolError {}
export class InvalidBallot extends ProtocolError {}
export class InvalidOpening extends ProtocolError {}
export class InvalidCredentialCode extends ProtocolError {}
export class InvalidCeremony extends ProtocolError {}
export class InvalidReceipt extends ProtocolError {}
/** The server's round parameters disagree with what the tablet recomputed. */
export class PinningFailed extends ProtocolError {}
