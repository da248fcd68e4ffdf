/**
 * Linking a device, as WhatsApp's "Linked devices" screen on the phone does it: the session shows
 * a QR code (a new one every ~20 s) for the phone to scan, or, given the phone number, an
 * 8-character pairing code to type on the phone instead. After the phone accepts, WhatsApp closes
 * the socket with 515 (restart required) and the fresh socket opens as the linked device; its keys
 * are in the auth store by then (auth-store.ts). Used by `onebrain channels login whatsapp`.
 */
import type { Logger } from "pino";
import { OnebrainError } from "../../shared/errors.ts";
import type { AuthStore } from "./auth-store.ts";
import { DISCONNECT, disconnectStatus, endQuietly, type WaLibrary, type WaSocket } from "./baileys.ts";

/** The kind of the host-wide lease a link takes on the auth directory: one link into a brain at a time, by the CLI or a gateway. */
export const LINK_LEASE = "whatsapp-link";

export interface LinkEvents {
  /** A QR code's content to show (render it with qrcode); a fresh one replaces the last. */
  qr?(content: string): void;
  /** The pairing code to type on the phone (only with `phone`). */
  code?(code: string): void;
}

/** Links a device into `auth` (which must not be linked); resolves with the linked number's digits. */
export function linkDevice(o: {
  auth: AuthStore;
  lib: WaLibrary;
  logger: Logger;
  events: LinkEvents;
  /** The number to link by pairing code (E.164 or digits); without it, by QR code. */
  phone?: string;
  signal: AbortSignal;
  timeoutMs?: number;
}): Promise<{ account: string }> {
  if (o.auth.linked()) {
    return Promise.reject(
      new OnebrainError("WHATSAPP_LINK_FAILED", `A device is linked already (+${o.auth.account()}): unlink it first with onebrain channels logout whatsapp`),
    );
  }
  const digits = o.phone?.replace(/^\+/, "");
  if (o.phone !== undefined && !/^[1-9]\d{6,14}$/.test(digits ?? ""))
    return Promise.reject(new OnebrainError("USAGE", `Cannot read "${o.phone}" as a phone number: expected E.164 such as +4915123456789`));
  return new Promise((resolve, reject) => {
    let sock: WaSocket | null = null;
    let settled = false;
    let asked = false;
    const timer = setTimeout(
      () =>
        done(
          new OnebrainError("WHATSAPP_LINK_FAILED", "No phone linked the device in time: run the command again and scan (or type the code) within the time"),
        ),
      o.timeoutMs ?? 180_000,
    );
    const done = (err: Error | null, account?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      endQuietly(sock);
      if (err) {
        // Half-made keys must not look like a link.
        if (!o.auth.linked() || !account) o.auth.wipe();
        reject(err);
      } else resolve({ account: account! });
    };
    o.signal.addEventListener("abort", () => done(new OnebrainError("WHATSAPP_LINK_FAILED", "Linking was stopped before the phone accepted")), { once: true });
    const open = () => {
      try {
        sock = o.lib.open({ auth: o.auth.state, logger: o.logger, getMessage: async () => undefined });
      } catch (err) {
        return done(new OnebrainError("WHATSAPP_LINK_FAILED", `Cannot open a WhatsApp session: ${(err as Error).message}`));
      }
      const s = sock;
      s.onCreds(() => o.auth.saveCreds());
      s.onConnection((u) => {
        if (u.qr) {
          if (digits && !asked) {
            asked = true;
            s.requestPairingCode(digits).then(
              (code) => o.events.code?.(code),
              (err: unknown) => done(new OnebrainError("WHATSAPP_LINK_FAILED", `WhatsApp did not give a pairing code: ${(err as Error).message}`)),
            );
          } else if (!digits) o.events.qr?.(u.qr);
        }
        if (u.connection === "open") {
          o.auth.saveCreds();
          const account = o.auth.account();
          if (account) done(null, account);
          else done(new OnebrainError("WHATSAPP_LINK_FAILED", "WhatsApp opened the session without naming the linked number"));
        }
        if (u.connection === "close") {
          const status = disconnectStatus(u.lastDisconnect?.error);
          // The phone accepted: WhatsApp wants a fresh socket, which opens as the linked device.
          if (status === DISCONNECT.restartRequired) return open();
          done(
            new OnebrainError(
              "WHATSAPP_LINK_FAILED",
              `WhatsApp closed the linking session (${status ?? "no status"}: ${u.lastDisconnect?.error?.message ?? "closed"}); run the command again`,
            ),
          );
        }
      });
    };
    open();
  });
}

/**
 * Tells WhatsApp to unlink the device whose keys are in `auth`: opens a session and logs it out, so
 * the device leaves the phone's Linked devices list. Resolves false when that could not be done in
 * time (no network, the keys void already); the caller forgets the keys either way.
 */
export function unlinkDevice(o: { auth: AuthStore; lib: WaLibrary; logger: Logger; timeoutMs?: number }): Promise<boolean> {
  if (!o.auth.linked()) return Promise.resolve(false);
  return new Promise((resolve) => {
    let sock: WaSocket | null = null;
    let settled = false;
    let loggingOut = false;
    const done = (told: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      endQuietly(sock);
      resolve(told);
    };
    const timer = setTimeout(() => done(false), o.timeoutMs ?? 10_000);
    try {
      sock = o.lib.open({ auth: o.auth.state, logger: o.logger, getMessage: async () => undefined });
    } catch {
      return done(false);
    }
    const s = sock;
    s.onCreds(() => o.auth.saveCreds());
    s.onConnection((u) => {
      if (u.connection === "open" && !loggingOut) {
        loggingOut = true;
        s.logout().then(
          () => done(true),
          () => done(false),
        );
      }
      // A logout closes the session itself; any other close means WhatsApp was not told.
      if (u.connection === "close" && !loggingOut) done(false);
      if (u.qr) done(false);
    });
  });
}

/** Logs an open session out (WhatsApp unlinks the device); false when there is none, or no answer within `timeoutMs`. */
export async function logoutWithin(sock: WaSocket | null, timeoutMs: number): Promise<boolean> {
  if (!sock) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([sock.logout().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
