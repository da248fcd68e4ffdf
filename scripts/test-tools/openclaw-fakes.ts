// The fake upstreams of make-openclaw-state.sh, from the project's own test helpers (unmodified):
//   FakeModelServer (test/helpers/fake-model.ts)    on <basePort>     (OpenAI + Anthropic streaming)
//   FakeTelegram    (test/helpers/fake-telegram.ts) on <basePort+1>   (Bot API, long polling)
//   a small control server                          on <basePort+2>
//
//   node scripts/test-tools/openclaw-fakes.ts <basePort> <runDir>
//
// Both helpers listen on port 0; the generator needs fixed ports (they go into OpenClaw's config),
// so their ports are pinned by wrapping http.Server.prototype.listen while they start.
//
// Fake model: answers `echo: <last user message>` like the helper's default, except that OpenClaw's
// own context block (a user message starting "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>", appended to
// every request) is skipped, so the echo is the user's real text. If a user message contains
// "TOOLTEST" and the request offers a `read` tool, the first answer is a tool call
// read({path:"AGENTS.md"}) (so the transcript gets a toolCall and its toolResult); the follow-up gets the echo.
//
// Control API (JSON):
//   POST /telegram/say   {chatId, text, bot?: "main"|"alerts", from?: {...}}  -> the update
//   GET  /telegram/sent                                                      -> every message bots sent
//   GET  /telegram/calls                                                     -> method names called
//   GET  /model/requests                                                     -> request summaries
//   POST /shutdown
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { FakeModelServer } from "../../test/helpers/fake-model.ts";
import { contentText, lastUserText } from "../../test/helpers/fake-model-history.ts";
import { FakeTelegram } from "../../test/helpers/fake-telegram.ts";

const basePort = Number(process.argv[2] ?? "19410");
const runDir = process.argv[3] ?? ".";
export const TELEGRAM_MAIN_TOKEN = process.env.TG_MAIN_TOKEN ?? "123456:ABCdefFAKEtokenForImportTests_0123456789";
export const TELEGRAM_ALERTS_TOKEN = process.env.TG_ALERTS_TOKEN ?? "654321:XYZfakeAlertsTokenForImportTests_98765";

const pinned = [basePort, basePort + 1];
// The fakes listen on port 0; the generated state dir must name fixed ports, so their first two listens are pinned.
const origListen = Reflect.get(http.Server.prototype, "listen") as (...args: unknown[]) => unknown;
(http.Server.prototype as any).listen = function (this: http.Server, ...args: any[]) {
  if (args[0] === 0 && pinned.length > 0) args[0] = pinned.shift();
  return (origListen as any).apply(this, args);
};
const model = new FakeModelServer();
await model.start();
const telegram = new FakeTelegram({ token: TELEGRAM_MAIN_TOKEN, username: "oc_import_main_bot" });
telegram.addBot(TELEGRAM_ALERTS_TOKEN, "oc_import_alerts_bot");
await telegram.start();
Reflect.set(http.Server.prototype, "listen", origListen);

const requestLog = path.join(runDir, "fake-model-requests.jsonl");
const toolNames = (body: any): string[] => (Array.isArray(body?.tools) ? body.tools : []).map((t: any) => t?.function?.name ?? t?.name).filter(Boolean);
const hasToolResult = (body: any): boolean =>
  (Array.isArray(body?.messages) ? body.messages : []).some(
    (m: any) => m?.role === "tool" || (Array.isArray(m?.content) && m.content.some((c: any) => c?.type === "tool_result")),
  );
model.respond = (req: any) => {
  const msgs = req.body?.messages ?? [];
  const names = toolNames(req.body);
  fs.appendFileSync(
    requestLog,
    JSON.stringify({
      at: new Date().toISOString(),
      format: req.format,
      model: req.body?.model,
      tools: names,
      lastUserText: String(lastUserText(msgs)).slice(0, 200),
    }) + "\n",
  );
  const userText = JSON.stringify(msgs.filter((m: any) => m?.role === "user"));
  if (userText.includes("TOOLTEST") && names.includes("read") && !hasToolResult(req.body)) {
    return { kind: "tools", text: "Let me look at AGENTS.md.", calls: [{ name: "read", input: { path: "AGENTS.md" } }] };
  }
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i]?.role !== "user") continue;
    const text = String(contentText(msgs[i])).trim();
    if (!text || text.startsWith("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>")) continue;
    return { kind: "reply", text: `echo: ${text}` };
  }
  return undefined;
};

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
const control = http.createServer(async (req, res) => {
  let raw = "";
  for await (const c of req) raw += c;
  const body = raw ? JSON.parse(raw) : {};
  try {
    if (req.method === "POST" && req.url === "/telegram/say") {
      const token = body.bot === "alerts" ? TELEGRAM_ALERTS_TOKEN : TELEGRAM_MAIN_TOKEN;
      return json(res, 200, telegram.userSays(Number(body.chatId), String(body.text), { token, from: body.from }));
    }
    if (req.url === "/telegram/sent") return json(res, 200, telegram.sent);
    if (req.url === "/telegram/calls")
      return json(
        res,
        200,
        telegram.calls.map((c: any) => ({ bot: c.token.split(":")[0], method: c.method, at: c.at })),
      );
    if (req.url === "/model/requests")
      return json(
        res,
        200,
        model.requests.map((r: any) => ({ format: r.format, model: r.body?.model, usage: r.usage })),
      );
    if (req.method === "POST" && req.url === "/shutdown") {
      json(res, 200, { ok: true });
      return void setTimeout(stop, 50);
    }
    json(res, 404, { error: "not found" });
  } catch (err) {
    json(res, 500, { error: String(err) });
  }
});
await new Promise<void>((r) => control.listen(basePort + 2, "127.0.0.1", r));

const info = {
  pid: process.pid,
  openaiUrl: model.openaiUrl,
  anthropicUrl: model.anthropicUrl,
  telegramApiRoot: telegram.apiRoot,
  telegramBots: { main: TELEGRAM_MAIN_TOKEN, alerts: TELEGRAM_ALERTS_TOKEN },
  control: `http://127.0.0.1:${basePort + 2}`,
};
fs.writeFileSync(path.join(runDir, "fakes-ready.json"), JSON.stringify(info, null, 2));
console.log(JSON.stringify(info));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  fs.writeFileSync(path.join(runDir, "fake-telegram-sent.json"), JSON.stringify(telegram.sent, null, 2));
  control.closeAllConnections();
  control.close();
  await Promise.allSettled([model.close(), telegram.close()]);
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Never outlive a forgotten run: exit after 30 minutes.
setTimeout(stop, 30 * 60_000).unref();
setInterval(() => {}, 1 << 30);
