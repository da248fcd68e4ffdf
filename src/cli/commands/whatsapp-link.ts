/**
 * `onebrain channels login whatsapp [--phone NUMBER] [--json]` and `onebrain channels logout
 * whatsapp [--json]` (docs/whatsapp.md). Linking runs in this process: the QR code is drawn in the
 * terminal (each new one WhatsApp sends replaces the last), or with --phone the pairing code to type
 * on the phone is shown. The keys go to `<stateDir>/whatsapp/default/auth.db`. A host-wide lease on
 * that directory keeps two logins from linking into it at once. Logout unlinks the device on
 * WhatsApp's side too when it can, and always forgets the keys here.
 */
import os from "node:os";
import pino from "pino";
import QRCode from "qrcode";
import { authDir, openAuthStore } from "../../channels/whatsapp/auth-store.ts";
import { loadBaileys } from "../../channels/whatsapp/baileys.ts";
import { linkDevice } from "../../channels/whatsapp/link.ts";
import { tryLease } from "../../channels/lease.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printLines } from "../output.ts";

/** One JSON line (events as they come, then the result); an error is the usual JSON document after them. */
const jsonLine = (value: unknown) => void process.stdout.write(`${JSON.stringify(value)}\n`);

function onlyWhatsApp(args: string[]): void {
  if (args[0] !== "whatsapp")
    throw new OnebrainError(
      "USAGE",
      `Cannot log in to ${JSON.stringify(args[0] ?? "")}: only whatsapp links a device (the other channels use tokens: onebrain config set)`,
    );
}

/** `channels login whatsapp`. */
export async function loginCommand(global: GlobalOptions, opts: { phone?: string; json?: boolean; timeout?: string }, args: string[]): Promise<void> {
  onlyWhatsApp(args);
  const paths = brainPaths(global);
  const dir = authDir(paths.stateDir);
  const holder = { user: os.userInfo().username, stateDir: paths.stateDir, profile: paths.profile ?? null, port: null, startedAt: new Date().toISOString() };
  const lease = tryLease({ kind: "whatsapp-link", token: dir, what: "linking into this brain", holder });
  if (!lease.ok) throw new OnebrainError("WHATSAPP_LINK_FAILED", `Another login is linking a device into this brain now (${lease.detail})`);
  const lib = await loadBaileys();
  const auth = openAuthStore(dir, lib);
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  try {
    if (!opts.json) printLines([opts.phone ? `Asking WhatsApp for a pairing code for ${opts.phone}…` : "Waiting for WhatsApp's QR code…"]);
    const r = await linkDevice({
      auth,
      lib,
      logger: pino({ level: "silent" }),
      signal: ctl.signal,
      ...(opts.phone ? { phone: opts.phone } : {}),
      ...(opts.timeout ? { timeoutMs: Number(opts.timeout) * 1000 } : {}),
      events: {
        qr: (content) => {
          if (opts.json) return jsonLine({ event: "qr", qr: content });
          void QRCode.toString(content, { type: "terminal", small: true }).then((art) =>
            printLines(["", "On the phone: WhatsApp > Settings > Linked devices > Link a device, and scan:", art]),
          );
        },
        code: (code) => {
          if (opts.json) return jsonLine({ event: "code", code });
          printLines([
            "",
            `On the phone: WhatsApp > Settings > Linked devices > Link a device > Link with phone number instead, and type: ${code.slice(0, 4)}-${code.slice(4)}`,
          ]);
        },
      },
    });
    if (opts.json) return jsonLine({ ok: true, linked: `+${r.account}`, authDir: dir });
    printLines([`Linked: +${r.account}. The keys are in ${dir} (0600).`, "next: onebrain gateway restart (a running gateway connects it then)"]);
  } finally {
    process.off("SIGINT", stop);
    auth.close();
    lease.lease.release();
  }
}

/** `channels logout whatsapp`. */
export async function logoutCommand(global: GlobalOptions, opts: { json?: boolean }, args: string[]): Promise<void> {
  onlyWhatsApp(args);
  const dir = authDir(brainPaths(global).stateDir);
  const lib = await loadBaileys();
  const auth = openAuthStore(dir, lib);
  try {
    const account = auth.account();
    if (!auth.linked()) {
      if (opts.json) return jsonLine({ ok: true, unlinked: null });
      return printLines(["No WhatsApp device is linked to this brain."]);
    }
    auth.wipe();
    if (opts.json) return jsonLine({ ok: true, unlinked: `+${account}` });
    printLines([`Forgot the device linked to +${account}. On the phone, WhatsApp > Settings > Linked devices also lists it until it is removed there.`]);
  } finally {
    auth.close();
  }
}
