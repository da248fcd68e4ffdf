/**
 * `onebrain channels login|logout whatsapp` as processes: logout of a brain with nothing linked
 * says so; a login that no phone completes (here WhatsApp is unreachable, or nobody scans in time)
 * ends with WHATSAPP_LINK_FAILED (exit 92) naming why, and keeps nothing half-linked; another
 * channel name is a usage error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openAuthStore } from "../../../src/channels/whatsapp/auth-store.ts";
import { brainEnv, runCli, tmpDir } from "../../helpers/gateway.ts";
import { FakeBaileys } from "../../helpers/fake-baileys.ts";

test("logout with nothing linked says so; login of another channel is a usage error", async () => {
  const env = brainEnv(tmpDir("onebrain-wa-cli-"));
  const out = await runCli(["channels", "logout", "whatsapp", "--json"], env);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), { ok: true, unlinked: null, toldWhatsApp: false, via: "local" });
  const bad = await runCli(["channels", "login", "telegram"], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /only whatsapp links a device/);
});

test("a login no phone completes ends with WHATSAPP_LINK_FAILED naming why, and nothing is linked", { timeout: 60_000 }, async () => {
  const dir = tmpDir("onebrain-wa-cli-");
  const env = brainEnv(dir);
  const r = await runCli(["channels", "login", "whatsapp", "--timeout", "5", "--json"], env, 40_000);
  assert.equal(r.code, 92, r.stdout + r.stderr);
  // QR events (when WhatsApp is reachable) are JSON lines; the error is the usual JSON document after them.
  const last = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf("\n{\n") + 1));
  assert.equal(last.error.code, "WHATSAPP_LINK_FAILED");
  assert.match(last.error.message, /WhatsApp closed the linking session|No phone linked the device in time/);
  const auth = openAuthStore(path.join(dir, "whatsapp", "default"), new FakeBaileys());
  assert.equal(auth.linked(), false);
  auth.close();
});

test("logout with no gateway deletes a linked device's keys, and says when WhatsApp could not be told", { timeout: 60_000 }, async () => {
  const dir = tmpDir("onebrain-wa-cli-");
  const auth = openAuthStore(path.join(dir, "whatsapp", "default"), new FakeBaileys());
  auth.state.creds.me = { id: "4915100000001:4@s.whatsapp.net" };
  auth.saveCreds();
  auth.close();
  // The keys are made up: WhatsApp (unreachable here, or refusing them) cannot be told, and the keys go anyway.
  const r = await runCli(["channels", "logout", "whatsapp"], brainEnv(dir), 40_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Deleted the keys of the device linked to \+4915100000001\.\nWhatsApp could not be told: remove the device on the phone/);
  const again = openAuthStore(path.join(dir, "whatsapp", "default"), new FakeBaileys());
  assert.equal(again.linked(), false);
  again.close();
});
