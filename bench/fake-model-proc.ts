/**
 * Child process of the chat benches: the test suite's FakeModelServer (OpenAI and Anthropic
 * streaming formats, echo replies at once) in its own process, so that its CPU is not the
 * gateway's nor the bench's. Prints `port=N` on stdout once listening; exits when its stdin
 * closes (the bench ended, or died).
 *
 * Usage: node bench/fake-model-proc.ts   (spawned with a piped stdin)
 */
import { FakeModelServer } from "../test/helpers/fake-model.ts";

const fake = await new FakeModelServer().start();
// The server records every request for tests; a soak of 100,000 would keep them all.
setInterval(() => (fake.requests.length = 0), 500).unref();
process.stdout.write(`port=${new URL(fake.anthropicUrl).port}\n`);

const stop = () => void fake.close().finally(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
