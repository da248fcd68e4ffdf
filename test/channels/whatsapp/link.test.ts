/**
 * Linking a device at the adapter boundary: QR codes shown as WhatsApp refreshes them, the
 * phone's acceptance (creds updated, then 515) followed by the linked session, the pairing-code
 * path, and each way it can fail, with nothing half-linked left behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import pino from "pino";
import { openAuthStore } from "../../../src/channels/whatsapp/auth-store.ts";
import { linkDevice } from "../../../src/channels/whatsapp/link.ts";
import { FakeBaileys } from "../../helpers/fake-baileys.ts";
import { tmpDir } from "../../helpers/gateway.ts";
import { until } from "../../helpers/wait.ts";

const silent = pino({ level: "silent" });
const fresh = () => {
  const lib = new FakeBaileys();
  const auth = openAuthStore(path.join(tmpDir("onebrain-wa-link-"), "whatsapp", "default"), lib);
  return { lib, auth };
};

test("QR: each code WhatsApp sends is shown; the phone accepts, 515 asks for a fresh socket, which opens linked", async () => {
  const { lib, auth } = fresh();
  const shown: string[] = [];
  const linking = linkDevice({ auth, lib, logger: silent, events: { qr: (q) => shown.push(q) }, signal: new AbortController().signal });
  await until("the first socket", () => lib.sockets.length === 1);
  lib.last.qr();
  lib.last.qr();
  assert.deepEqual(shown, ["2@fakeqr", "2@fakeqr"]);
  // The phone scanned: Baileys stores who we are now, and WhatsApp restarts the stream.
  lib.last.changeCreds({ me: { id: "4915100000001:9@s.whatsapp.net", lid: "111:9@lid" } });
  lib.last.close(515, "Stream Errored (restart required)");
  await until("the second socket", () => lib.sockets.length === 2);
  lib.last.connect();
  assert.deepEqual(await linking, { account: "4915100000001" });
  assert.equal(lib.last.ended, true, "the linking session is closed: the gateway opens its own");
  auth.close();
});

test("pairing code: with a phone number, the code is asked for once and shown", async () => {
  const { lib, auth } = fresh();
  const codes: string[] = [];
  const ctl = new AbortController();
  const linking = linkDevice({ auth, lib, logger: silent, events: { code: (c) => codes.push(c) }, phone: "+4915100000001", signal: ctl.signal });
  await until("a socket", () => lib.sockets.length === 1);
  lib.last.qr();
  lib.last.qr();
  await until("the code", () => codes.length === 1);
  assert.deepEqual(codes, ["ABCD1234"]);
  ctl.abort();
  await assert.rejects(linking, (e: Error & { code?: string }) => e.code === "WHATSAPP_LINK_FAILED" && /stopped before the phone accepted/.test(e.message));
  assert.equal(auth.linked(), false);
  auth.close();
});

test("no phone in time, a 401 while linking, a bad number, or a device linked already: WHATSAPP_LINK_FAILED (or USAGE) naming why, nothing half-linked", async () => {
  const a = fresh();
  await assert.rejects(
    linkDevice({ auth: a.auth, lib: a.lib, logger: silent, events: {}, signal: new AbortController().signal, timeoutMs: 200 }),
    /No phone linked the device in time/,
  );
  assert.equal(a.auth.linked(), false);
  const b = fresh();
  const p = linkDevice({ auth: b.auth, lib: b.lib, logger: silent, events: {}, signal: new AbortController().signal });
  await until("a socket", () => b.lib.sockets.length === 1);
  b.lib.last.changeCreds({ me: { id: "4915100000001:9@s.whatsapp.net" } });
  b.lib.last.close(401, "Connection Failure");
  await assert.rejects(p, /closed the linking session \(401: Connection Failure\)/);
  assert.equal(b.auth.linked(), false, "the half-made keys are wiped");
  await assert.rejects(
    linkDevice({ auth: b.auth, lib: b.lib, logger: silent, events: {}, phone: "0151 234", signal: new AbortController().signal }),
    (e: Error & { code?: string }) => e.code === "USAGE",
  );
  b.auth.state.creds.me = { id: "4915100000001:9@s.whatsapp.net" };
  await assert.rejects(
    linkDevice({ auth: b.auth, lib: b.lib, logger: silent, events: {}, signal: new AbortController().signal }),
    /A device is linked already \(\+4915100000001\): unlink it first/,
  );
  a.auth.close();
  b.auth.close();
});
