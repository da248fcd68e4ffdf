/**
 * How pages reach the connection: the link's state, server events, and requests that reload
 * on every (re)connect, so a page never shows data from a gateway that is gone.
 */
import { createContext } from "preact";
import { useContext, useEffect, useRef, useState, useCallback } from "preact/hooks";
import type { Connection, LinkEvent, LinkSnapshot } from "../link/connection.ts";

export const LinkContext = createContext<Connection | null>(null);

/** The connection of this console. */
export function useConnection(): Connection {
  const c = useContext(LinkContext);
  if (!c) throw new Error("useConnection outside LinkContext");
  return c;
}

/** The link's state, re-rendering on every change. */
export function useLink(): LinkSnapshot {
  const conn = useConnection();
  const [snap, setSnap] = useState(conn.snapshot);
  useEffect(() => {
    setSnap(conn.snapshot);
    return conn.subscribe(setSnap);
  }, [conn]);
  return snap;
}

/** Calls `fn` for each server event named `name` while the component is mounted. */
export function useEvent(name: string, fn: (payload: unknown) => void): void {
  const conn = useConnection();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => conn.onEvent((e: LinkEvent) => e.event === name && ref.current(e.payload)), [conn, name]);
}

/** The current time, updated every `ms` (for countdowns and "5 s ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export interface RequestState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** When `data` was last loaded (epoch ms). */
  at: number | null;
  reload: () => void;
}

/**
 * The result of `method(params)`, loaded when connected and again after every reconnect; with
 * `refreshMs`, also refreshed on that interval while the tab is visible. Data from the last
 * success stays shown (with the error) when a refresh fails.
 */
export function useRequest<T>(method: string, params?: unknown, refreshMs?: number): RequestState<T> {
  const conn = useConnection();
  const link = useLink();
  const [state, setState] = useState<Omit<RequestState<T>, "reload">>({ data: null, error: null, loading: false, at: null });
  const key = JSON.stringify(params ?? null);
  const seq = useRef(0);
  const up = link.hello !== null;

  const reload = useCallback(() => {
    if (!conn.snapshot.hello) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    conn.request<T>(method, params).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false, at: Date.now() }),
      (err: Error) => mine === seq.current && setState((s) => ({ ...s, error: err.message, loading: false })),
    );
    // `key` stands for `params`: a new object with the same content must not reload.
  }, [conn, method, key]);

  useEffect(() => {
    if (up) reload();
  }, [reload, up, link.generation]);

  useEffect(() => {
    if (!refreshMs || !up) return;
    const t = setInterval(() => document.visibilityState === "visible" && reload(), refreshMs);
    return () => clearInterval(t);
  }, [reload, refreshMs, up]);

  return { ...state, reload };
}
