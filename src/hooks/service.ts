/**
 * Webhooks in (docs/hooks.md), as the running gateway takes them: which hook a path names, who may
 * call it (the hook token, a mapping's HMAC signature, or both), and the delivery itself. A
 * delivery is stored with its message in one write under its idempotency key; only once that
 * write is durable may the sender be told 202 (the caller awaits `durable`). A replay of a key,
 * even after a crash, answers the first delivery's id and starts nothing.
 */
import { OnebrainError } from "../shared/errors.ts";
import type { StoreHandle } from "../store/handle.ts";
import { deliveryView, findByKey, newDeliveryId, recordDelivery, sentKey, type DeliveryView, type PlannedMessage } from "./deliveries.ts";
import { planAgent, planMapping, planWake, type HookMapping, type HooksConfig, type PlanContext } from "./plan.ts";
import { idempotencyKey, parseBody, presentedToken, signatureVerdict, type Headers } from "./request.ts";
import { hooksStatus, mappingAuth, mappingSecret, type HooksStatus } from "./status.ts";
import { HookTokens } from "./token.ts";

/** What a path under /hooks/ names. */
export type HookTarget = { kind: "agent" | "wake"; name: "agent" | "wake" } | { kind: "mapping"; name: string; mapping: HookMapping };

/** A request as the service reads it: the raw body is what a signature covers. */
export interface HookRequest {
  headers: Headers;
  query: URLSearchParams;
  raw: Buffer;
}

/** A refusal of auth; `counted` when it was a wrong secret (the failure limiter counts those, not missing ones). */
export type AuthVerdict = { ok: true } | { ok: false; error: OnebrainError; counted: boolean };

export interface HookServiceOptions {
  store: StoreHandle;
  /** The running brain: where answers may go, and the nudge that starts a run. */
  brain: { kick(): void; channelAccounts(): ReadonlyArray<{ id: string; account: string }> };
  config: () => Readonly<HooksConfig>;
  /** The configured agents (the default one first) and the default's id; default: the one agent "main". */
  agents?: () => PlanContext["agents"];
  stateDir: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

const TOKEN_HINT = "Send the hook token as `Authorization: Bearer obh_...` or `X-Onebrain-Hook-Token`; the gateway's own token does not open hooks.";

/** The running gateway's webhooks: one per brain, made with the brain (server/brain-runtime.ts). */
export class HookService {
  readonly tokens: HookTokens;
  private readonly o: HookServiceOptions;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;

  constructor(o: HookServiceOptions) {
    this.o = o;
    this.env = o.env ?? process.env;
    this.now = o.now ?? Date.now;
    this.tokens = new HookTokens(o.stateDir, this.env);
  }

  /** The hook a path segment names, or null. */
  target(name: string): HookTarget | null {
    if (name === "agent" || name === "wake") return { kind: name, name };
    const mapping = Object.hasOwn(this.o.config().mappings, name) ? this.o.config().mappings[name] : undefined;
    return mapping ? { kind: "mapping", name, mapping } : null;
  }

  /**
   * The token half of auth, checked before the body is read (`target` null: `GET /hooks/runs/ID`,
   * which takes the token). A signature-only mapping needs no token.
   */
  authorizeToken(target: HookTarget | null, headers: Headers): AuthVerdict {
    if (target?.kind === "mapping" && mappingAuth(target.mapping) === "signature") return { ok: true };
    const state = this.tokens.state();
    if (state.source === null)
      return {
        ok: false,
        counted: false,
        error: new OnebrainError("HOOK_UNAVAILABLE", `No hook token: run onebrain hooks token${state.problem ? ` (${state.problem})` : ""}`, {
          hint: "`onebrain hooks token` makes one and prints it once; the gateway uses it at once.",
        }),
      };
    const presented = presentedToken(headers);
    if (presented === undefined)
      return { ok: false, counted: false, error: new OnebrainError("HOOK_UNAUTHORIZED", "This hook requires the hook token", { hint: TOKEN_HINT }) };
    if (!this.tokens.matches(presented))
      return { ok: false, counted: true, error: new OnebrainError("HOOK_UNAUTHORIZED", "Wrong hook token", { hint: TOKEN_HINT }) };
    return { ok: true };
  }

