/**
 * The connection banner: always the true state of the link (docs/console.md, "The connection
 * banner"), why it is in that state, and what the operator can do about it.
 */
import type { LinkSnapshot } from "../link/connection.ts";
import type { BannerState } from "../link/diagnose.ts";
import { useNow } from "./hooks.ts";

const TITLES: Record<BannerState, string> = {
  connecting: "Connecting",
  connected: "Connected",
  reconnecting: "Reconnecting",
  "sign-in": "Sign in",
  "auth-failed": "Sign-in refused",
  replaced: "Gateway replaced",
  "proxy-no-upgrade": "Proxy does not pass WebSockets",
  unreachable: "Gateway unreachable",
  "proxy-error": "Proxy error",
  refused: "Connection refused",
};

/** States where a Retry button cannot help: all is well, an attempt is running, or a token must be typed first. */
const NO_RETRY: ReadonlySet<BannerState> = new Set(["connected", "replaced", "connecting", "sign-in"]);

const NGINX_FIX = `proxy_http_version 1.1;
proxy_set_header Upgrade $http_upgrade;
proxy_set_header Connection "upgrade";`;

/** "attempt 3, next in 4 s" while a retry is scheduled, "attempt 3, connecting…" while it runs. */
function retryLine(link: LinkSnapshot, now: number): string | null {
  if (link.manual || link.attempt === 0) return null;
  if (link.nextRetryAt === null) return `attempt ${link.attempt}, connecting…`;
  const s = Math.max(0, Math.ceil((link.nextRetryAt - now) / 1000));
  return `attempt ${link.attempt}, next in ${s} s`;
}

interface BannerProps {
  link: LinkSnapshot;
  onRetry: () => void;
  onDismiss: () => void;
}

/** The banner at the top of every page. */
export function Banner({ link, onRetry, onDismiss }: BannerProps) {
  const now = useNow(250);
  const retry = retryLine(link, now);
  const hello = link.hello;
  const title = link.state === "proxy-error" && link.httpStatus ? `${TITLES[link.state]} (HTTP ${link.httpStatus})` : TITLES[link.state];
  return (
    <section class={`banner banner-${link.state}`} data-testid="banner" data-state={link.state}>
      <div class="banner-main">
        <span class="banner-dot" aria-hidden="true" />
        {/* Only the state is announced: a countdown in a live region would be read out every second. */}
        <strong class="banner-title" role="status">
          {title}
        </strong>
        {retry && <span class="banner-retry">— {retry}</span>}
        {link.state === "connected" && hello && (
          <span class="banner-detail">
            gateway {hello.server.version} · instance {hello.server.instanceId.slice(0, 8)}
            {link.epoch !== null ? ` · epoch ${link.epoch}` : ""}
          </span>
        )}
        {link.detail && link.state !== "connected" && <span class="banner-detail">{link.detail}</span>}
        <span class="banner-actions">
          {link.state === "replaced" && (
            <button type="button" class="btn btn-small" onClick={onDismiss}>
              Dismiss
            </button>
          )}
          {!NO_RETRY.has(link.state) && (link.manual || link.nextRetryAt !== null) && (
            <button type="button" class="btn btn-small" data-testid="retry" onClick={onRetry}>
              {link.manual ? "Retry" : "Retry now"}
            </button>
          )}
        </span>
      </div>
      {link.state === "proxy-no-upgrade" && (
        <div class="banner-help">
          <p>
            The request reached the gateway as plain HTTP, so it cannot succeed until the proxy is fixed; the console will not retry on its own. In nginx, add
            to the <code>location</code> that proxies this gateway:
          </p>
          <pre class="code">{NGINX_FIX}</pre>
          <p>then reload nginx and press Retry.</p>
        </div>
      )}
    </section>
  );
}
