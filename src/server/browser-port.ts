/** The `browser` tool's port (src/agent/tools/types.ts) over the brain's BrowserManager: the same checks as the HTTP API. */
import type { BrowserPort } from "../agent/tools/types.ts";
import { checkNavigable, parseAction } from "../browser/actions.ts";
import type { BrowserManager } from "../browser/manager.ts";

/** The port a run's tools get. */
export function browserPort(m: BrowserManager): BrowserPort {
  return {
    tabs: (profile) => m.use(profile, false, (s) => s.tabs()),
    open: (url, profile) => {
      const href = checkNavigable(url);
      return m.use(profile, true, (s) => s.open(href, m.maxTabs()));
    },
    navigate: (url, tab, profile) => {
      const href = checkNavigable(url);
      return m.use(profile, true, (s) => s.navigate(tab ?? null, href));
    },
    snapshot: (tab, profile) => m.use(profile, false, (s) => s.snapshot(tab ?? null)),
    act: (action, tab, profile) => {
      const a = parseAction(action);
      return m.use(profile, false, (s) => s.act(tab ?? null, a));
    },
    screenshot: (tab, profile, fullPage) => m.use(profile, false, (s) => s.screenshot(tab ?? null, fullPage === true)),
    close: (tab, profile) => m.use(profile, false, (s) => s.close(tab)),
  };
}
