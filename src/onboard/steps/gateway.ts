/**
 * Step 4: who may connect (bind mode) and how they prove it (auth). Anything but loopback needs
 * auth, so a lan or tailnet bind always gets a token; loopback may go without one.
 */
import crypto from "node:crypto";
import { setConfigValue } from "../../config/edit.ts";
import { loadConfig } from "../../config/load.ts";
import { portPlan } from "../../paths/ports.ts";
import { tailnetAddress } from "../../server/bind.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { maskSecret } from "../../shared/redact.ts";
import { checkFlagChoice, flagError } from "../prompt.ts";
import type { OnboardStep } from "../step.ts";

const BINDS = ["loopback", "lan", "tailnet"] as const;
type Bind = (typeof BINDS)[number];
type Auth = "token" | "none" | "password";

/** What the gateway step configured. */
export interface GatewayResult {
  bind: Bind;
  auth: Auth;
  /** Masked; null without token auth. */
  token: string | null;
  port: number;
  /** Where the console and the WebSocket answer on this machine. */
  url: string;
}

/** Asks for the bind mode and auth, generating a token when one is needed and missing. */
export const gatewayStep: OnboardStep = {
  id: "gateway",
  title: "Network and auth",
  checkFlags(f) {
    if (f.bind !== undefined) checkFlagChoice("--bind", f.bind, BINDS);
    if (f.auth !== undefined) checkFlagChoice("--auth", f.auth, ["token", "none"]);
    if (f.auth === "none" && f.bind !== undefined && f.bind !== "loopback") {
      throw flagError(`Cannot use --auth none with --bind ${f.bind}: anything but loopback needs auth`, "--auth");
    }
  },
  async run(ctx): Promise<GatewayResult> {
    const p = ctx.prompt;
    const file = ctx.paths.configPath;
    const { config } = loadConfig(file);
    const current = config.gateway.bind === "custom" ? "loopback" : config.gateway.bind;
    const bind = await p.choose<Bind>({
      question: "Who may connect to the gateway?",
      flag: "--bind",
      preset: ctx.flags.bind as Bind | undefined,
      default: current,
      choices: [
        { value: "loopback", label: "This machine only (loopback; recommended, use a reverse proxy or SSH tunnel for more)" },
        { value: "lan", label: "The local network (0.0.0.0; a token is required)" },
        { value: "tailnet", label: "My tailnet (Tailscale 100.x address; a token is required)" },
      ],
    });
    if (bind === "tailnet" && !tailnetAddress()) {
      p.say("Note: this host has no tailnet (100.64.0.0/10) address right now; the gateway will refuse to start until it has one.");
    }

    const configured = config.gateway.auth;
    let auth: Auth;
    if (configured.mode === "password" && configured.password && ctx.flags.auth === undefined) {
      auth = "password"; // an operator's own choice; nothing to ask
      p.say("Auth: password (as configured).");
    } else if (bind === "loopback") {
      auth = await p.choose<"token" | "none">({
        question: "Should clients on this machine present the token?",
        flag: "--auth",
        preset: ctx.flags.auth as "token" | "none" | undefined,
        default: configured.mode === "none" ? "none" : "token",
        choices: [
          { value: "token", label: "Yes: a generated token (recommended)" },
          { value: "none", label: "No: any local process may connect" },
        ],
      });
    } else {
      if (ctx.flags.auth === "none") {
        throw new OnebrainError("USAGE", `Cannot use --auth none with --bind ${bind}: anything but loopback needs auth`, {
          hint: "Use --auth token (the default), or --bind loopback.",
        });
      }
      auth = "token";
    }

    let token = configured.token;
    if (auth === "token" && !token) {
      token = crypto.randomBytes(32).toString("base64url");
      setConfigValue(file, "gateway.auth.token", token);
      p.say("Generated a new token.");
    }
    if (configured.mode !== auth) setConfigValue(file, "gateway.auth.mode", auth);
    if (config.gateway.bind !== bind) setConfigValue(file, "gateway.bind", bind);

    const port = portPlan({ env: ctx.env, configPort: config.gateway.port, profile: ctx.paths.profile }).base;
    const url = `http://127.0.0.1:${port}/`;
    const shown = auth === "token" ? maskSecret(token) : null;
    p.say(`Bind: ${bind}; auth: ${auth}${shown ? ` (token ${shown}; \`onebrain config get gateway.auth.token --reveal\` shows it)` : ""}.`);
    return { bind, auth, token: shown, port, url };
  },
};
