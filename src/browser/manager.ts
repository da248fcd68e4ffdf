/**
 * The browsers of one brain: which profiles there are, which run, and their lifecycle. A browser
 * launches lazily (an explicit start, or the first tab opened), is recorded in the brain the
 * moment it is spawned, and dies with its gateway (see launch.ts). At start the manager reaps
 * what an earlier gateway of this brain left; it never kills a process it did not record.
 */
import fs from "node:fs";
import type { Logger } from "pino";
import { defaultProcFs, isAlive, type ProcFs } from "../proc/process.ts";
import { OnebrainError } from "../shared/errors.ts";
import type { StoreHandle } from "../store/handle.ts";
import { displayCdpUrl, resolveCdpEndpoint } from "./cdp.ts";
import { decideHeadless, decideNoSandbox, findExecutable, launchArgs, type Decided, type ExecutableChoice } from "./executable.ts";
import { chooseCdpPort, portHolders } from "./holders.ts";
import { launchBrowser, type LaunchedBrowser } from "./launch.ts";
import { pickProfile, resolveProfiles, type BrowserConfig, type BrowserProfile } from "./profiles.ts";
import { forgetBrowser, recordBrowser, reapLeftBrowsers, type BrowserReap } from "./records.ts";
import { BrowserSession } from "./session.ts";
import { clearStaleSingleton } from "./singleton.ts";

/** What the manager is given. */
export interface BrowserManagerOptions {
  store: StoreHandle;
  epoch: number;
  config: () => Readonly<BrowserConfig>;
  cdpRange: { first: number; last: number };
  stateDir: string;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  procFs?: ProcFs;
}

/** One profile as `browser status` shows it. */
export interface ProfileStatus {
  profile: string;
  kind: BrowserProfile["kind"];
  running: boolean;
  pid: number | null;
  cdpPort: number | null;
  cdpUrl: string | null;
  userDataDir: string | null;
  headless: Decided | null;
  color: string | null;
  startedAt: string | null;
  browser: string | null;
}

/** The whole service as `browser status` shows it. */
export interface BrowserStatus {
  enabled: boolean;
  why: string;
  executable: string | null;
  sandbox: Decided;
  profiles: ProfileStatus[];
}

interface Running {
  session: BrowserSession;
  launched: LaunchedBrowser | null;
  cdpPort: number | null;
  startedAt: number;
  version: string | null;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The browser control service's domain: profiles, launches, sessions. */
export class BrowserManager {
  private readonly live = new Map<string, Running>();
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly procFs: ProcFs;
  private executable: ExecutableChoice | null = null;
  private closed = false;
  private readonly o: BrowserManagerOptions;

  constructor(o: BrowserManagerOptions) {
    this.o = o;
    this.procFs = o.procFs ?? defaultProcFs;
  }

  /** Reaps the browsers earlier gateways of this brain left (they died without stopping them); waits until they are gone. */
  async init(): Promise<BrowserReap[]> {
    const reaped = reapLeftBrowsers(this.o.store, this.o.epoch, this.procFs);
    const killed = reaped.filter((r) => r.outcome === "killed");
    if (killed.length) this.o.logger.warn({ reaped }, "killed browsers that a dead gateway of this brain left running");
    for (let i = 0; i < 40 && killed.some((r) => isAlive(r.pid, this.procFs)); i++) await wait(50);
    return reaped;
  }

  private findExecutable(): ExecutableChoice {
    this.executable ??= findExecutable(this.o.config().executablePath, this.o.env);
    return this.executable;
  }

  /** Whether the service is on, and why. */
  enabled(): { enabled: boolean; why: string } {
    const c = this.o.config();
    if (c.enabled === false) return { enabled: false, why: "browser.enabled is false" };
    const exe = this.findExecutable();
    const anyRemote = this.profiles().some((p) => p.kind === "remote");
    if (exe.path === null && !anyRemote) return { enabled: false, why: `no browser executable: ${exe.why}` };
    return { enabled: true, why: c.enabled === true ? "browser.enabled is true" : exe.path ? `found ${exe.path}` : "remote profiles only" };
  }

  /** The profiles whose browser runs (or is attached), for the gateway's status. */
  running(): Array<{ profile: string; pid: number | null; cdpPort: number | null }> {
    return [...this.live.entries()]
      .filter(([, r]) => r.session.connected() && !(r.launched?.hasExited() ?? false))
      .map(([profile, r]) => ({ profile, pid: r.launched?.pid ?? null, cdpPort: r.cdpPort }));
  }

