/**
 * The contract suite's driver for WhatsApp: users write to the linked number through the fake
 * WhatsApp server (test/helpers/fake-whatsapp.ts), which the gateway reaches through the adapter's
 * boundary (ONEBRAIN_WHATSAPP_LIBRARY). Each state dir is prepared with the same linked device, so
 * two gateways hold one credential as two copies of a state dir would.
 */
import { authDir, openAuthStore, readLinked } from "../../../src/channels/whatsapp/auth-store.ts";
import { FakeBaileys } from "../../helpers/fake-baileys.ts";
import { FakeWhatsApp } from "../../helpers/fake-whatsapp.ts";
import type { PlatformDriver, Said } from "./driver.ts";

const ME = "4915100000001";

type WaSaid = Said & { jid: string; id: string; text: string };

export function whatsappDriver(): PlatformDriver {
  const wa = new FakeWhatsApp();
  let next = 1000;
  /** Distinct message ids: a part sent again carries its first id, and WhatsApp shows it once. */
  const replies = (s: WaSaid) => new Set(wa.sent.filter((m) => m.jid === s.jid && m.text === `echo: ${s.text}`).map((m) => m.id)).size;
  return {
    id: "whatsapp",
    start: () => wa.start(),
    close: () => wa.stop(),
    users: (n) => Array.from({ length: n }, () => `+49152${String(next++).padStart(7, "0")}`),
    channelConfig: (users) => ({ allowFrom: [...users], sendReadReceipts: true }),
    env: () => wa.env(),
    prepare(stateDir) {
      const auth = openAuthStore(authDir(stateDir), new FakeBaileys());
      auth.state.creds.me = { id: `${ME}:5@s.whatsapp.net`, lid: `9${ME}:5@lid`, name: "Owner" };
      auth.saveCreds();
      auth.close();
    },
    userSays(user, text): WaSaid {
      const jid = `${user.slice(1)}@s.whatsapp.net`;
      const id = wa.userSays(ME, jid, text);
      return { user, key: `${jid}/${id}`, jid, id, text };
    },
    repliesTo: (said) => replies(said as WaSaid),
    botMessages: () => new Set(wa.sent.map((m) => m.id)).size,
    settled: () => wa.pending(ME) === 0,
    disrupt: () => wa.disconnect(ME),
    loseSendAnswers: (n) => wa.loseAnswers(ME, n),
    rateLimitSends: (n) => wa.failSends(ME, 429, "rate-overlimit", n),
    describe(said) {
      const s = said as WaSaid;
      return {
        sends: wa.sent.filter((m) => m.jid === s.jid && m.text === `echo: ${s.text}`),
        receipted: wa.receipts.some((r) => r.id === s.id),
        pending: wa.pending(ME),
        online: wa.online(ME),
      };
    },
    checkBrain(stateDir) {
      // The auth state still loads after the kills, keys and all.
      const linked = readLinked(authDir(stateDir));
      if (linked.account !== ME || linked.error) throw new Error(`the auth state does not load after the kills: ${JSON.stringify(linked)}`);
      const auth = openAuthStore(authDir(stateDir), new FakeBaileys());
      try {
        if (!auth.linked()) throw new Error("the auth state lost its link");
      } finally {
        auth.close();
      }
    },
  };
}
