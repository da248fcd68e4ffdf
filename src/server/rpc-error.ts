/** An error a method handler throws to answer with a wire error code (docs/protocol.md) instead of INTERNAL. */
import type { WireErrorCode } from "../protocol/codes.ts";

/** A refusal the caller can act on: the code goes on the wire as `res.error.code`, the message as is. */
export class RpcError extends Error {
  readonly code: WireErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: WireErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.details = details;
  }
}