  /** How many tabs one profile may hold (browser.maxTabs). */
  maxTabs(): number {
    return this.o.config().maxTabs;
  }

  /** Every profile of the config in force. */
  profiles(): BrowserProfile[] {
    return resolveProfiles(this.o.config(), this.o.cdpRange, this.o.stateDir);
  }

  private profile(name: string | null | undefined): BrowserProfile {
    const on = this.enabled();
    if (!on.enabled)
      throw new OnebrainError("BROWSER_DISABLED", `The browser control service is off: ${on.why}`, { hint: "install chromium, or set browser.executablePath" });
    return pickProfile(this.profiles(), name);
  }

  /** The service and each profile, from memory (no browser is asked anything). */
  status(name?: string | null): BrowserStatus {
    const on = this.enabled();
    const exe = this.findExecutable();
    const profiles = name ? [pickProfile(this.profiles(), name)] : this.profiles();
    return {
      ...on,
      executable: exe.path,
      sandbox: decideNoSandbox(this.o.config().noSandbox),
      profiles: profiles.map((p) => this.profileStatus(p)),
    };
  }

  private profileStatus(p: BrowserProfile): ProfileStatus {
    const r = this.live.get(p.name);
    const live = r !== undefined && r.session.connected() && !(r.launched?.hasExited() ?? false);
    return {
      profile: p.name,
      kind: p.kind,
      running: live,
      pid: live ? (r.launched?.pid ?? null) : null,
      cdpPort: live ? r.cdpPort : p.cdpPort,
      cdpUrl: p.cdpUrl === null ? null : displayCdpUrl(p.cdpUrl),
      userDataDir: p.userDataDir,
      headless: p.kind === "remote" ? null : decideHeadless(p.headless ?? this.o.config().headless, this.o.env),
      color: p.color,
      startedAt: live ? new Date(r.startedAt).toISOString() : null,
      browser: live ? r.version : null,
    };
  }

  /** One operation per profile at a time (start and stop must not interleave). */
  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.busy.get(name) ?? Promise.resolve();
    const next = before.then(fn, fn);
    const settled = next.catch(() => {});
    this.busy.set(name, settled);
    void settled.then(() => {
      if (this.busy.get(name) === settled) this.busy.delete(name);
    });
    return next;
  }

  /** Starts (or attaches to) a profile's browser; resolves with its status. Starting a running one is a no-op. */
  async start(name?: string | null): Promise<ProfileStatus> {
    const p = this.profile(name);
    await this.serial(p.name, () => this.ensure(p));
    return this.profileStatus(p);
  }

  private async ensure(p: BrowserProfile): Promise<Running> {
    if (this.closed) throw new OnebrainError("BROWSER_NOT_RUNNING", "The gateway is stopping: no browser starts now");
    const r = this.live.get(p.name);
    if (r && r.session.connected() && !(r.launched?.hasExited() ?? false)) return r;
    if (r) await this.drop(p.name, r, "its connection was lost");
    const next = p.kind === "remote" ? await this.attach(p) : await this.launch(p);
    this.live.set(p.name, next);
    next.session.onDisconnected(() => {
      if (this.live.get(p.name) === next) void this.serial(p.name, () => this.drop(p.name, next, "the browser went away"));
    });
    return next;
  }

  private async attach(p: BrowserProfile): Promise<Running> {
    const timeout = this.o.config().startTimeoutMs;
    let endpoint: string;
    let version: string | null;
    try {
      const r = await resolveCdpEndpoint(p.cdpUrl!, timeout);
      endpoint = r.wsEndpoint;
      version = r.version?.browser ?? null;
    } catch (err) {
      throw new OnebrainError("BROWSER_CDP_UNREACHABLE", `Profile ${p.name}'s cdpUrl ${displayCdpUrl(p.cdpUrl!)} did not answer: ${(err as Error).message}`, {
        hint: "start that browser with --remote-debugging-port, or fix browser.profiles." + p.name + ".cdpUrl",
      });
    }
    const session = await BrowserSession.connect(endpoint, timeout);
    this.o.logger.info({ profile: p.name, cdpUrl: displayCdpUrl(p.cdpUrl!) }, "attached to a remote browser");
    return { session, launched: null, cdpPort: null, startedAt: Date.now(), version };
  }

