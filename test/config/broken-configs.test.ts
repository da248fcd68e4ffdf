/**
 * Many broken configs, one table: each error names the key path and what was expected (never
 * zod's bare "Invalid input"), and what was found.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/shared/errors.ts";

/** [config, key path named, what the message must say is expected]. */
const BROKEN: Array<[unknown, string, string]> = [
  [{ gateway: { port: "abc" } }, "gateway.port", "expected an integer 1-65535"],
  [{ gateway: { port: 0 } }, "gateway.port", "expected an integer 1-65535"],
  [{ gateway: { port: 70000 } }, "gateway.port", "expected an integer 1-65535"],
  [{ gateway: { port: 1.5 } }, "gateway.port", "expected an integer 1-65535"],
  [{ gateway: { port: null } }, "gateway.port", "expected an integer 1-65535"],
  [{ gateway: { bind: "wan" } }, "gateway.bind", "expected one of loopback, lan, tailnet, custom"],
  [{ gateway: { bind: 1 } }, "gateway.bind", "expected one of loopback, lan, tailnet, custom"],
  [{ gateway: { auth: "hunter2" } }, "gateway.auth", 'expected an object such as { token: "…" } or { password: "…" }'],
  [{ gateway: { auth: [] } }, "gateway.auth", 'expected an object such as { token: "…" } or { password: "…" }'],
  [{ gateway: { auth: null } }, "gateway.auth", 'expected an object such as { token: "…" } or { password: "…" }'],
  [{ gateway: { auth: { mode: "basic" } } }, "gateway.auth.mode", "expected one of none, token, password"],
  [{ gateway: { auth: { token: "" } } }, "gateway.auth.token", "expected a non-empty string"],
  [{ gateway: { auth: { password: 1234 } } }, "gateway.auth.password", "expected a string"],
  [{ gateway: { customBindHost: 5 } }, "gateway.customBindHost", "expected a string"],
  [{ gateway: { trustedProxies: "10.0.0.0/8" } }, "gateway.trustedProxies", "expected a list of IP addresses or CIDRs"],
  [{ gateway: { trustedProxies: ["nope"] } }, "gateway.trustedProxies.0", "expected an IP address or CIDR"],
  [{ gateway: { allowedOrigins: [1] } }, "gateway.allowedOrigins.0", "expected a string"],
  [{ gateway: { ws: "fast" } }, "gateway.ws", "expected an object with keys pingIntervalMs"],
  [{ gateway: { ws: { pingIntervalMs: 5 } } }, "gateway.ws.pingIntervalMs", "expected an integer 100-600000"],
  [{ gateway: { shutdownGraceMs: -1 } }, "gateway.shutdownGraceMs", "expected an integer 0-300000"],
  [{ gateway: { authFailuresPerMinute: "ten" } }, "gateway.authFailuresPerMinute", "expected an integer 1-10000"],
  [{ gateway: "lan" }, "gateway", "expected an object with keys bind, customBindHost, port, auth"],
  [null, "(root)", "expected an object with keys $schema, gateway"],
  [[], "(root)", "expected an object with keys $schema, gateway"],
  ["gateway", "(root)", "expected an object with keys $schema, gateway"],
  [5, "(root)", "expected an object with keys $schema, gateway"],
  [{ $schema: 5 }, "$schema", "expected a string"],
  [{ session: { dmScope: "everyone" } }, "session.dmScope", "expected one of main, per-peer, per-channel-peer"],
  [{ session: { historyLimit: "50" } }, "session.historyLimit", "expected an integer 0-10000"],
  [{ session: { reset: { mode: "weekly" } } }, "session.reset.mode", "expected one of daily, idle"],
  [{ session: { reset: { atHour: 24 } } }, "session.reset.atHour", "expected an integer 0-23"],
  [{ session: { reset: true } }, "session.reset", "expected an object with keys mode, atHour, idleMinutes"],
  [{ reply: { timeoutSeconds: 0 } }, "reply.timeoutSeconds", "expected an integer 1-3600"],
  [{ reply: 120 }, "reply", "expected an object with keys timeoutSeconds"],
  [{ logging: { level: "verbose" } }, "logging.level", "expected one of fatal, error, warn, info, debug, trace, silent"],
  [{ logging: { consoleStyle: "fancy" } }, "logging.consoleStyle", "expected one of pretty, compact, json"],
  [{ logging: { file: "" } }, "logging.file", "expected a non-empty string"],
  [{ logging: { maxFiles: 0 } }, "logging.maxFiles", "expected an integer 1-100"],
  [{ agents: { defaults: { workspace: 5 } } }, "agents.defaults.workspace", "expected a string"],
  [{ agents: { defaults: { maxConcurrentRuns: 0 } } }, "agents.defaults.maxConcurrentRuns", "expected an integer 1-64"],
  [{ agents: [] }, "agents", "expected an object with keys defaults"],
  [{ browser: { controlPort: "x" } }, "browser.controlPort", "expected an integer 1-65535"],
  [{ browser: { profiles: [] } }, "browser.profiles", "expected an object of browser profiles"],
  [{ browser: { profiles: { work: { cdpPort: "x" } } } }, "browser.profiles.work.cdpPort", "expected an integer 1-65535"],
  [{ browser: { profiles: { work: "blue" } } }, "browser.profiles.work", "expected an object with keys cdpPort, cdpUrl, color, headless"],
  [{ browser: { profiles: { far: { cdpUrl: "http://10.0.0.5" } } } }, "browser.profiles.far.cdpUrl", "expected an explicit port"],
  [{ browser: { cdpUrl: 9222 } }, "browser.cdpUrl", "expected a string"],
  [
    { browser: { profiles: { both: { cdpPort: 9222, cdpUrl: "ws://h:9222/x" } } } },
    "browser.profiles.both",
    "expected cdpPort (a browser onebrain launches) or cdpUrl (a browser it attaches to), not both",
  ],
  [{ browser: { headless: "yes" } }, "browser.headless", "expected true or false"],
  [{ canvasHost: { port: 0 } }, "canvasHost.port", "expected an integer 1-65535"],
  [{ models: { primary: "claude" } }, "models.primary", 'expected "provider/model"'],
  [{ models: { fallbacks: "openai/gpt-4.1" } }, "models.fallbacks", 'expected a list of "provider/model" strings'],
  [{ models: { maxTokens: 0 } }, "models.maxTokens", "expected an integer 1-1000000"],
  [{ models: { providers: [] } }, "models.providers", "expected an object of model providers"],
  [{ models: { providers: { x: { kind: "grpc" } } } }, "models.providers.x.kind", "expected one of anthropic, openai"],
  [{ models: { providers: { x: { baseUrl: "ftp://x" } } } }, "models.providers.x.baseUrl", "expected an http(s) URL"],
  [{ models: { providers: { x: { apiKeyEnv: "1BAD" } } } }, "models.providers.x.apiKeyEnv", "expected an environment variable name"],
  [{ channels: { telegram: { enabled: "yes" } } }, "channels.telegram.enabled", "expected true or false"],
  [{ channels: { telegram: { apiRoot: "nope" } } }, "channels.telegram.apiRoot", "expected an http(s) URL"],
  [{ channels: { telegram: { dmPolicy: "closed" } } }, "channels.telegram.dmPolicy", "expected one of pairing, allowlist, open"],
  [{ channels: { telegram: { pollTimeoutSeconds: 60 } } }, "channels.telegram.pollTimeoutSeconds", "expected an integer 1-50"],
  [{ channels: { telegram: { textChunkLimit: 5000 } } }, "channels.telegram.textChunkLimit", "expected an integer 100-4096"],
  [{ channels: { telegram: { groups: { requireMention: 1 } } } }, "channels.telegram.groups.requireMention", "expected true or false"],
  [{ channels: { telegram: { allowFrom: "@ada" } } }, "channels.telegram.allowFrom", "expected a list of strings"],
  [{ channels: "telegram" }, "channels", "expected an object with keys telegram"],
  [{ channels: { irc: {} } }, "channels.irc", "unknown key (valid keys here: telegram, discord, slack, whatsapp)"],
  [{ gateway: { prot: 1 } }, "gateway.prot", 'unknown key (did you mean "gateway.port"?)'],
];

test(`${BROKEN.length} broken configs: each error names the key path and what was expected, never "Invalid input"`, () => {
  assert.ok(BROKEN.length >= 56);
  for (const [raw, keyPath, expected] of BROKEN) {
    let err: unknown;
    try {
      validateConfig(raw, "onebrain.json");
    } catch (e) {
      err = e;
    }
    const what = JSON.stringify(raw);
    assert.ok(err instanceof ConfigError, `${what} was accepted`);
    assert.equal(err.code, "CONFIG_INVALID", what);
    const problems = err.details.problems as Array<{ path: string; message: string }>;
    const mine = problems.find((p) => p.path === keyPath);
    assert.ok(mine, `${what}: no problem at ${keyPath}: ${JSON.stringify(problems)}`);
    assert.ok(mine.message.startsWith(expected), `${what}: ${keyPath}: ${mine.message}`);
    assert.ok(err.message.includes(`${keyPath}: ${expected}`), err.message);
    for (const p of problems) {
      assert.doesNotMatch(p.message, /Invalid input/, `${what}: ${p.path}: ${p.message}`);
      assert.match(p.message, /^(expected .+, got .+|unknown key \(.+\))$/, `${what}: ${p.path}: ${p.message}`);
    }
  }
});
