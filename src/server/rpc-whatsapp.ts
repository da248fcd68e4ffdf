/**
 * RPC methods that link and unlink WhatsApp while the gateway runs (docs/whatsapp.md):
 * `whatsapp.link.start`, `whatsapp.link.status` (the QR code or pairing code to show, then the
 * linked number), `whatsapp.link.cancel` and `whatsapp.logout`. A refusal is INVALID_REQUEST with
 * the onebrain error code in details (WHATSAPP_LINK_FAILED, USAGE).
 */
import { OnebrainError } from "../shared/errors.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown;

export const whatsappHandlers: Record<"whatsapp.link.start" | "whatsapp.link.status" | "whatsapp.link.cancel" | "whatsapp.logout", Handler> = {
  "whatsapp.link.start": (params, ctx, caller) => {
    const p = (params ?? {}) as { phone?: string; timeoutSeconds?: number };
    try {
      const view = ctx.brain.whatsapp.start({ ...(p.phone ? { phone: p.phone } : {}), ...(p.timeoutSeconds ? { timeoutMs: p.timeoutSeconds * 1000 } : {}) });
      ctx.logger.info({ by: caller.clientId, method: view.method }, "whatsapp: linking asked");
      return view;
    } catch (err) {
      if (err instanceof OnebrainError) throw new RpcError("INVALID_REQUEST", err.message, { code: err.code });
      throw err;
    }
  },
  "whatsapp.link.status": (_params, ctx) => ctx.brain.whatsapp.status(),
  "whatsapp.link.cancel": (_params, ctx) => ctx.brain.whatsapp.cancel(),
  "whatsapp.logout": async (_params, ctx, caller) => {
    const r = await ctx.brain.whatsapp.logout();
    ctx.logger.info({ by: caller.clientId, unlinked: r.unlinked, toldWhatsApp: r.toldWhatsApp }, "whatsapp: logout asked");
    return r;
  },
};
