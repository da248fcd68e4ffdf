/** Entry point: one connection to this page's own origin, and the app rendered into #app. */
import { render } from "preact";
import { App } from "./app.tsx";
import { Connection } from "./link/connection.ts";
import { forgetSecret, loadSecret } from "./store.ts";
import "./styles.css";

/** Set by scripts/build.js from package.json. */
declare const ONEBRAIN_CONSOLE_VERSION: string;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const store = storage();
// Only the page's own location is ever dialled; nothing from its query or fragment.
const conn = new Connection(
  {
    WebSocket,
    fetch: (url) => fetch(url, { cache: "no-store", credentials: "same-origin" }),
    location: { protocol: location.protocol, host: location.host },
    forgetSecret: () => forgetSecret(store),
  },
  { clientVersion: ONEBRAIN_CONSOLE_VERSION },
);
conn.start(loadSecret(store));
// Back online (laptop wakes, Wi-Fi returns): no need to sit out the backoff.
addEventListener("online", () => conn.snapshot.manual || conn.retryNow());
addEventListener("pagehide", () => conn.stop());
addEventListener("pageshow", (e) => e.persisted && conn.start(loadSecret(store)));

render(<App conn={conn} storage={store} />, document.getElementById("app")!);
