/**
 * Logs: the gateway's log file, live. `logs.tail {follow: true}` gives the last lines and
 * subscribes this connection; `log` events carry every later line. After a reconnect the tail
 * resumes from the last cursor, so nothing is lost or shown twice.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { LEVELS, appendCapped, filterLines, parseLogLine, type Level, type LogLine } from "../logs/lines.ts";
import { useConnection, useEvent, useLink } from "../ui/hooks.ts";

const CAP = 5_000;

interface TailAnswer {
  file: string | null;
  cursor: number;
  lines: string[];
  truncated: boolean;
  reset: boolean;
  following?: boolean;
}

/** The logs page. */
export function LogsPage() {
  const conn = useConnection();
  const link = useLink();
  const up = link.hello !== null;
  const [lines, setLines] = useState<LogLine[]>([]);
  const [level, setLevel] = useState<Level>("trace");
  const [search, setSearch] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // undefined until the first answer; null when the gateway writes no log file.
  const [file, setFile] = useState<string | null | undefined>(undefined);
  const [live, setLive] = useState(false);
  const cursor = useRef<number | null>(null);
  const seq = useRef(0);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  const take = (raw: string[], reset: boolean, truncated: boolean) => {
    if (reset) setNote(`The log file was rotated or truncated at ${new Date().toLocaleTimeString()}; reading restarted at its beginning.`);
    else if (truncated) setNote("Some lines were skipped: more was written than one read returns.");
    if (raw.length)
      setLines((old) =>
        appendCapped(
          old,
          raw.map((l) => parseLogLine(l, seq.current++)),
          CAP,
        ),
      );
  };

  // (Re)subscribe on every new link. A replaced gateway may have another log file: start over.
  useEffect(() => {
    if (!up) return;
    let active = true;
    if (link.state === "replaced") cursor.current = null;
    const params = { follow: true, limit: cursor.current === null ? 500 : CAP, ...(cursor.current !== null ? { cursor: cursor.current } : {}) };
    let poll: ReturnType<typeof setInterval> | undefined;
    conn.request<TailAnswer>("logs.tail", params).then(
      (a) => {
        if (!active) return;
        setError(null);
        setFile(a.file);
        cursor.current = a.cursor;
        take(a.lines, a.reset, a.truncated);
        setLive(a.following === true);
        // A gateway without `follow` gets polled instead, from the cursor.
        if (a.following !== true && a.file) {
          poll = setInterval(() => {
            conn.request<TailAnswer>("logs.tail", { cursor: cursor.current ?? 0, limit: CAP }).then(
              (b) => {
                if (!active) return;
                cursor.current = b.cursor;
                take(b.lines, b.reset, b.truncated);
              },
              () => {},
            );
          }, 2000);
        }
      },
      (err: Error) => active && setError(err.message),
    );
    return () => {
      active = false;
      if (poll) clearInterval(poll);
      setLive(false);
      conn.request("logs.unfollow").catch(() => {});
    };
  }, [conn, up, link.generation]);

  useEvent("log", (payload) => {
    const e = payload as { cursor: number; lines: string[]; reset: boolean };
    cursor.current = e.cursor;
    take(e.lines ?? [], e.reset, false);
  });

  const shown = useMemo(() => filterLines(lines, level, search), [lines, level, search]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  return (
    <section class="page page-logs">
      <div class="toolbar">
        <select class="input" data-testid="log-level" value={level} onChange={(e) => setLevel(e.currentTarget.value as Level)} aria-label="Lowest level shown">
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l === "trace" ? "all levels" : `${l} and above`}
            </option>
          ))}
        </select>
        <input
          type="search"
          class="input grow"
          data-testid="log-search"
          placeholder="Search the lines"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <span class="muted">
          {shown.length} of {lines.length} lines{lines.length >= CAP ? ` (the last ${CAP.toLocaleString()})` : ""} ·{" "}
          {live ? "live" : up ? "not following" : "offline"}
        </span>
        <button type="button" class="btn" onClick={() => setLines([])}>
          Clear
        </button>
      </div>
      {error && <p class="error-text">Could not read the log: {error}</p>}
      {file === null && !error && <p class="muted">This gateway writes no log file.</p>}
      {note && <p class="muted">{note}</p>}
      {lines.length > 0 && shown.length === 0 && <p class="muted">No line matches this level and search.</p>}
      <div
        class="log-view"
        ref={scroller}
        onScroll={(e) => (atBottom.current = e.currentTarget.scrollHeight - e.currentTarget.scrollTop - e.currentTarget.clientHeight < 40)}
      >
        {shown.map((l) => (
          <div key={l.seq} class={`log-line log-${l.level}`} data-testid="log-line" data-level={l.level}>
            <span class="log-time">{l.time}</span>
            <span class="log-level">{l.level}</span>
            <span class="log-msg">{l.msg}</span>
            {l.fields && <span class="log-fields">{l.fields}</span>}
          </div>
        ))}
      </div>
    </section>
  );
}
