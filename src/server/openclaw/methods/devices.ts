/** OpenClaw's device pairing methods (`openclaw devices list|approve|reject|remove|revoke`), over the brain's devices. */
import * as z from "zod/mini";
import { DeviceIdError } from "../../../devices/admin.ts";
import { findDevice, removeDevice } from "../../../devices/records.ts";
import { issueToken, revokeToken } from "../../../devices/tokens.ts";
import { scopeSatisfied } from "../../../protocol/openclaw/scopes.ts";
import { pairedPayload, pairRequestPayload } from "../../devices.ts";
import { OcError, type OcMethod } from "../types.ts";

const id = () => z.string().check(z.minLength(1), z.maxLength(256));

/** Runs an admin step, answering an id that names nothing as OpenClaw does. */
function named<T>(what: "requestId" | "deviceId", fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DeviceIdError) throw new OcError("INVALID_REQUEST", `unknown ${what}`, { reason: err.message });
    throw err;
  }
}

export const deviceMethods: Record<string, OcMethod> = {
  "device.pair.list": {
    scope: "operator.pairing",
    params: z.strictObject({}),
    run: (_p, ctx) => {
      const l = ctx.devices.list();
      return { pending: l.pending.map(pairRequestPayload), paired: l.approved.map((d) => pairedPayload(d, l.connected.has(d.deviceId))) };
    },
  },
  "device.pair.approve": {
    scope: "operator.pairing",
    params: z.strictObject({ requestId: id() }),
    run: (p, ctx, caller) => {
      const { requestId } = p as { requestId: string };
      const pending = ctx.devices.list().pending.find((r) => r.requestId === requestId);
      // As OpenClaw: approving a node takes admin; an operator request, the scopes it asks for.
      if (pending && pending.role !== "operator" && !scopeSatisfied(caller.scopes, "operator.admin"))
        throw new OcError("INVALID_REQUEST", "device pairing approval denied");
      const missing = pending?.role === "operator" ? pending.scopes.find((s) => !scopeSatisfied(caller.scopes, s)) : undefined;
      if (missing) throw new OcError("INVALID_REQUEST", `missing scope: ${missing}`);
      const r = named("requestId", () => ctx.devices.approve(requestId));
      return { requestId: r.request.requestId, device: pairedPayload(r.device) };
    },
  },
  "device.pair.reject": {
    scope: "operator.pairing",
    params: z.strictObject({ requestId: id() }),
    run: (p, ctx) => {
      const r = named("requestId", () => ctx.devices.reject((p as { requestId: string }).requestId));
      return { requestId: r.requestId, deviceId: r.deviceId };
    },
  },
  "device.pair.remove": {
    scope: "operator.pairing",
    params: z.strictObject({ deviceId: id() }),
    run: (p, ctx) => {
      const deviceId = (p as { deviceId: string }).deviceId;
      if (!findDevice(ctx.brain.store, deviceId)) throw new OcError("INVALID_REQUEST", "unknown deviceId");
      ctx.devices.revoke(deviceId);
      return { deviceId };
    },
  },
  "device.token.revoke": {
    scope: "operator.pairing",
    params: z.strictObject({ deviceId: id(), role: id() }),
    run: (p, ctx, caller) => {
      const { deviceId, role } = p as { deviceId: string; role: string };
      if (role !== "operator" && !scopeSatisfied(caller.scopes, "operator.admin")) throw new OcError("INVALID_REQUEST", "device token revocation denied");
      const device = findDevice(ctx.brain.store, deviceId);
      if (!device) throw new OcError("INVALID_REQUEST", "unknown deviceId");
      // A device without its role's token is asked to pair again for it (OpenClaw: the role is no longer effective).
      revokeToken(ctx.brain.store, deviceId, role);
      const rest = device.roles.filter((r) => r !== role);
      if (rest.length === 0) removeDevice(ctx.brain.store, deviceId);
      else ctx.brain.store.prepare("UPDATE devices SET roles = ? WHERE device_id = ?").run(JSON.stringify(rest), deviceId);
      ctx.devices.disconnectOnly(deviceId);
      return { deviceId, role, revokedAtMs: Date.now() };
    },
  },
  "device.token.rotate": {
    scope: "operator.pairing",
    params: z.strictObject({ deviceId: id(), role: id(), scopes: z.optional(z.array(id())) }),
    run: (p, ctx, caller) => {
      const { deviceId, role } = p as { deviceId: string; role: string };
      if (role !== "operator" && !scopeSatisfied(caller.scopes, "operator.admin")) throw new OcError("INVALID_REQUEST", "device token rotation denied");
      const device = findDevice(ctx.brain.store, deviceId);
      if (!device || !device.roles.includes(role)) throw new OcError("INVALID_REQUEST", "unknown deviceId");
      const scopes = role === "operator" ? device.scopes : [];
      const minted = issueToken(ctx.brain.store, deviceId, role, scopes, Date.now());
      const own = caller.deviceId === deviceId;
      ctx.devices.disconnectOnly(deviceId);
      return {
        deviceId,
        role,
        scopes,
        rotatedAtMs: minted.issuedAt,
        tokenDelivery: own ? "in-band" : "withheld-cross-device",
        ...(own ? { token: minted.token } : {}),
      };
    },
  },
};
