/** What the WebSocket server keeps per connection, and what it offers the rest of the gateway. */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { ShutdownEvent } from "../protocol/frames.ts";
import type { Dialect } from "../protocol/openclaw/version.ts";
import type { OcSession } from "./openclaw/connection.ts";
import type { OcCaller } from "./openclaw/types.ts";
import type { ClientInfo } from "./client.ts";
import type { CallerInfo } from "./rpc.ts";
import type { ByteBudget } from "./ws-limits.ts";

/** One WebSocket client. */
export interface Conn {
  id: string;
  ws: WebSocket;
  client: ClientInfo;
  authed: boolean;
  /** Fingerprint of the secret this client proved; a rotation that changes it revokes the client. */
  secretFp: string | null;
  alive: boolean;
  seq: number;
  inflight: number;
  /** Bytes this connection's requests may prepare at once (see ws-limits.ts). */
  budget: ByteBudget;
  /** Closed for the gateway-wide unsent-bytes budget (ws-outbound.ts): not counted again. */
  evicted: boolean;
  /** Log connects and disconnects at debug (probes). */
  quiet: boolean;
  /** The `client.id` given in connect (the sender of WebChat messages). */
  clientId: string;
  handshakeTimer: NodeJS.Timeout | undefined;
  /** The upgraded TCP socket (corked for a turn by the batcher). */
  socket: Duplex;
  /** Named subscriptions (e.g. `logs`), aborted when the socket closes. */
  subs: Map<string, AbortController>;
  /** What RPC handlers get to know about and do with this connection. */
  caller: CallerInfo;
  /** The protocol its `connect` asked for: onebrain's (1) or OpenClaw's (3, 4); onebrain's until then. */
  dialect: Dialect;
  /** The nonce of this socket's `connect.challenge` (a device signs it). */
  nonce: string;
  /** The browser Origin of the upgrade, if any. */
  origin: string | undefined;
  /** An admitted OpenClaw client's role, scopes and device; null otherwise. */
  oc: OcSession | null;
  ocCaller: OcCaller | null;
}

export interface WsGateway {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  count(): number;
  /** Bytes written to clients and not yet sent, all clients together. */
  unsentBytes(): number;
  /** Sends an event to every connected (authenticated) client. */
  broadcast(event: string, payload: unknown): void;
  /** Sends an OpenClaw event to admitted OpenClaw operators holding `scope` (null: every OpenClaw client). */
  broadcastOpenclaw(event: string, payload: unknown, scope: string | null): void;
  /** Closes the sockets of a device that was removed (OpenClaw: 4001 "device removed"); how many. */
  disconnectDevice(deviceId: string): number;
  /** The devices with an OpenClaw socket open now. */
  connectedDevices(): Set<string>;
  /** Closes authenticated clients whose secret is no longer the one in force. */
  revokeRotated(): number;
  /** Sends `shutdown` to every client, waits for in-flight requests up to `graceMs`, then closes all. */
  shutdown(event: ShutdownEvent, graceMs: number): Promise<void>;
}
