/**
 * Linking a WhatsApp device from the console, as the channels page's card sees it: the gateway's
 * link view (`whatsapp.link.status`), read once when the card is shown (a link started elsewhere
 * is picked up) and about every second while a link is under way; start, cancel and unlink. The
 * gateway does the linking: closing the page stops only the polling, never the link.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { LinkState, LinkView, UnlinkResult } from "../../../src/protocol/whatsapp.ts";
import { useConnection, useLink } from "../ui/hooks.ts";

/** How often a link under way is asked about. */
const POLL_MS = 1000;

/** The states in which the gateway waits for the phone (and the card polls). */
const UNDER_WAY: ReadonlySet<LinkState> = new Set(["starting", "qr", "code"]);

/** Whether `view` is a link under way. */
export const underWay = (view: LinkView | null): boolean => view !== null && UNDER_WAY.has(view.state);

/** The link as the card shows it, and what the operator can do with it. */
export interface WhatsAppLink {
  /** The gateway's link view, or null before it was read (and after an unlink). */
  view: LinkView | null;
  /** The last request that failed (a refused start, a lost connection), in words. */
  error: string | null;
  busy: "start" | "cancel" | "unlink" | null;
  /** What the last unlink did. */
  unlinked: UnlinkResult | null;
  /** When a device was last seen linked or was unlinked (epoch ms): a channel list read before then is stale. */
  changedAt: number;
  /** Starts linking: by pairing code when `phone` is given, else by QR code. */
  start(phone?: string): Promise<void>;
  cancel(): Promise<void>;
  unlink(): Promise<void>;
}

/** The link of this gateway; `onChange` runs when a device got linked or unlinked (to reload the channel list). */
export function useWhatsAppLink(onChange: () => void): WhatsAppLink {
  const conn = useConnection();
  const link = useLink();
  const up = link.hello !== null;
  const [view, setView] = useState<LinkView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<WhatsAppLink["busy"]>(null);
  const [unlinked, setUnlinked] = useState<UnlinkResult | null>(null);
  const [changedAt, setChangedAt] = useState(0);
  const changed = useRef(onChange);
  changed.current = onChange;
  const shown = useRef<LinkState | null>(null);
  const active = underWay(view);

  /** Shows a view; the moment it turns `linked` (set in the same render) makes older channel lists stale. */
  const show = (v: LinkView | null) => {
    if (v?.state === "linked" && shown.current !== "linked") setChangedAt(Date.now());
    shown.current = v?.state ?? null;
    setView(v);
  };

  // Read once when shown and after every reconnect: a link started elsewhere (the CLI, another tab) shows here too.
  useEffect(() => {
    if (!up) return;
    let gone = false;
    conn.request<LinkView>("whatsapp.link.status", {}).then(
      (v) => !gone && show(v),
      (err: Error) => !gone && setError(err.message),
    );
    return () => void (gone = true);
  }, [conn, up, link.generation]);

  // One request at a time: the next question goes a second after the last answer.
  useEffect(() => {
    if (!active || !up) return;
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = () =>
      conn
        .request<LinkView>("whatsapp.link.status", {})
        .then(
          (v) => {
            if (gone) return;
            show(v);
            setError(null);
          },
          (err: Error) => !gone && setError(err.message),
        )
        .finally(() => {
          if (!gone) timer = setTimeout(ask, POLL_MS);
        });
    timer = setTimeout(ask, POLL_MS);
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [conn, active, up]);

  const linked = view?.state === "linked";
  useEffect(() => {
    if (linked) changed.current();
  }, [linked]);

  const run = useCallback(async (what: NonNullable<WhatsAppLink["busy"]>, fn: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  }, []);

  const start = (phone?: string) =>
    run("start", async () => {
      setUnlinked(null);
      show(await conn.request<LinkView>("whatsapp.link.start", phone ? { phone } : {}));
    });
  const cancel = () => run("cancel", async () => show(await conn.request<LinkView>("whatsapp.link.cancel", {})));
  const unlink = () =>
    run("unlink", async () => {
      // Telling WhatsApp waits for its answer: longer than an ordinary request.
      const r = await conn.request<UnlinkResult>("whatsapp.logout", {}, 20_000);
      show(null);
      setUnlinked(r);
      setChangedAt(Date.now());
      changed.current();
    });

  return { view, error, busy, unlinked, changedAt, start, cancel, unlink };
}
