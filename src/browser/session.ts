/**
 * One CDP connection to a browser through playwright-core (`connectOverCDP`), loaded only when a
 * browser is first used. Tabs are the pages of its default context, named by their CDP target id
 * (the id `/json/list` shows too); the current tab is the last opened, focused or used one.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { OnebrainError } from "../shared/errors.ts";
import type { BrowserAction } from "./actions.ts";

/** A tab as the API shows it. */
export interface TabInfo {
  id: string;
  url: string;
  title: string;
  current: boolean;
}

/** The longest snapshot returned; a page with more says it was cut. */
export const MAX_SNAPSHOT_CHARS = 80_000;
const ACTION_TIMEOUT_MS = 10_000;
const NAVIGATE_TIMEOUT_MS = 30_000;

/** A playwright failure as a coded error: its first line, without the call log. */
export function actionFailed(what: string, err: unknown): OnebrainError {
  if (err instanceof OnebrainError) return err;
  const first = ((err as Error)?.message ?? String(err))
    .split("\n")[0]!
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "")
    .slice(0, 300);
  return new OnebrainError("BROWSER_ACTION_FAILED", `${what} failed: ${first}`);
}

/** A live connection to one browser. */
export class BrowserSession {
  private readonly ids = new WeakMap<Page, string>();
  private current: Page | null = null;

  private readonly browser: Browser;
  private readonly context: BrowserContext;

  private constructor(browser: Browser, context: BrowserContext) {
    this.browser = browser;
    this.context = context;
  }

  /** Connects to a browser's WebSocket (or http) endpoint; rejects with BROWSER_CDP_UNREACHABLE. */
  static async connect(endpoint: string, timeoutMs: number): Promise<BrowserSession> {
    const { chromium } = await import("playwright-core");
    let browser: Browser;
    try {
      browser = await chromium.connectOverCDP(endpoint, { timeout: timeoutMs });
    } catch (err) {
      throw new OnebrainError("BROWSER_CDP_UNREACHABLE", `Cannot attach to the browser over CDP: ${actionFailed("connect", err).message}`);
    }
    const context = browser.contexts()[0] ?? (await browser.newContext());
    return new BrowserSession(browser, context);
  }

  /** True while the CDP connection is up. */
  connected(): boolean {
    return this.browser.isConnected();
  }

  /** Calls `fn` once when the connection drops (the browser exited or the remote went away). */
  onDisconnected(fn: () => void): void {
    this.browser.once("disconnected", fn);
  }

  private async idOf(page: Page): Promise<string> {
    const known = this.ids.get(page);
    if (known) return known;
    const cdp = await this.context.newCDPSession(page);
    try {
      const { targetInfo } = (await cdp.send("Target.getTargetInfo")) as { targetInfo: { targetId: string } };
      this.ids.set(page, targetInfo.targetId);
      return targetInfo.targetId;
    } finally {
      await cdp.detach().catch(() => {});
    }
  }

  private async info(page: Page): Promise<TabInfo> {
    return { id: await this.idOf(page), url: page.url(), title: await page.title().catch(() => ""), current: page === this.current };
  }

  /** The open tabs. */
  async tabs(): Promise<TabInfo[]> {
    const pages = this.context.pages();
    if (this.current && !pages.includes(this.current)) this.current = null;
    return Promise.all(pages.map((p) => this.info(p)));
  }

  /** The page of a tab id; with none, the current tab (or the first, or a new blank one). */
  private async page(id: string | null | undefined): Promise<Page> {
    const pages = this.context.pages();
    if (id) {
      for (const p of pages) if ((await this.idOf(p)) === id) return (this.current = p);
      throw new OnebrainError("BROWSER_TAB_NOT_FOUND", `No open tab ${JSON.stringify(id)}: \`onebrain browser tabs\` lists them`);
    }
    if (this.current && pages.includes(this.current)) return this.current;
    this.current = pages[0] ?? (await this.context.newPage());
    return this.current;
  }

  /** Opens a tab at `url` and makes it current. */
  async open(url: string, maxTabs: number): Promise<TabInfo> {
    if (this.context.pages().length >= maxTabs) {
      throw new OnebrainError(
        "BROWSER_TAB_LIMIT",
        `This profile already has ${this.context.pages().length} tabs open (browser.maxTabs is ${maxTabs}): close one first`,
      );
    }
    const page = await this.context.newPage();
    this.current = page;
    if (url !== "about:blank") await this.goto(page, url);
    return this.info(page);
  }