  /** The signature half of auth, over the exact bytes of the body (mappings with auth signature or both). */
  authorizeSignature(target: HookTarget, req: HookRequest): AuthVerdict {
    if (target.kind !== "mapping" || mappingAuth(target.mapping) === "token") return { ok: true };
    const m = target.mapping;
    const secret = mappingSecret(m, this.env);
    if (secret === undefined)
      return {
        ok: false,
        counted: false,
        error: new OnebrainError(
          "HOOK_UNAVAILABLE",
          `The signature secret of hooks.mappings.${target.name} is not set: ${m.secretEnv} is not in the gateway's environment`,
          {
            hint: `Set ${m.secretEnv} for the gateway and restart it, or set hooks.mappings.${target.name}.secret.`,
          },
        ),
      };
    const header = req.headers[m.signatureHeader.toLowerCase()];
    const verdict = signatureVerdict(req.raw, Array.isArray(header) ? header[0] : header, secret);
    if (verdict === "ok") return { ok: true };
    const why = verdict === "missing" ? `has no ${m.signatureHeader} header` : `has a wrong ${m.signatureHeader} signature`;
    return {
      ok: false,
      counted: verdict === "wrong",
      error: new OnebrainError("HOOK_UNAUTHORIZED", `The request ${why}`, {
        hint: `Sign the exact body: ${m.signatureHeader}: sha256=<hex HMAC-SHA256 with the mapping's secret>.`,
      }),
    };
  }

  /** True when this hook's body must be JSON (the built-in endpoints; a mapping takes any type). */
  wantsJson(target: HookTarget): boolean {
    return target.kind !== "mapping";
  }

  private plan(target: HookTarget, req: HookRequest, contentType: string | undefined): PlannedMessage {
    const ctx: PlanContext = {
      agents: this.o.agents?.() ?? { ids: ["main"], defaultId: "main" },
      channels: this.o.brain.channelAccounts(),
      sessionExists: (key) => this.o.store.prepare("SELECT 1 FROM sessions WHERE session_key = ? LIMIT 1").get(key) !== undefined,
    };
    const body = parseBody(req.raw, contentType);
    if (target.kind !== "mapping") return target.kind === "agent" ? planAgent(body, ctx) : planWake(body, ctx);
    const query = Object.fromEntries(req.query);
    return planMapping(target.name, target.mapping, { body, headers: req.headers, query }, ctx);
  }

  /**
   * Takes a delivery: a replay of its key answers the first delivery's id; otherwise the message
   * and the delivery are written together and a run is started. Throws HOOK_INVALID (nothing
   * written) when the request cannot be taken; the caller answers only once `durable` resolves.
   */
  accept(target: HookTarget, req: HookRequest, contentType?: string): { value: { runId: string; duplicate: boolean }; durable: Promise<void> } {
    const { store } = this.o;
    const m = target.kind === "mapping" ? target.mapping : null;
    const key = idempotencyKey(req.headers, m?.idempotencyHeader ? [m.idempotencyHeader] : this.o.config().idempotencyHeaders);
    const now = this.now();
    // One synchronous write: the key's lookup and the insert cannot be split by another request.
    const { value, durable } = store.grouped((): { runId: string; duplicate: boolean } | { error: unknown } => {
      const first = key ? findByKey(store, sentKey(target.name, key.key)) : null;
      if (first) return { runId: first.id, duplicate: true };
      let message: PlannedMessage;
      try {
        message = this.plan(target, req, contentType);
      } catch (error) {
        return { error };
      }
      const id = newDeliveryId();
      recordDelivery(store, { id, hook: target.name, key: key?.key ?? null, message, now });
      return { runId: id, duplicate: false };
    });
    if ("error" in value) {
      // Nothing was written; the group's fate is someone else's concern.
      durable.catch(() => {});
      throw value.error;
    }
    // Claimed runs join the same group and wait for it before the model is called.
    if (!value.duplicate) this.o.brain.kick();
    return { value, durable };
  }

  /** A delivery and what became of it (HOOK_NOT_FOUND when there is none). */
  run(id: string): DeliveryView {
    const view = /^hk_[a-z2-7]{16}$/.test(id) ? deliveryView(this.o.store, id) : null;
    if (!view)
      throw new OnebrainError("HOOK_NOT_FOUND", `No webhook delivery ${JSON.stringify(id.slice(0, 40))} in this brain`, {
        hint: "Run ids are the runId a hook answered (hk_...).",
      });
    return view;
  }

  /** The hooks' status: token state, mappings, recent deliveries. */
  status(recent = 10): HooksStatus {
    const defaultAgent = this.o.agents?.().defaultId;
    return hooksStatus({
      config: this.o.config(),
      token: this.tokens.state(),
      store: this.o.store,
      env: this.env,
      recent,
      ...(defaultAgent ? { defaultAgent } : {}),
    });
  }
}
