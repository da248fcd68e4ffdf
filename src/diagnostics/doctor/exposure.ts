/**
 * Check 8: exposure. A non-loopback bind without auth fails; a token or password with less than
 * 24 bytes (192 bits) of entropy warns (fails off loopback); a non-loopback bind with no
 * `gateway.allowedOrigins` leaves the console unusable from other machines. Secrets are
 * measured, never shown.
 */
import { planBind } from "../../server/bind.ts";
import type { DoctorCheck, Finding } from "./types.ts";

/** Bits of entropy below which a secret is weak: 24 random bytes. */
export const MIN_SECRET_BITS = 24 * 8;

/**
 * A conservative estimate of a secret's entropy in bits: length times the bits of its alphabet
 * (lower, upper, digits, `-_`, other symbols), or times its observed per-character entropy when
 * that is much lower (repetitions like `aaaa...` or `passwordpassword`).
 */
export function entropyBits(secret: string): number {
  if (!secret) return 0;
  let pool = 0;
  if (/[a-z]/.test(secret)) pool += 26;
  if (/[A-Z]/.test(secret)) pool += 26;
  if (/[0-9]/.test(secret)) pool += 10;
  if (/[-_]/.test(secret)) pool += 2;
  if (/[^A-Za-z0-9_-]/.test(secret)) pool += 33;
  // Hex is hex, even when it has only digits and a-f: 4 bits per character.
  if (/^[0-9a-f]+$/i.test(secret) && !/^[0-9]+$/.test(secret)) pool = 16;
  const perChar = Math.log2(Math.max(pool, 2));
  const counts = new Map<string, number>();
  for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1);
  let shannon = 0;
  for (const n of counts.values()) shannon -= (n / secret.length) * Math.log2(n / secret.length);
  const bits = shannon < perChar * 0.6 ? shannon : perChar;
  return Math.round(bits * secret.length);
}

const NEW_TOKEN = "onebrain config set gateway.auth.token \"$(node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\")\"";

export const exposureCheck: DoctorCheck = {
  id: "exposure",
  group: "security",
  title: "Exposure: non-loopback bind without auth fails; weak token (< 24 bytes of entropy); lan bind without allowedOrigins.",
  run(ctx) {
    const { config, auth } = ctx.brain();
    if (!config || !auth)
      return [{ id: "exposure", status: "warn", finding: "cannot judge exposure: the config is broken", fix: "fix the config first (see the config check)" }];
    const g = config.gateway;
    let loopback: boolean;
    let where: string;
    try {
      const plan = planBind(g);
      loopback = plan.loopbackOnly;
      where = `${plan.mode} ${plan.hosts.join(", ")}`;
    } catch {
      // tailnet without an address, custom without a host: it will not start, but it means "off loopback".
      loopback = false;
      where = g.bind;
    }
    const secret = auth.mode === "token" ? auth.token : auth.mode === "password" ? auth.password : undefined;
    const out: Finding[] = [];
    if (!loopback && !secret) {
      out.push({
        id: "exposure",
        status: "fail",
        finding: `gateway.bind is ${where} without auth: anyone who reaches it could use this brain (the gateway refuses to start so)`,
        fix: "`onebrain setup --force` generates a token (the old config is kept as .bak), or set gateway.bind to loopback",
      });
    }
    const bits = secret ? entropyBits(secret) : null;
    if (bits !== null && bits < MIN_SECRET_BITS) {
      const what = auth.mode === "password" ? "password" : "token";
      out.push({
        id: "exposure.secret",
        status: loopback ? "warn" : "fail",
        finding: `the ${what} (from ${auth.mode === "password" ? auth.passwordSource : auth.tokenSource}) has about ${bits} bits of entropy, less than 24 random bytes${loopback ? "" : `, and the gateway listens on ${where}`}`,
        fix: `use a random one: ${NEW_TOKEN}`,
      });
    }
    if (!loopback && g.allowedOrigins.length === 0) {
      out.push({
        id: "exposure.origins",
        status: "warn",
        finding: `gateway.bind is ${where} but gateway.allowedOrigins is empty: a browser on another machine gets 403 from the console's WebSocket`,
        fix: "onebrain config set gateway.allowedOrigins '[\"http://HOST:PORT\"]' (the address the browser uses)",
      });
    }
    if (out.length) return out;
    const how = auth.mode === "none" ? "no auth (loopback only: fine)" : `${auth.mode} auth (~${bits} bits)`;
    return [{ id: "exposure", status: "ok", finding: `bind ${where}, ${how}${loopback ? "" : `, origins ${g.allowedOrigins.join(", ")}`}` }];
  },
};
