/**
 * `onebrain channels login whatsapp [--phone NUMBER] [--timeout S] [--json]` and `onebrain channels
 * logout whatsapp [--json]` (docs/whatsapp.md). With a gateway holding the brain, it does the work
 * (whatsapp-link-remote.ts): the channel starts the moment the phone accepted, or stops at logout.
 * With none, linking runs in this process: the QR code is drawn in the terminal (each new one
 * WhatsApp sends replaces the last), or with --phone the pairing code to type on the phone is
 * shown; the keys go to `<stateDir>/whatsapp/default/auth.db`. A host-wide lease on that directory
 * keeps two logins from linking into it at once. Logout tells WhatsApp to unlink the device when it
 * can, and always deletes the keys here.
 */
import pino from "pino";
import { authDir, openAuthStore, readLinked, removeAuth } from "../../channels/whatsapp/auth-store.ts";
import { loadLibrary } from "../../channels/whatsapp/baileys.ts";
import { LINK_LEASE, linkDevice, unlinkDevice } from "../../channels/whatsapp/link.ts";
import { leaseHolder, tryLease } from "../../channels/lease.ts";
import type { GatewayConnection } from "../../client/gateway-client.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { readFromGateway } from "../gateway-read.ts";
import { printLines } from "../output.ts";
import { jsonLine, showCode, showQr, waitingLine } from "./whatsapp-link-output.ts";
import { loginThroughGateway, logoutThroughGateway } from "./whatsapp-link-remote.ts";

function onlyWhatsApp(args: string[]): void {
  if (args[0] !== "whatsapp")
    throw new OnebrainError(
      "USAGE",
      `Cannot log in to ${JSON.stringify(args[0] ?? "")}: only whatsapp links a device (the other channels use tokens: onebrain config set)`,
    );
}

/** Runs `fn` through the gateway holding the brain; false when none holds it (or the holder does not answer: then this process does the work). */
async function viaGateway(global: GlobalOptions, fn: (conn: GatewayConnection) => Promise<void>, json: boolean | undefined): Promise<boolean> {
  const r = await readFromGateway(brainPaths(global), fn);
  if (r === null) return false;
  if ("value" in r) return true;
  if (!json) printLines([`note: ${r.note}; working on the files here`]);
  return false;
}

/** `channels login whatsapp`. */
export async function loginCommand(global: GlobalOptions, opts: { phone?: string; json?: boolean; timeout?: string }, args: string[]): Promise<void> {
  onlyWhatsApp(args);
  const timeoutSeconds = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 1 && timeoutSeconds <= 900))
    throw new OnebrainError("USAGE", `--timeout takes whole seconds from 1 to 900, not ${JSON.stringify(opts.timeout)}`);
  const remote = { ...(opts.phone ? { phone: opts.phone } : {}), ...(timeoutSeconds ? { timeoutSeconds } : {}), json: Boolean(opts.json) };
  if (await viaGateway(global, (conn) => loginThroughGateway(conn, remote), opts.json)) return;
  const paths = brainPaths(global);
  const dir = authDir(paths.stateDir);
  const lease = tryLease({
    kind: LINK_LEASE,
    token: dir,
    what: "linking into this brain",
    holder: leaseHolder({ stateDir: paths.stateDir, profile: paths.profile ?? null }),
  });
  if (!lease.ok) throw new OnebrainError("WHATSAPP_LINK_FAILED", `Another login is linking a device into this brain now (${lease.detail})`);
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  try {
    const lib = await loadLibrary();
    const auth = openAuthStore(dir, lib);
    try {
      if (!opts.json) printLines([waitingLine(opts.phone)]);
      const r = await linkDevice({
        auth,
        lib,
        logger: pino({ level: "silent" }),
        signal: ctl.signal,
        ...(opts.phone ? { phone: opts.phone } : {}),
        ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
        events: { qr: (content) => void showQr(content, opts.json), code: (code) => showCode(code, opts.json) },
      });
      if (opts.json) return jsonLine({ ok: true, linked: `+${r.account}`, authDir: dir, via: "local" });
      printLines([`Linked: +${r.account}. The keys are in ${dir} (0600).`, "next: onebrain gateway start (or restart): the gateway connects the number"]);
    } finally {
      auth.close();
    }
  } finally {
    process.off("SIGINT", stop);
    lease.lease.release();
  }
}

/** `channels logout whatsapp`. */
export async function logoutCommand(global: GlobalOptions, opts: { json?: boolean }, args: string[]): Promise<void> {
  onlyWhatsApp(args);
  if (await viaGateway(global, (conn) => logoutThroughGateway(conn, opts.json), opts.json)) return;
  const paths = brainPaths(global);
  const dir = authDir(paths.stateDir);
  const linked = readLinked(dir);
  if (!linked.account) {
    // A damaged file is deleted too: it cannot be used, and a new link needs the place.
    removeAuth(dir);
    if (opts.json) return jsonLine({ ok: true, unlinked: null, toldWhatsApp: false, via: "local" });
    return printLines(["No WhatsApp device is linked to this brain."]);
  }
  // WhatsApp is told only when no other process holds the number's session (it would be replaced).
  const lease = tryLease({
    kind: "whatsapp",
    token: linked.account,
    what: `WhatsApp number +${linked.account}`,
    holder: leaseHolder({ stateDir: paths.stateDir, profile: paths.profile ?? null }),
  });
  let told = false;
  if (lease.ok) {
    try {
      const lib = await loadLibrary();
      const auth = openAuthStore(dir, lib);
      try {
        if (!opts.json) printLines([`Telling WhatsApp to unlink +${linked.account}…`]);
        told = await unlinkDevice({ auth, lib, logger: pino({ level: "silent" }), timeoutMs: 10_000 });
      } finally {
        auth.close();
      }
    } finally {
      lease.lease.release();
    }
  }
  removeAuth(dir);
  if (opts.json) return jsonLine({ ok: true, unlinked: `+${linked.account}`, toldWhatsApp: told, via: "local" });
  printLines([
    `Deleted the keys of the device linked to +${linked.account}.`,
    told
      ? "WhatsApp was told: the device left the phone's Linked devices list."
      : `WhatsApp could not be told${lease.ok ? "" : ` (${lease.detail})`}: remove the device on the phone, WhatsApp > Settings > Linked devices.`,
  ]);
}
