/**
 * The agent's `browser` tool in a real gateway, with a scripted model over the OpenAI wire and
 * Debian's chromium: open a local page, snapshot, type and click by ref, snapshot again, save a
 * screenshot into the workspace. Each result is what the model reads next.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { chromiumPath } from "../helpers/browser.ts";
import { FakeModelServer, type Behaviour } from "../helpers/fake-model.ts";
import { freePlanPort, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { FORM_PAGE, servePages } from "./support.ts";

const fake = new FakeModelServer();
let pages: Awaited<ReturnType<typeof servePages>>;
let gw: RunningGateway;

before(async () => {
  await fake.start();
  pages = await servePages({ "/form": FORM_PAGE });
  gw = await startGateway({
    port: await freePlanPort(),
    stateDir: path.join(tmpDir(), "state"),
    config: {
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } },
      browser: { executablePath: chromiumPath() },
    },
  });
});
after(async () => {
  await gw?.stop();
  await pages?.close();
  await fake.close();
});

/** Sends one chat line and waits for the run's final reply (at most `ms`). */
async function chatUntilFinal(clientId: string, text: string, key: string, ms: number): Promise<void> {
  const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId, mode: "webchat" });
  await c.request("chat.send", { text, idempotencyKey: key });
  const deadline = Date.now() + ms;
  while (!c.events.some((e) => e.event === "chat" && (e.payload as { state: string }).state === "final") && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await c.close();
}

/** The tool results of the current run: those after the last user line. */
function toolResults(body: any): string[] {
  const messages = body.messages as Array<{ role: string; content: string }>;
  const start = messages.findLastIndex((m) => m.role === "user");
  return messages.slice(start + 1).flatMap((m) => (m.role === "tool" ? [m.content] : []));
}

test("the model opens a page, reads it by snapshot, types and clicks by ref, and saves a screenshot, through the browser tool", async () => {
  const browser = (input: Record<string, unknown>): Behaviour => ({ kind: "tools", calls: [{ name: "browser", input }] });
  fake.respond = (req) => {
    const results = toolResults(req.body);
    const snapshot = results.findLast((r) => r.includes("[ref=")) ?? "";
    const ref = (label: string) => new RegExp(`${label}[^\\n]*\\[ref=(e\\d+)\\]`).exec(snapshot)?.[1] ?? "missing";
    switch (results.length) {
      case 0:
        return browser({ action: "open", url: pages.url("/form") });
      case 1:
        return browser({ action: "snapshot" });
      case 2:
        return browser({ action: "act", kind: "type", ref: ref('textbox "Name"'), text: "Grace" });
      case 3:
        return browser({ action: "act", kind: "click", ref: ref('button "Greet"') });
      case 4:
        return browser({ action: "snapshot" });
      case 5:
        return browser({ action: "screenshot" });
      default:
        return { kind: "reply", text: "all done" };
    }
  };
  await chatUntilFinal("tool-test", "greet Grace on the form", "b-1", 60_000);
  const last = fake.requests.at(-1)!;
  const results = toolResults(last.body);
  assert.equal(results.length, 6, results.join("\n---\n"));
  assert.match(results[0]!, /^Opened tab [0-9A-F]+ \(current\): "Form"/);
  assert.match(results[1]!, /textbox "Name" \[ref=e\d+\]/);
  assert.match(results[2]!, /^Done: type on e\d+/);
  assert.match(results[3]!, /^Done: click on e\d+/);
  assert.match(results[4]!, /Clicked: Grace/);
  const saved = /at (browser\/screenshot-[^ ]+\.png)/.exec(results[5]!)?.[1];
  assert.ok(saved, results[5]);
  const file = path.join(gw.stateDir, "workspace", saved);
  assert.equal(fs.readFileSync(file).subarray(1, 4).toString(), "PNG");
});

test("a ref that is not in the latest snapshot and a file: URL are error results that say what to do", async () => {
  fake.requests.length = 0;
  fake.respond = (req) => {
    const n = toolResults(req.body).length;
    if (n === 0) return { kind: "tools", calls: [{ name: "browser", input: { action: "act", kind: "click", ref: "e4242" } }] };
    if (n === 1) return { kind: "tools", calls: [{ name: "browser", input: { action: "open", url: "file:///etc/passwd" } }] };
    return { kind: "reply", text: "ok" };
  };
  await chatUntilFinal("tool-test-2", "click something", "b-2", 30_000);
  const results = toolResults(fake.requests.at(-1)!.body);
  assert.match(results[0]!, /No element e4242 .*take a new snapshot/);
  assert.match(results[1]!, /Cannot open file: URLs/);
});
