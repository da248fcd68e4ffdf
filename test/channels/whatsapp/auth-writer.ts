/** A child for the auth-store crash test: writes batches of 812 pre-keys (batch N: ids N-0..N-811) until killed, printing each batch committed. */
import { loadBaileys } from "../../../src/channels/whatsapp/baileys.ts";
import { openAuthStore } from "../../../src/channels/whatsapp/auth-store.ts";

const lib = await loadBaileys();
const store = openAuthStore(process.argv[2]!, lib);
for (let n = 0; ; n++) {
  const batch: Record<string, unknown> = {};
  for (let i = 0; i < 812; i++) batch[`${n}-${i}`] = { public: Buffer.alloc(32, n % 256), private: Buffer.alloc(32, i % 256) };
  await store.state.keys.set({ "pre-key": batch });
  store.state.creds.nextPreKeyId = (n + 1) * 812;
  store.saveCreds();
  process.stdout.write(`${n}\n`);
}
