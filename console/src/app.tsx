/**
 * The console's frame: banner, sign-in form, navigation and the active page. Only the active
 * page is mounted, so each page loads fresh data when shown and after every reconnect; what
 * must outlive a page switch (unacknowledged chat messages) lives here.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ChatOutbox } from "./chat/outbox.ts";
import type { Connection } from "./link/connection.ts";
import { forgetSecret, loadSecret, saveSecret, type StorageLike } from "./store.ts";
import { Banner } from "./ui/banner.tsx";
import { LinkContext, useLink } from "./ui/hooks.ts";
import { Nav, pageFromHash, type PageId } from "./ui/nav.tsx";
import { TokenForm } from "./ui/token-form.tsx";
import { ChatPage } from "./pages/chat.tsx";
import { SessionsPage } from "./pages/sessions.tsx";
import { ApprovalsPage } from "./pages/approvals.tsx";
import { BrainPage } from "./pages/brain.tsx";
import { HealthPage } from "./pages/health.tsx";
import { ChannelsPage } from "./pages/channels.tsx";
import { LogsPage } from "./pages/logs.tsx";
import { CanvasPage } from "./pages/canvas.tsx";
import { CronPage } from "./pages/cron.tsx";

interface AppProps {
  conn: Connection;
  storage: StorageLike | null;
}

/** The whole console, bound to one connection. */
export function App({ conn, storage }: AppProps) {
  return (
    <LinkContext.Provider value={conn}>
      <Shell conn={conn} storage={storage} />
    </LinkContext.Provider>
  );
}

function usePage(): PageId {
  const [page, setPage] = useState(pageFromHash(location.hash));
  useEffect(() => {
    const on = () => setPage(pageFromHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return page;
}

function Shell({ conn, storage }: AppProps) {
  const link = useLink();
  const page = usePage();
  // Read at each render: the connection removes a refused secret from storage by itself (and
  // then reports auth-failed, which renders); signing in or out here re-renders with `stored`.
  const hasSecret = loadSecret(storage) !== null;
  const [, stored] = useState(0);
  const outbox = useMemo(() => new ChatOutbox((p) => conn.request("chat.send", p)), [conn]);
  const [chatSession, setChatSession] = useState("");

  // Messages the gateway never acknowledged go again, same key, once the link is back.
  useEffect(() => {
    if (link.generation > 0) outbox.resendWaiting();
  }, [outbox, link.generation]);

  const signIn = (secret: string) => {
    saveSecret(storage, secret);
    stored((n) => n + 1);
    conn.setSecret(secret);
  };
  const signOut = () => {
    forgetSecret(storage);
    stored((n) => n + 1);
    conn.setSecret(null);
  };
  const hello = link.hello;

  return (
    <div class="app">
      <header class="top">
        <span class="brand">onebrain</span>
        <span class="top-info">{hello ? `${hello.snapshot.stateDir}${hello.snapshot.profile ? ` · profile ${hello.snapshot.profile}` : ""}` : ""}</span>
        {hasSecret && (
          <button type="button" class="btn btn-small btn-ghost" onClick={signOut} title="Forget the token stored in this browser">
            Forget token
          </button>
        )}
      </header>
      <Banner link={link} onRetry={() => conn.retryNow()} onDismiss={() => conn.acknowledgeReplaced()} />
      <div class="body">
        <Nav page={page} />
        <main class="main">
          {(link.state === "sign-in" || link.state === "auth-failed") && <TokenForm reason={link.detail} onSubmit={signIn} />}
          {page === "chat" && <ChatPage outbox={outbox} session={chatSession} onSession={setChatSession} />}
          {page === "approvals" && <ApprovalsPage />}
          {page === "sessions" && <SessionsPage />}
          {page === "brain" && <BrainPage />}
          {page === "health" && <HealthPage />}
          {page === "channels" && <ChannelsPage />}
          {page === "canvas" && <CanvasPage />}
          {page === "cron" && <CronPage />}
          {page === "logs" && <LogsPage />}
        </main>
      </div>
    </div>
  );
}
