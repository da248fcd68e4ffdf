/**
 * Linking and unlinking WhatsApp while the gateway runs (docs/whatsapp.md): the console and
 * `onebrain channels login whatsapp` (when a gateway holds the brain) ask the gateway, which opens
 * the linking session, shows its QR code (or pairing code) through `whatsapp.link.status`, and
 * starts the channel the moment the phone accepted: no restart. `whatsapp.logout` stops the
 * channel, tells WhatsApp when it can, and deletes the keys. One link at a time per state dir,
 * host-wide (the same lease the CLI takes when it links with no gateway).
 */
import type { Logger } from "pino";
import { tryLease, type Lease } from "../channels/lease.ts";
import type { LeaseHolder } from "../lock/lease.ts";
import { authDir, openAuthStore, readLinked, removeAuth, type AuthStore } from "../channels/whatsapp/auth-store.ts";
import { loadLibrary } from "../channels/whatsapp/baileys.ts";
import type { WhatsAppChannel } from "../channels/whatsapp/channel.ts";
import { LINK_LEASE, linkDevice } from "../channels/whatsapp/link.ts";
import type { LinkView, UnlinkResult } from "../protocol/whatsapp.ts";
import { OnebrainError } from "../shared/errors.ts";
import type { PlatformChannels } from "./channels-runtime.ts";

const IDLE: LinkView = {
  state: "idle",
  method: null,
  qr: null,
  qrSvg: null,
  qrCount: 0,
  code: null,
  account: null,
  error: null,
  errorCode: null,
  startedAt: null,
  expiresAt: null,
};

export class WhatsAppLinker {
  private view: LinkView = IDLE;
  private ctl: AbortController | null = null;
  private running: Promise<void> | null = null;
  private readonly o: { stateDir: string; env: NodeJS.ProcessEnv; logger: Logger; platforms: PlatformChannels; holder: Omit<LeaseHolder, "pid"> };

  constructor(o: WhatsAppLinker["o"]) {
    this.o = o;
  }

  status(): LinkView {
    return { ...this.view };
  }

  /** Starts linking (or returns the link under way). Refused when a device is linked already or another process links into this brain. */
  start(p: { phone?: string; timeoutMs?: number }): LinkView {
    if (this.running) return this.status();
    const dir = authDir(this.o.stateDir);
    const linked = readLinked(dir);
    if (linked.account)
      throw new OnebrainError(
        "WHATSAPP_LINK_FAILED",
        `A device is linked already (+${linked.account}): unlink it first with onebrain channels logout whatsapp`,
      );
    const digits = p.phone?.replace(/^\+/, "");
    if (p.phone !== undefined && !/^[1-9]\d{6,14}$/.test(digits ?? ""))
      throw new OnebrainError("USAGE", `Cannot read "${p.phone.slice(0, 40)}" as a phone number: expected E.164 such as +4915123456789`);
    const lease = tryLease({ kind: LINK_LEASE, token: dir, what: "linking into this brain", holder: this.o.holder, env: this.o.env });
    if (!lease.ok) throw new OnebrainError("WHATSAPP_LINK_FAILED", `Another login is linking a device into this brain now (${lease.detail})`);
    const timeoutMs = p.timeoutMs ?? 180_000;
    const now = Date.now();
    this.view = { ...IDLE, state: "starting", method: p.phone ? "code" : "qr", startedAt: now, expiresAt: now + timeoutMs };
    this.ctl = new AbortController();
    this.running = this.link(dir, lease.lease, { ...(p.phone ? { phone: p.phone } : {}), timeoutMs }, this.ctl.signal).finally(() => {
      this.running = null;
      this.ctl = null;
    });
    return this.status();
  }

  /** Stops a link under way (the half-made keys are forgotten). */
  async cancel(): Promise<LinkView> {
    this.ctl?.abort();
    await this.running;
    return this.status();
  }

  /** Unlinks: stops the channel, tells WhatsApp when the session is open, deletes the keys. */
  async logout(): Promise<UnlinkResult> {
    await this.cancel();
    const dir = authDir(this.o.stateDir);
    const account = readLinked(dir).account;
    const channel = this.o.platforms.running("whatsapp") as WhatsAppChannel | undefined;
    const toldWhatsApp = channel ? await channel.unlink() : false;
    await this.o.platforms.stopPlatform("whatsapp", "no device is linked (unlinked with onebrain channels logout whatsapp)");
    removeAuth(dir);
    if (account) this.o.logger.info({ number: `+${account}`, toldWhatsApp }, "whatsapp: device unlinked");
    this.view = IDLE;
    return { unlinked: account ? `+${account}` : null, toldWhatsApp };
  }

  /** The gateway stops: a link under way is abandoned. */
  async stop(): Promise<void> {
    await this.cancel();
  }

  private async link(dir: string, lease: Lease, p: { phone?: string; timeoutMs: number }, signal: AbortSignal): Promise<void> {
    let auth: AuthStore | undefined;
    const log = this.o.logger.child({ channel: "whatsapp" });
    try {
      const lib = await loadLibrary(this.o.env);
      // A channel left from an earlier link (logged out, failed) holds the old keys open: it goes first.
      await this.o.platforms.stopPlatform("whatsapp", "a new device is being linked");
      auth = openAuthStore(dir, lib);
      const r = await linkDevice({
        auth,
        lib,
        logger: log.child({ lib: "baileys" }, { level: "warn" }),
        signal,
        timeoutMs: p.timeoutMs,
        ...(p.phone ? { phone: p.phone } : {}),
        events: {
          qr: (content) => {
            const count = this.view.qrCount + 1;
            this.view = { ...this.view, state: "qr", qr: content, qrSvg: null, qrCount: count };
            void import("qrcode")
              .then((q) => q.default.toString(content, { type: "svg", margin: 2 }))
              .then((svg) => {
                if (this.view.qr === content) this.view = { ...this.view, qrSvg: svg };
              })
              .catch((err: unknown) => log.warn({ error: (err as Error).message }, "whatsapp: the QR code could not be drawn"));
          },
          code: (code) => void (this.view = { ...this.view, state: "code", code }),
        },
      });
      auth.close();
      auth = undefined;
      this.view = { ...this.view, state: "linked", qr: null, qrSvg: null, code: null, account: `+${r.account}` };
      log.info({ number: `+${r.account}` }, "whatsapp: device linked; the channel starts");
      await this.o.platforms.startPlatform("whatsapp");
    } catch (err) {
      const e = err as Error & { code?: string };
      const cancelled = signal.aborted;
      this.view = {
        ...this.view,
        state: cancelled ? "cancelled" : "failed",
        qr: null,
        qrSvg: null,
        code: null,
        error: e.message,
        errorCode: e instanceof OnebrainError ? e.code : "WHATSAPP_LINK_FAILED",
      };
      if (!cancelled) log.warn({ error: e.message }, "whatsapp: linking failed");
    } finally {
      auth?.close();
      lease.release();
    }
  }
}
