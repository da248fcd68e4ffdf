/**
 * RPC methods about devices (docs/devices.md): `devices.list`, `devices.approve`, `devices.reject`
 * and `devices.revoke`, through the gateway's DeviceAdmin so that OpenClaw operators and the
 * console hear of each change and a revoked device's sockets close at once. An id that names
 * nothing, or more than one thing, is INVALID_REQUEST with the reason in the message.
 */
import { DeviceIdError } from "../devices/admin.ts";
import { deviceView, listView, requestView } from "../devices/views.ts";
import type { DeviceApproved, DeviceListView, DeviceRejected, DeviceRevoked } from "../protocol/devices.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown;

/** Runs an admin step; a DeviceIdError becomes the caller's INVALID_REQUEST (with `details.kind`: unknown or ambiguous). */
function byId<T>(id: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DeviceIdError) throw new RpcError("INVALID_REQUEST", err.message, { id, kind: err.kind });
    throw err;
  }
}

export const deviceHandlers: Record<"devices.list" | "devices.approve" | "devices.reject" | "devices.revoke", Handler> = {
  /** Pending requests (oldest first) and approved devices (newest approval first), with which are connected now. */
  "devices.list"(_params, ctx): DeviceListView {
    const l = ctx.devices.list();
    return listView(l, l.connected);
  },
  /** Approves a pending request by request or device id (or a unique prefix of 6+ characters). */
  "devices.approve"(params, ctx, caller): DeviceApproved {
    const { id } = params as { id: string };
    const r = byId(id, () => ctx.devices.approve(id));
    ctx.logger.info({ device: r.device.deviceId.slice(0, 12), role: r.request.role, by: caller.clientId }, "device approved");
    return { request: requestView(r.request), device: deviceView(r.device) };
  },
  /** Drops a pending request; the device may ask again by connecting. */
  "devices.reject"(params, ctx, caller): DeviceRejected {
    const { id } = params as { id: string };
    const request = byId(id, () => ctx.devices.reject(id));
    ctx.logger.info({ device: request.deviceId.slice(0, 12), by: caller.clientId }, "device request rejected");
    return { request: requestView(request) };
  },
  /** Forgets an approved device and its tokens; its open sockets are closed (4001 "device removed"). */
  "devices.revoke"(params, ctx, caller): DeviceRevoked {
    const { id } = params as { id: string };
    const r = byId(id, () => ctx.devices.revoke(id));
    ctx.logger.info({ device: r.device.deviceId.slice(0, 12), disconnected: r.disconnected, by: caller.clientId }, "device revoked");
    return { device: deviceView(r.device), disconnected: r.disconnected };
  },
};
