/**
 * `onebrain devices approve|reject|revoke ID` (docs/devices.md): through the running gateway (which
 * tells OpenClaw operators and the console, and closes a revoked device's sockets), else on the
 * store under the brain lock. An id is a whole request or device id, or a unique prefix of 6+
 * characters; one that names nothing or more than one thing is a wrong command line (USAGE).
 */
import { approveRequest, DeviceIdError, rejectPending, revokeDevice } from "../../devices/admin.ts";
import { deviceView, requestView } from "../../devices/views.ts";
import type { DeviceApproved, DeviceRejected, DeviceRevoked } from "../../protocol/devices.ts";
import { OnebrainError } from "../../shared/errors.ts";
import type { Store } from "../../store/db.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { printJson, printLines } from "../output.ts";
import { clientOf, scopesOf, shortDevice, shortRequest } from "./devices-list.ts";

type Method = "devices.approve" | "devices.reject" | "devices.revoke";

/** The same refusal whether the gateway or the store said no: a wrong id is a wrong command line. */
function wrongId(message: string, id: string): OnebrainError {
  const hint = id.length < 6 ? "A prefix needs at least 6 characters: copy the id from `onebrain devices list`." : "Copy the id from `onebrain devices list`.";
  return new OnebrainError("USAGE", message, { hint });
}

/** Runs `method` on the gateway, or `local` on the store; a refused id becomes USAGE either way. */
async function change<T>(global: GlobalOptions, method: Method, id: string, local: (store: Store) => T): Promise<{ via: "gateway" | "store"; value: T }> {
  return viaGatewayOrStore<T>(brainPaths(global), {
    rpc: async (conn) => {
      try {
        return await conn.request<T>(method, { id });
      } catch (err) {
        if (err instanceof OnebrainError && err.details.wireCode === "INVALID_REQUEST") throw wrongId(err.message, id);
        throw err;
      }
    },
    local: (store) => {
      try {
        if (!store) throw new DeviceIdError("unknown", `No device has the id ${JSON.stringify(id)}: this brain has no database yet.`);
        return local(store);
      } catch (err) {
        if (err instanceof DeviceIdError) throw wrongId(err.message, id);
        throw err;
      }
    },
  });
}

/** `a1b2c3d4e5f6 (node-host/node "kitchen-pi", role node)`. */
function describe(d: { deviceId: string; clientId: string; clientMode: string; displayName: string | null; label?: string | null }, role: string): string {
  const name = d.label ?? d.displayName;
  return `${shortDevice(d.deviceId)} (${clientOf(d)}${name ? ` "${name}"` : ""}, ${role})`;
}

/** `devices approve ID`. */
export async function approveCommand(global: GlobalOptions, opts: { json?: boolean }, [raw]: string[]): Promise<void> {
  const id = raw!.trim();
  const r = await change<DeviceApproved>(global, "devices.approve", id, (store) => {
    const a = approveRequest(store, id);
    return { request: requestView(a.request), device: deviceView(a.device) };
  });
  if (opts.json) return printJson({ ok: true, via: r.via, ...r.value });
  const { request, device } = r.value;
  const scopes = request.scopes.length ? `, scopes ${scopesOf(request.scopes)}` : "";
  printLines([
    `devices: approved ${describe(device, `role ${request.role}${scopes}`)} (request ${shortRequest(request.requestId)})`,
    r.via === "gateway" ? "  it may connect now:" : "  it may connect once the gateway runs:",
    '  - a node host (`openclaw node run`) paused on "pairing required" does not retry by itself: restart it',
    "  - a Control UI keeps retrying and gets in at its next attempt; other clients at their next connect",
  ]);
}

/** `devices reject ID`. */
export async function rejectCommand(global: GlobalOptions, opts: { json?: boolean }, [raw]: string[]): Promise<void> {
  const id = raw!.trim();
  const r = await change<DeviceRejected>(global, "devices.reject", id, (store) => ({ request: requestView(rejectPending(store, id)) }));
  if (opts.json) return printJson({ ok: true, via: r.via, ...r.value });
  const { request } = r.value;
  printLines([
    `devices: rejected request ${shortRequest(request.requestId)} of ${describe(request, `role ${request.role}`)}`,
    "  nothing was approved; if the device connects again it asks again (a new request)",
  ]);
}

/** `devices revoke ID`. */
export async function revokeCommand(global: GlobalOptions, opts: { json?: boolean }, [raw]: string[]): Promise<void> {
  const id = raw!.trim();
  const r = await change<DeviceRevoked>(global, "devices.revoke", id, (store) => ({ device: deviceView(revokeDevice(store, id)), disconnected: 0 }));
  if (opts.json) return printJson({ ok: true, via: r.via, ...r.value });
  const { device, disconnected } = r.value;
  printLines([
    `devices: revoked ${describe(device, `roles ${device.roles.join(",")}`)}: its approval and tokens are deleted`,
    r.via === "gateway"
      ? `  ${disconnected === 1 ? "1 open socket was" : `${disconnected} open sockets were`} closed (4001 "device removed")`
      : "  the gateway is not running: the device has no open socket",
    "  it must be approved again to connect (its next connect is a new request)",
  ]);
}