  private async goto(page: Page, url: string): Promise<void> {
    try {
      await page.goto(url, { waitUntil: "domcontentloaded", timeout: NAVIGATE_TIMEOUT_MS });
    } catch (err) {
      throw actionFailed(`Opening ${url}`, err);
    }
  }

  /** Brings a tab to the front and makes it current. */
  async focus(id: string): Promise<TabInfo> {
    const page = await this.page(id);
    await page.bringToFront().catch((err: unknown) => {
      throw actionFailed("Focus", err);
    });
    return this.info(page);
  }

  /** Closes a tab. */
  async close(id: string): Promise<void> {
    const page = await this.page(id);
    if (this.current === page) this.current = null;
    await page.close().catch((err: unknown) => {
      throw actionFailed("Closing the tab", err);
    });
  }

  /** Sends a tab (the current one by default) to `url`. */
  async navigate(id: string | null, url: string): Promise<TabInfo> {
    const page = await this.page(id);
    await this.goto(page, url);
    return this.info(page);
  }

  /** The tab's accessibility tree with element refs (`[ref=e3]`) that `act` takes. */
  async snapshot(id: string | null): Promise<{ tab: TabInfo; snapshot: string; truncated: boolean }> {
    const page = await this.page(id);
    let text: string;
    try {
      text = await page.ariaSnapshot({ mode: "ai", timeout: ACTION_TIMEOUT_MS });
    } catch (err) {
      throw actionFailed("The snapshot", err);
    }
    const truncated = text.length > MAX_SNAPSHOT_CHARS;
    return { tab: await this.info(page), snapshot: truncated ? text.slice(0, MAX_SNAPSHOT_CHARS) : text, truncated };
  }

  /** Does one action on a tab. */
  async act(id: string | null, a: BrowserAction): Promise<TabInfo> {
    const page = await this.page(id);
    const locate = async (ref: string) => {
      const loc = page.getByRef(ref);
      const n = await loc.count().catch(() => 0);
      if (n === 0) throw new OnebrainError("BROWSER_REF_NOT_FOUND", `No element ${ref} in the tab's latest snapshot: take a new snapshot and use its refs`);
      return loc.first();
    };
    const t = { timeout: ACTION_TIMEOUT_MS };
    try {
      switch (a.kind) {
        case "click":
          await (await locate(a.ref))[a.double ? "dblclick" : "click"]({ ...t, button: a.button });
          break;
        case "type": {
          const el = await locate(a.ref);
          await el.pressSequentially(a.text, t);
          if (a.submit) await el.press("Enter", t);
          break;
        }
        case "fill":
          await (await locate(a.ref)).fill(a.text, t);
          break;
        case "press":
          if (a.ref) await (await locate(a.ref)).press(a.key, t);
          else await page.keyboard.press(a.key);
          break;
        case "select":
          await (await locate(a.ref)).selectOption(a.values, t);
          break;
        case "hover":
          await (await locate(a.ref)).hover(t);
          break;
        case "wait":
          if (a.ms !== null) await page.waitForTimeout(a.ms);
          if (a.text !== null) await page.getByText(a.text).first().waitFor({ state: "visible", timeout: 30_000 });
          if (a.ref !== null) await (await locate(a.ref)).waitFor({ state: "visible", timeout: 30_000 });
          break;
      }
    } catch (err) {
      throw actionFailed(a.kind === "wait" ? "Waiting" : `The ${a.kind} on ${"ref" in a && a.ref ? a.ref : "the page"}`, err);
    }
    return this.info(page);
  }

  /** A PNG of the tab (the viewport, or the whole page). */
  async screenshot(id: string | null, fullPage: boolean): Promise<Buffer> {
    const page = await this.page(id);
    return page.screenshot({ type: "png", fullPage, timeout: ACTION_TIMEOUT_MS }).catch((err: unknown) => {
      throw actionFailed("The screenshot", err);
    });
  }

  /** The tab printed as PDF (headless browsers only). */
  async pdf(id: string | null): Promise<Buffer> {
    const page = await this.page(id);
    return page.pdf({ printBackground: true }).catch((err: unknown) => {
      throw actionFailed("The PDF (headless browsers only)", err);
    });
  }

  /** Asks the browser to exit (CDP Browser.close); the caller still kills what is left. */
  async closeBrowser(): Promise<void> {
    try {
      const cdp = await this.browser.newBrowserCDPSession();
      await cdp.send("Browser.close");
    } catch {
      // Already gone, or the connection dropped: the group kill that follows does the rest.
    }
  }

  /** Drops the connection, leaving the browser running (remote profiles). */
  async disconnect(): Promise<void> {
    await this.browser.close().catch(() => {});
  }
}