  private async launch(p: BrowserProfile): Promise<Running> {
    const exe = this.findExecutable();
    if (exe.path === null)
      throw new OnebrainError("BROWSER_DISABLED", `Cannot launch profile ${p.name}: ${exe.why}`, { hint: "install chromium, or set browser.executablePath" });
    const c = this.o.config();
    const inUse = new Set([...this.live.values()].flatMap((r) => (r.cdpPort === null ? [] : [r.cdpPort])));
    const { port, skipped } = chooseCdpPort(p, this.o.cdpRange, inUse, (ports) => portHolders(ports, this.procFs));
    if (skipped.length) this.o.logger.warn({ profile: p.name, skipped: skipped.map((s) => s.who) }, "skipped CDP ports held by other processes (never killed)");
    const dir = p.userDataDir!;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = clearStaleSingleton(dir, { procFs: this.procFs });
    if (lock.state === "held")
      throw new OnebrainError("BROWSER_START_FAILED", `Cannot start profile ${p.name}: ${lock.why}`, { hint: "stop that browser first" });
    if (lock.state === "cleared") this.o.logger.info({ profile: p.name, deadPid: lock.pid }, "cleared the profile lock a dead browser left");
    const headless = decideHeadless(p.headless ?? c.headless, this.o.env);
    const noSandbox = decideNoSandbox(c.noSandbox, { env: this.o.env });
    const started = Date.now();
    const launched = await launchBrowser({
      executable: exe.path,
      args: launchArgs({ cdpPort: port, userDataDir: dir, headless: headless.value, noSandbox: noSandbox.value }),
      cdpPort: port,
      env: this.o.env,
      timeoutMs: c.startTimeoutMs,
      onSpawn: (g) =>
        recordBrowser(this.o.store, { profile: p.name, ...g, cdpPort: port, userDataDir: dir, executable: exe.path!, epoch: this.o.epoch, startedAt: started }),
    });
    try {
      // The answer on the port must be our own browser's: had another process taken the port
      // first, Chromium would run without DevTools and we would be talking to a stranger.
      const holder = portHolders([port], this.procFs).get(port);
      if (holder && holder.pid !== null && holder.pid !== launched.pid) {
        throw new OnebrainError("BROWSER_PORT_CONFLICT", `CDP port ${port} is answered by ${holder.who}, not by the browser just launched`);
      }
      const session = await BrowserSession.connect(launched.version.webSocketDebuggerUrl, c.startTimeoutMs);
      void launched.exited.then((exit) => {
        forgetBrowser(this.o.store, p.name, launched.pid);
        const r = this.live.get(p.name);
        if (r?.launched === launched && !this.closed) {
          this.live.delete(p.name);
          this.o.logger.warn({ profile: p.name, pid: launched.pid, ...exit }, "the browser exited on its own");
        }
      });
      this.o.logger.info(
        { profile: p.name, pid: launched.pid, cdpPort: port, headless: headless.value, noSandbox: noSandbox.value, ms: Date.now() - started },
        "browser started",
      );
      return { session, launched, cdpPort: port, startedAt: started, version: launched.version.browser };
    } catch (err) {
      await launched.kill(500);
      forgetBrowser(this.o.store, p.name, launched.pid);
      throw err;
    }
  }

  private async drop(name: string, r: Running, why: string): Promise<void> {
    if (this.live.get(name) === r) this.live.delete(name);
    if (r.launched) {
      await r.session.closeBrowser();
      await r.launched.kill(2000);
      forgetBrowser(this.o.store, name, r.launched.pid);
    } else {
      await r.session.disconnect();
    }
    this.o.logger.info({ profile: name, why }, r.launched ? "browser stopped" : "detached from the remote browser");
  }

  /** Stops a profile's browser (a remote one is only detached); stopping a stopped one is a no-op. */
  async stop(name?: string | null): Promise<ProfileStatus> {
    const p = this.profile(name);
    await this.serial(p.name, async () => {
      const r = this.live.get(p.name);
      if (r) await this.drop(p.name, r, "stop requested");
    });
    return this.profileStatus(p);
  }

  /** Stops every browser; for the gateway's stop. No browser starts afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live.entries()].map(([name, r]) => this.serial(name, () => this.drop(name, r, "the gateway is stopping"))));
  }

  /** Runs `fn` with the profile's session; `autoStart` launches the browser first when it is not running. */
  async use<T>(name: string | null | undefined, autoStart: boolean, fn: (s: BrowserSession) => Promise<T>): Promise<T> {
    const p = this.profile(name);
    let r = this.live.get(p.name);
    if (!r || !r.session.connected()) {
      if (!autoStart)
        throw new OnebrainError("BROWSER_NOT_RUNNING", `The browser of profile ${p.name} is not running`, {
          hint: `onebrain browser start --profile ${p.name}`,
        });
      r = await this.serial(p.name, () => this.ensure(p));
    }
    return fn(r.session);
  }
}
