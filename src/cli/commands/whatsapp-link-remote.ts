/**
 * `channels login whatsapp` and `channels logout whatsapp` through the running gateway: it links
 * (whatsapp.link.*) and starts the channel at once, or stops it and unlinks (whatsapp.logout).
 * This process only shows what the gateway reports, and cancels the link on Ctrl-C.
 */
import type { GatewayConnection } from "../../client/gateway-client.ts";
import type { LinkView, UnlinkResult } from "../../protocol/whatsapp.ts";
import { isErrorCode, OnebrainError } from "../../shared/errors.ts";
import { printLines } from "../output.ts";
import { jsonLine, showCode, showQr, waitingLine } from "./whatsapp-link-output.ts";

/** A refusal of the gateway as the onebrain error it names (WHATSAPP_LINK_FAILED, USAGE). */
function named(err: unknown): unknown {
  const wire = err instanceof OnebrainError ? (err.details.wire as { code?: string } | undefined) : undefined;
  return wire?.code && isErrorCode(wire.code) ? new OnebrainError(wire.code, (err as Error).message) : err;
}

/** Links through the gateway; resolves once linked, throws when the link failed or was stopped. */
export async function loginThroughGateway(conn: GatewayConnection, o: { phone?: string; json?: boolean; timeoutSeconds?: number }): Promise<void> {
  let view: LinkView;
  try {
    view = await conn.request<LinkView>("whatsapp.link.start", {
      ...(o.phone ? { phone: o.phone } : {}),
      ...(o.timeoutSeconds ? { timeoutSeconds: o.timeoutSeconds } : {}),
    });
  } catch (err) {
    throw named(err);
  }
  if (!o.json) printLines([`${waitingLine(o.phone)} (the running gateway links, and connects the number when the phone accepted)`]);
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    void conn.request("whatsapp.link.cancel", {}, 5000).catch(() => {});
  };
  process.once("SIGINT", onSigint);
  try {
    let shownQr = 0;
    let shownCode: string | null = null;
    for (;;) {
      if (view.state === "qr" && view.qr && view.qrCount !== shownQr) {
        shownQr = view.qrCount;
        await showQr(view.qr, o.json);
      }
      if (view.state === "code" && view.code && view.code !== shownCode) {
        shownCode = view.code;
        showCode(view.code, o.json);
      }
      if (view.state === "linked") {
        if (o.json) return jsonLine({ ok: true, linked: view.account, via: "gateway" });
        return printLines([`Linked: ${view.account}. The running gateway connects it now: onebrain channels status shows it.`]);
      }
      if (view.state === "failed" || view.state === "cancelled" || view.state === "idle") {
        const code = view.errorCode && isErrorCode(view.errorCode) ? view.errorCode : "WHATSAPP_LINK_FAILED";
        throw new OnebrainError(code, interrupted ? "Linking was stopped before the phone accepted" : (view.error ?? "the link ended without a phone"));
      }
      await new Promise((r) => setTimeout(r, 400));
      view = await conn.request<LinkView>("whatsapp.link.status", {}, 5000);
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Unlinks through the gateway. */
export async function logoutThroughGateway(conn: GatewayConnection, json: boolean | undefined): Promise<void> {
  const r = await conn.request<UnlinkResult>("whatsapp.logout", {}, 20_000);
  if (json) return jsonLine({ ok: true, ...r, via: "gateway" });
  if (!r.unlinked) return printLines(["No WhatsApp device is linked to this brain."]);
  printLines([
    `Unlinked ${r.unlinked}: the gateway stopped the WhatsApp channel and deleted the keys.`,
    r.toldWhatsApp
      ? "WhatsApp was told: the device left the phone's Linked devices list."
      : "WhatsApp could not be told (the session was not open): remove the device on the phone, WhatsApp > Settings > Linked devices.",
  ]);
}
