/** What OpenClaw-dialect method handlers get and return (docs/openclaw.md). */
import type * as z from "zod/mini";
import type { OpenclawErrorCode } from "../../protocol/openclaw/errors.ts";
import type { OperatorScope } from "../../protocol/openclaw/scopes.ts";
import type { GatewayContext } from "../context.ts";
import type { Admitted } from "./admit.ts";

/** The connection a method runs for. */
export interface OcCaller {
  connId: string;
  clientId: string;
  clientMode: string;
  role: "operator" | "node";
  scopes: readonly string[];
  deviceId: string | null;
  /** Sends an event to this connection only (with its next seq). */
  push(event: string, payload: unknown): void;
  /** Starts a named subscription; closing the socket aborts it. */
  subscribe(name: string): AbortSignal;
  unsubscribe(name: string): boolean;
}

/** One method: the scope it needs (null: none, as OpenClaw's `health`), its params, and the handler. */
export interface OcMethod {
  scope: OperatorScope | null;
  params?: z.ZodMiniType;
  /**
   * The handler: its value (or promise) is the answer. A method OpenClaw answers twice (`agent`:
   * "accepted", then the final result with the same request id) sends the first through `ack`.
   */
  run(params: unknown, ctx: GatewayContext, caller: OcCaller, ack: (payload: unknown) => void): unknown;
}

/** A refusal in OpenClaw's words: the code its clients branch on, the message, details. */
export class OcError extends Error {
  readonly code: OpenclawErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: OpenclawErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "OcError";
    this.code = code;
    this.details = details;
  }
}

/** An admitted OpenClaw connection's state. */
export interface OcSession extends Admitted {
  clientId: string;
  clientMode: string;
  /** Consecutive calls refused for the wrong role; OpenClaw closes the socket after 10. */
  wrongRole: number;
}
