/** The page list and hash routing (`#/logs`): the fragment only ever names a page, never a gateway. */

export const PAGES = [
  { id: "chat", label: "Chat" },
  { id: "approvals", label: "Approvals" },
  { id: "sessions", label: "Sessions" },
  { id: "brain", label: "Brain" },
  { id: "health", label: "Health" },
  { id: "channels", label: "Channels" },
  { id: "canvas", label: "Canvas" },
  { id: "cron", label: "Cron" },
  { id: "logs", label: "Logs" },
] as const;

export type PageId = (typeof PAGES)[number]["id"];

/** The page a fragment names; unknown fragments fall back to chat. */
export function pageFromHash(hash: string): PageId {
  const id = hash.replace(/^#\/?/, "");
  return PAGES.find((p) => p.id === id)?.id ?? "chat";
}

/** The navigation list, with `aria-current="page"` on the active page. */
export function Nav({ page }: { page: PageId }) {
  return (
    <nav class="nav" aria-label="Pages">
      {PAGES.map((p) => (
        <a key={p.id} href={`#/${p.id}`} class="nav-link" data-testid={`nav-${p.id}`} aria-current={p.id === page ? "page" : undefined}>
          {p.label}
        </a>
      ))}
    </nav>
  );
}
