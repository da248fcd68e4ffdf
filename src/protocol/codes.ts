/** Wire-level error codes (in `res.error.code`) and WebSocket close codes. Documented in docs/protocol.md. */

export const wireErrorCodes = {
  INVALID_REQUEST: "The frame is not valid JSON or not a valid req frame, or params are malformed or name nothing that exists (e.g. an unknown pairing code).",
  UNKNOWN_METHOD: "No such method; `hello-ok.features.methods` lists the ones that exist.",
  NOT_CONNECTED: "A request was sent before a successful `connect`.",
  ALREADY_CONNECTED: "`connect` was sent twice on one socket.",
  PROTOCOL_UNSUPPORTED: "No protocol version in [minProtocol, maxProtocol] is served here.",
  AUTH_REQUIRED: "This gateway needs a token or password in `connect.params.auth`.",
  AUTH_FAILED: "The token or password is wrong.",
  RATE_LIMITED: "Too many failed auth attempts from this address; `retryAfterMs` says when to retry.",
  SHUTTING_DOWN: "The gateway is stopping and takes no new work.",
  TOO_MANY_REQUESTS:
    "This connection already has `gateway.ws.maxInflight` requests in flight (default 256); the request was not run. Retry as answers arrive (`retryable`).",
  INTERNAL: "The method failed unexpectedly; the gateway log has the details.",
} as const;

export type WireErrorCode = keyof typeof wireErrorCodes;

/** Close codes: 1xxx are RFC 6455; 4xxx are ours. */
export const closeCodes = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  INVALID_PAYLOAD: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  AUTH_FAILED: 4001,
  HANDSHAKE_TIMEOUT: 4002,
  PROTOCOL_UNSUPPORTED: 4003,
  RATE_LIMITED: 4004,
  HEARTBEAT_TIMEOUT: 4005,
  SLOW_CONSUMER: 4008,
  CREDENTIALS_ROTATED: 4009,
} as const;

export type CloseCodeName = keyof typeof closeCodes;
