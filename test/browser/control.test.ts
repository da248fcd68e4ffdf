/**
 * The browser control service of a real gateway, driving Debian's chromium on loopback: the
 * HTTP API (auth as the gateway, coded errors), a page driven by refs, the launched browser
 * recorded in the brain, and a stop that leaves no process of its group behind.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { chromiumPath } from "../helpers/browser.ts";
import { freePlanPort, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { control, FORM_PAGE, groupPids, groupPidsAfter, servePages } from "./support.ts";

const TOKEN = "browser-control-test-token-0123456789";
let gw: RunningGateway;
let pages: Awaited<ReturnType<typeof servePages>>;
let cp: number;

before(async () => {
  pages = await servePages({ "/form": FORM_PAGE, "/second": "<title>Second</title><h1>Second page</h1>" });
  const port = await freePlanPort();
  gw = await startGateway({
    port,
    stateDir: path.join(tmpDir(), "state"),
    config: { gateway: { auth: { token: TOKEN } }, browser: { executablePath: chromiumPath() } },
  });
  cp = port + 2;
});

after(async () => {
  await gw?.stop();
  await pages?.close();
});

const call = (method: "GET" | "POST", p: string, body?: unknown) => control(cp, method, p, { token: TOKEN, ...(body === undefined ? {} : { body }) });
const records = () => {
  const db = new DatabaseSync(path.join(gw.stateDir, "brain.db"), { readOnly: true });
  try {
    return db.prepare("SELECT profile, pid, pgid, proc_start, cdp_port FROM browsers").all() as Array<{
      profile: string;
      pid: number;
      pgid: number;
      proc_start: number;
      cdp_port: number;
    }>;
  } finally {
    db.close();
  }
};

test("the control service listens on base+2 and refuses a caller without the gateway's token, a wrong one, and a web page's Origin", async () => {
  const none = await control(cp, "GET", "/status");
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, "AUTH_REQUIRED");
  const wrong = await control(cp, "GET", "/status", { token: "not-the-token-at-all-000000000" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, "AUTH_FAILED");
  const page = await control(cp, "POST", "/start", { token: TOKEN, headers: { origin: "http://evil.example" }, body: {} });
  assert.equal(page.status, 403);
  const ok = await call("GET", "/status");
  assert.equal(ok.status, 200);
  assert.equal(ok.body.enabled, true);
  assert.equal(ok.body.profiles[0].profile, "onebrain");
  assert.equal(ok.body.profiles[0].running, false, "nothing is launched until asked");
});

test("errors are coded: an unknown profile, an unknown route, a stopped browser, a bad action, a file: URL", async () => {
  const unknown = await call("GET", "/status?profile=nope");
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, "BROWSER_PROFILE_UNKNOWN");
  assert.match(unknown.body.error.message, /onebrain/);
  assert.equal((await call("GET", "/nowhere")).status, 404);
  const stopped = await call("GET", "/snapshot");
  assert.equal(stopped.status, 409);
  assert.equal(stopped.body.error.code, "BROWSER_NOT_RUNNING");
  const bad = await call("POST", "/act", { kind: "explode", ref: "e1" });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "USAGE");
  const file = await call("POST", "/tabs/open", { url: "file:///etc/passwd" });
  assert.equal(file.status, 400);
  assert.match(file.body.error.message, /file:/);
  assert.equal((await call("GET", "/start")).status, 405, "a start is a POST");
});

test("start, open a local page, snapshot, type and click by ref, screenshot; the browser is recorded while it runs and its whole group dies at stop", async () => {
  const started = await call("POST", "/start", {});
  assert.equal(started.status, 200, JSON.stringify(started.body));
  assert.equal(started.body.running, true);
  const pgid = started.body.pid as number;
  assert.ok(groupPids(pgid).length > 1, "chromium runs as a process group (browser, zygotes, renderers)");
  const [rec] = records();
  assert.equal(rec!.pid, pgid);
  assert.equal(rec!.pgid, pgid);
  assert.ok(rec!.proc_start > 0, "the start time is recorded: a recycled pid is never taken for it");
  assert.ok(rec!.cdp_port >= gw.port + 11 && rec!.cdp_port <= gw.port + 110, "the CDP port is from the plan's range");

  const opened = await call("POST", "/tabs/open", { url: pages.url("/form") });
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  assert.equal(opened.body.tab.title, "Form");
  const tab = opened.body.tab.id as string;
  const snap = await call("GET", `/snapshot?tab=${tab}`);
  assert.equal(snap.status, 200);
  const ref = (role: string) => new RegExp(`${role}[^\\n]*\\[ref=(e\\d+)\\]`).exec(snap.body.snapshot)?.[1];
  const box = ref('textbox "Name"');
  const button = ref('button "Greet"');
  assert.ok(box && button, snap.body.snapshot);
  assert.equal((await call("POST", "/act", { kind: "type", ref: box, text: "Ada" })).status, 200);
  assert.equal((await call("POST", "/act", { kind: "click", ref: button })).status, 200);
  const after = await call("GET", "/snapshot");
  assert.match(after.body.snapshot, /Clicked: Ada/);
  const missing = await call("POST", "/act", { kind: "click", ref: "e999" });
  assert.equal(missing.body.error.code, "BROWSER_REF_NOT_FOUND");

  const shot = await call("GET", "/screenshot");
  assert.equal(shot.status, 200);
  assert.equal(shot.type, "image/png");
  assert.deepEqual([...shot.body.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const pdf = await call("GET", "/pdf");
  assert.equal(pdf.type, "application/pdf");
  assert.equal(pdf.body.subarray(0, 4).toString(), "%PDF");

  const nav = await call("POST", "/navigate", { url: pages.url("/second"), tab });
  assert.equal(nav.body.tab.title, "Second");
  const tabs = await call("GET", "/tabs");
  assert.ok(tabs.body.tabs.some((t: { id: string; current: boolean }) => t.id === tab && t.current));
  assert.equal((await call("POST", "/tabs/close", { tab })).status, 200);
  assert.equal((await call("POST", "/tabs/focus", { tab })).body.error.code, "BROWSER_TAB_NOT_FOUND");

  const stopped = await call("POST", "/stop", {});
  assert.equal(stopped.body.running, false);
  assert.deepEqual(await groupPidsAfter(pgid), [], "no process of the browser's group is left");
  assert.deepEqual(records(), [], "the record is gone with the browser");
});

test("two starts at once launch one browser; a browser killed from outside is seen gone, forgotten, and starts again", async () => {
  const [a, b] = await Promise.all([call("POST", "/start", {}), call("POST", "/start", {})]);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(a.body.pid, b.body.pid, "one browser");
  assert.equal(records().length, 1);
  process.kill(-a.body.pid, "SIGKILL");
  const deadline = Date.now() + 5000;
  while ((await call("GET", "/status")).body.profiles[0].running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await call("GET", "/status")).body.profiles[0].running, false);
  assert.equal((await call("GET", "/tabs")).body.error.code, "BROWSER_NOT_RUNNING");
  // The CDP socket drops before the process's exit is reaped (later on a loaded host): the record
  // goes with the exit.
  while (records().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(records(), [], "the dead browser's record is dropped");
  const again = await call("POST", "/start", {});
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.notEqual(again.body.pid, a.body.pid);
  assert.equal((await call("POST", "/stop", {})).body.running, false);
});

test("the profile's data dir removed under a running browser: stop still kills its group, and the next start makes it again", async () => {
  const started = await call("POST", "/start", {});
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const dir = started.body.userDataDir as string;
  // Moved away at once, then deleted: chromium keeps writing into the directory it has open, so a
  // plain recursive rm races with it (ENOTEMPTY).
  fs.renameSync(dir, `${dir}.removed`);
  try {
    fs.rmSync(`${dir}.removed`, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  } catch {
    // Still being written to: it is no longer at the profile's path, which is what matters here.
  }
  assert.equal((await call("GET", "/status")).status, 200);
  const stopped = await call("POST", "/stop", {});
  assert.equal(stopped.body.running, false);
  assert.deepEqual(await groupPidsAfter(started.body.pid), [], "no process of the browser's group is left");
  const again = await call("POST", "/start", {});
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.ok(fs.statSync(path.join(dir)).isDirectory(), "the data dir is made again");
  assert.equal((await call("POST", "/stop", {})).body.running, false);
});

test("hostile bodies are refused with a coded 400: not JSON, not an object, over 1 MiB", async () => {
  const raw = async (body: string) => {
    const res = await fetch(`http://127.0.0.1:${cp}/act`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body,
    });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };
  for (const body of ["{", "[1,2]", "null", `{"kind":"click","ref":"${"e".repeat(2 * 1024 * 1024)}"}`]) {
    const r = await raw(body);
    assert.equal(r.status, 400, body.slice(0, 40));
    assert.equal(r.body.error.code, "USAGE");
  }
});

test("opening a tab starts the browser when it is not running, and the gateway's stop takes the browser with it", async () => {
  const opened = await call("POST", "/tabs/open", { url: pages.url("/second") });
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  const pid = (await call("GET", "/status")).body.profiles[0].pid as number;
  assert.ok(groupPids(pid).length > 0);
  await gw.stop();
  assert.deepEqual(await groupPidsAfter(pid), []);
  assert.deepEqual(records(), []);
});
