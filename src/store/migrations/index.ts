/** The registry of schema migrations, in order. Add a file `NNN-name.ts` and list it here; never edit a released one. */
import type { Migration } from "../migrate.ts";
import initial from "./001-initial.ts";
import inboundSessionState from "./002-inbound-session-state.ts";
import channels from "./003-channels.ts";
import sendFloor from "./004-send-floor.ts";
import tools from "./005-tools.ts";
import browsers from "./006-browsers.ts";
import automation from "./007-automation.ts";
import alertSends from "./008-alert-sends.ts";
import devices from "./009-devices.ts";

/** Every migration this code knows, versions 1..n in order; the last one's version is the schema this code writes. */
export const migrations: readonly Migration[] = Object.freeze([
  initial,
  inboundSessionState,
  channels,
  sendFloor,
  tools,
  browsers,
  automation,
  alertSends,
  devices,
]);
