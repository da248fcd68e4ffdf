/**
 * How the fake model reads a request's history and tools (part of fake-model.ts): the checks the
 * real APIs make that a client can get wrong with tool calls, answered with the APIs' own 400
 * words, and the plain text of messages for the echo and the token counts.
 */

type Format = "anthropic" | "openai";

/** The plain text of a message's content: a string, text blocks, tool results and calls. */
export function contentText(m: any): string {
  const parts: string[] = [];
  const add = (c: unknown): void => {
    if (typeof c === "string") parts.push(c);
    else if (Array.isArray(c)) {
      for (const b of c) {
        if (b?.type === "text") parts.push(String(b.text));
        else if (b?.type === "tool_result") add(b.content);
        else if (b?.type === "tool_use") parts.push(JSON.stringify(b.input));
      }
    }
  };
  add(m?.content);
  for (const c of Array.isArray(m?.tool_calls) ? m.tool_calls : []) parts.push(String(c?.function?.arguments ?? ""));
  return parts.join(" ");
}

/** The text of the last user message that has any (skipping messages of tool results only). */
export function lastUserText(messages: any[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "user") continue;
    const text = typeof m.content === "string" ? m.content : Array.isArray(m.content) ? textBlocks(m.content) : "";
    if (text) return text;
  }
  return "";
}

const textBlocks = (blocks: any[]) =>
  blocks
    .filter((b) => b?.type === "text")
    .map((b) => String(b.text))
    .join("");

/** The 400 message the real API gives for this request's tools or history, or undefined when it is fine. */
export function requestError(format: Format, body: any): string | undefined {
  return format === "anthropic" ? anthropicError(body) : openaiError(body);
}

const toolUseIds = (m: any): string[] =>
  m?.role === "assistant" && Array.isArray(m.content) ? m.content.filter((b: any) => b?.type === "tool_use").map((b: any) => String(b.id)) : [];

function anthropicError(body: any): string | undefined {
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return "tools: Input should be a valid list";
    for (const [i, t] of body.tools.entries()) {
      if (typeof t?.name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name))
        return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (!t.input_schema || typeof t.input_schema !== "object") return `tools.${i}.custom.input_schema: Field required`;
    }
  }
  const messages: any[] = body.messages;
  for (const [i, m] of messages.entries()) {
    const calls = toolUseIds(m);
    if (calls.length) {
      const next = messages[i + 1];
      const answered = new Set(next?.role === "user" && Array.isArray(next.content) ? resultIds(next.content) : []);
      const missing = calls.filter((id) => !answered.has(id));
      if (missing.length) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
    if (m?.role === "user" && Array.isArray(m.content)) {
      const asked = new Set(toolUseIds(messages[i - 1]));
      for (const [j, b] of m.content.entries()) {
        if (b?.type !== "tool_result") continue;
        if (!asked.has(String(b.tool_use_id))) {
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
        // The docs require results first in their message (this wording is the fake's own).
        if (m.content.slice(0, j).some((x: any) => x?.type !== "tool_result"))
          return `messages.${i}.content.${j}: \`tool_result\` blocks must come before any other content in the message`;
      }
    }
  }
  return undefined;
}

const resultIds = (blocks: any[]) => blocks.filter((b) => b?.type === "tool_result").map((b) => String(b.tool_use_id));

function openaiError(body: any): string | undefined {
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return "Invalid type for 'tools': expected an array of objects.";
    for (const [i, t] of body.tools.entries()) {
      if (t?.type !== "function" || !t.function || typeof t.function !== "object") return `Missing required parameter: 'tools[${i}].function'.`;
      if (typeof t.function.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.function.name))
        return `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
    }
  }
  const messages: any[] = body.messages;
  for (const [i, m] of messages.entries()) {
    if (m?.role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length) {
      const answered = new Set<string>();
      for (let j = i + 1; messages[j]?.role === "tool"; j++) answered.add(String(messages[j].tool_call_id));
      const missing = m.tool_calls.map((c: any) => String(c?.id)).filter((id: string) => !answered.has(id));
      if (missing.length) {
        return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${missing.join(", ")}`;
      }
      for (const c of m.tool_calls) {
        if (typeof c?.function?.arguments !== "string") return `Invalid type for 'messages[${i}].tool_calls[0].function.arguments': expected a string.`;
      }
    } else if (m?.content === null || m?.content === undefined) {
      return `Invalid value for 'messages[${i}].content': expected a string, got null.`;
    }
    if (m?.role === "tool") {
      let j = i - 1;
      while (messages[j]?.role === "tool") j--;
      const asked = (messages[j]?.role === "assistant" && Array.isArray(messages[j].tool_calls) ? messages[j].tool_calls : []).map((c: any) => String(c?.id));
      if (!asked.includes(String(m.tool_call_id))) {
        // The real API's own spelling.
        return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
      }
    }
  }
  return undefined;
}
