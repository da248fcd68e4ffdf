/**
 * Child process of the chat benches: the test suite's FakeModelServer (OpenAI and Anthropic
 * streaming formats, echo replies at once) in its own process, so that its CPU is not the
 * gateway's nor the bench's. Prints `port=N` on stdout once listening; exits when its stdin
 * closes (the bench ended, or died).
 *
 * With `--tools` it plays a model that calls the `read` tool once per message (on `note.txt`)
 * and answers when the result comes back; for each result it prints `gap=MS`: the time from the
 * request that asked for the call to the request that carried its result, which is the gateway's
 * whole round trip around the tool (the fake itself answers at once).
 *
 * Usage: node bench/fake-model-proc.ts [--tools]   (spawned with a piped stdin)
 */
import { FakeModelServer, type Behaviour, type RecordedRequest } from "../test/helpers/fake-model.ts";

const fake = await new FakeModelServer().start();
// The server records every request for tests; a soak of 100,000 would keep them all.
setInterval(() => (fake.requests.length = 0), 500).unref();

if (process.argv.includes("--tools")) {
  /** When each conversation's tool-asking request arrived, by the user text it answers. */
  const asked = new Map<string, number>();
  fake.respond = (req: RecordedRequest): Behaviour => {
    const now = performance.now();
    const messages = req.body.messages as Array<{ role: string; content: unknown }>;
    const last = messages.findLastIndex((m) => m.role === "user");
    const question = String(messages[last]?.content);
    if (messages.at(-1)?.role !== "tool") {
      asked.set(question, now);
      return { kind: "tools", calls: [{ name: "read", input: { path: "note.txt" } }] };
    }
    const at = asked.get(question);
    asked.delete(question);
    if (at !== undefined) process.stdout.write(`gap=${(now - at).toFixed(3)}\n`);
    return { kind: "reply", text: "read it" };
  };
}

process.stdout.write(`port=${new URL(fake.anthropicUrl).port}\n`);

const stop = () => void fake.close().finally(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
