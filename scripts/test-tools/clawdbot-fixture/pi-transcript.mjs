// The transcript format of pi-coding-agent's SessionManager v3 (what Clawdbot 2026.1.24 keeps per
// session), with a deterministic clock and ids so the fixture is reproducible.
import crypto from "node:crypto";

export const jsonl = (lines) => `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;

// Deterministic clock and ids (pi-coding-agent v3 uses randomUUID().slice(0, 8) for entry ids).
export const T = Date.parse("2026-01-20T09:00:00.000Z");
export const iso = (ms) => new Date(ms).toISOString();
let idn = 0;
const shortId = () => crypto.createHash("sha256").update(`entry-${idn++}`).digest("hex").slice(0, 8);
export const uuid = (seed) => {
  const h = crypto.createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
export const usage = (input, output) => ({
  input,
  output,
  cacheRead: 0,
  cacheWrite: 0,
  totalTokens: input + output,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
});

// ---------------------------------------------------------------- transcripts (pi-coding-agent SessionManager v3)
export function transcript({ sessionId, cwd, start, provider, model, api, turns }) {
  idn = 0;
  const lines = [{ type: "session", version: 3, id: sessionId, timestamp: iso(start), cwd }];
  let parentId = null;
  let t = start;
  const add = (entry) => {
    const id = shortId();
    t += 1000;
    lines.push({ ...entry, id, parentId, timestamp: iso(t) });
    parentId = id;
    return id;
  };
  add({ type: "model_change", provider, modelId: model });
  add({ type: "thinking_level_change", thinkingLevel: "off" });
  add({ type: "custom", customType: "model-snapshot", data: { timestamp: t, provider, modelApi: api, modelId: model } });
  for (const turn of turns) {
    add({ type: "message", message: { role: "user", content: turn.user, timestamp: t } });
    if (turn.tool) {
      const callId = `call_${shortId()}`;
      add({
        type: "message",
        message: {
          role: "assistant",
          content: [
            { type: "text", text: turn.tool.say },
            { type: "toolCall", id: callId, name: turn.tool.name, arguments: turn.tool.args },
          ],
          api,
          provider,
          model,
          usage: usage(900, 20),
          stopReason: "toolUse",
          timestamp: t,
        },
      });
      add({
        type: "message",
        message: {
          role: "toolResult",
          toolCallId: callId,
          toolName: turn.tool.name,
          content: [{ type: "text", text: turn.tool.result }],
          isError: false,
          timestamp: t,
        },
      });
    }
    add({
      type: "message",
      message: {
        role: "assistant",
        content: [{ type: "text", text: turn.assistant }],
        api,
        provider,
        model,
        usage: usage(1000, 12),
        stopReason: "stop",
        timestamp: t,
      },
    });
  }
  return { text: jsonl(lines), lastTs: t, count: lines.length };
}
