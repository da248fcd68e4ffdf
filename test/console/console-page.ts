/**
 * The operator console as the browser tests see it: only the element contract of docs/console.md
 * (`data-testid` and its attributes), so the tests survive any change of layout or styling.
 * Every wait is on a condition with a generous deadline (the CI machine is a loaded 2-core box).
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { screenshot, watchWebSockets, type WebSocketLog } from "../helpers/browser.ts";

/** A deadline for conditions that depend on processes starting or reconnect backoff. */
export const SLOW = 45_000;

/** The banner states of docs/console.md. */
export type BannerState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "sign-in"
  | "auth-failed"
  | "replaced"
  | "proxy-no-upgrade"
  | "unreachable"
  | "proxy-error"
  | "refused";
/** The console's pages, as in the `nav-*` test ids. */
export type ConsolePageName = "chat" | "approvals" | "sessions" | "brain" | "health" | "channels" | "canvas" | "cron" | "logs";
/** Every page, in navigation order. */
export const PAGES: readonly ConsolePageName[] = ["chat", "approvals", "sessions", "brain", "health", "channels", "canvas", "cron", "logs"];

export interface Console {
  context: BrowserContext;
  page: Page;
  /** Every WebSocket attempt this tab made. */
  sockets: WebSocketLog;
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** Uncaught exceptions and console errors (failed sockets included), for failure messages. */
  problems: string[];
  /** Full document loads after the first (a reload counts, in-app navigation does not). */
  navigations(): number;
  close(): Promise<void>;
}

/** Opens the console at `url` in a fresh context (empty localStorage: no stored token). */
export async function openConsole(browser: Browser, url: string): Promise<Console> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(SLOW);
  const sockets = watchWebSockets(page);
  const errors: string[] = [];
  const problems: string[] = [];
  page.on("pageerror", (err) => (errors.push(err.message), problems.push(`pageerror: ${err.message}`)));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console.error: ${msg.text()}`);
  });
  // "load" fires only for a full document load: route changes inside the app do not count.
  let loads = 0;
  page.on("load", () => loads++);
  await page.goto(url, { waitUntil: "load" });
  return { context, page, sockets, errors, problems, navigations: () => loads - 1, close: () => context.close() };
}

/** The elements with one `data-testid`. */
export const byTestId = (page: Page, id: string): Locator => page.locator(`[data-testid="${id}"]`);

/** The banner's `data-state` and text now. */
export async function banner(page: Page): Promise<{ state: string | null; text: string }> {
  const b = byTestId(page, "banner");
  if ((await b.count()) === 0) return { state: null, text: "(no banner)" };
  return { state: await b.first().getAttribute("data-state"), text: (await b.first().innerText()).trim() };
}

/** Waits until the banner is in one of `states`; returns the state it reached. */
export async function waitBanner(c: Console | Page, states: BannerState | BannerState[], timeoutMs = SLOW): Promise<BannerState> {
  const page = "page" in c ? c.page : c;
  const list = Array.isArray(states) ? states : [states];
  const selector = `[data-testid="banner"]:is(${list.map((s) => `[data-state="${s}"]`).join(",")})`;
  try {
    await page.locator(selector).first().waitFor({ state: "attached", timeout: timeoutMs });
  } catch {
    const now = await banner(page);
    const extra = "problems" in c && c.problems.length ? `\npage problems:\n${c.problems.join("\n")}` : "";
    throw new Error(`the banner did not reach ${list.join(" or ")} within ${timeoutMs} ms: it is ${now.state} ("${now.text}")${extra}`);
  }
  return (await banner(page)).state as BannerState;
}

/** Types a token (or password) into the console's form and submits it. */
export async function signIn(page: Page, secret: string): Promise<void> {
  await byTestId(page, "token-input").fill(secret);
  await byTestId(page, "token-submit").click();
}

/** Goes to a page through the navigation and waits until it is the current one. */
export async function goTo(page: Page, name: ConsolePageName): Promise<void> {
  await byTestId(page, `nav-${name}`).click();
  await page.locator(`[data-testid="nav-${name}"][aria-current="page"]`).waitFor({ state: "attached" });
}

/** Sends a chat message from the composer. */
export async function sendChat(page: Page, text: string): Promise<void> {
  await byTestId(page, "chat-input").fill(text);
  await byTestId(page, "chat-send").click();
}

/** The chat messages of one role that contain `text`. */
export function chatMessages(page: Page, role: "user" | "assistant" | "notice" | "error", text?: string): Locator {
  const all = page.locator(`[data-testid="chat-message"][data-role="${role}"]`);
  return text === undefined ? all : all.filter({ hasText: text });
}

/** What each page always shows once its data arrived (pages not listed may legitimately be empty). */
const LOADED: Partial<Record<ConsolePageName, string>> = { brain: "brain-field", health: "health-ready", logs: "log-line" };

/** Visits every page, waits for its data, and keeps a screenshot of each as `<prefix>-<page>.png`. */
export async function screenshotEveryPage(page: Page, prefix: string): Promise<void> {
  for (const name of PAGES) {
    await goTo(page, name);
    const loaded = LOADED[name];
    if (loaded) await byTestId(page, loaded).first().waitFor({ state: "visible" });
    await screenshot(page, `${prefix}-${name}`);
  }
}

/**
 * Starts recording every banner state and text the page shows, in the page itself (a
 * MutationObserver), so a state that lasts a moment is never missed by polling.
 */
export async function recordBanner(page: Page): Promise<void> {
  await page.evaluate(() => {
    // The test tsconfig has no DOM types: the page's globals are reached untyped.
    const w = globalThis as any;
    if (w.__onebrainBannerLog) return;
    const log: string[] = (w.__onebrainBannerLog = []);
    let last = "";
    const note = () => {
      const b = w.document.querySelector('[data-testid="banner"]');
      const entry = b ? `${b.getAttribute("data-state")}\u0000${String(b.textContent ?? "").trim()}` : "";
      if (entry && entry !== last) log.push((last = entry));
    };
    new w.MutationObserver(note).observe(w.document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
    note();
  });
}

/** The banner states and texts recorded since `recordBanner`, oldest first. */
export async function bannerLog(page: Page): Promise<Array<{ state: string; text: string }>> {
  const raw = await page.evaluate(() => ((globalThis as any).__onebrainBannerLog ?? []) as string[]);
  return raw.map((e) => {
    const [state = "", text = ""] = e.split("\u0000");
    return { state, text };
  });
}

/**
 * Starts recording each distinct text of the newest assistant message in the chat view, in the
 * page itself, so every rendered step of a stream is seen.
 */
export async function recordAssistantTexts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as any;
    const log: string[] = (w.__onebrainAssistantTexts = []);
    const note = () => {
      const all = w.document.querySelectorAll('[data-testid="chat-message"][data-role="assistant"]');
      const text = all.length ? String(all[all.length - 1].textContent ?? "").trim() : "";
      if (text && text !== log[log.length - 1]) log.push(text);
    };
    w.__onebrainAssistantObserver?.disconnect();
    w.__onebrainAssistantObserver = new w.MutationObserver(note);
    w.__onebrainAssistantObserver.observe(w.document.documentElement, { subtree: true, childList: true, characterData: true });
    note();
  });
}

/** The assistant texts recorded since `recordAssistantTexts`, oldest first. */
export async function assistantTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => ((globalThis as any).__onebrainAssistantTexts ?? []) as string[]);
}
