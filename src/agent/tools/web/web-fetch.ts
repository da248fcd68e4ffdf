/**
 * The `web_fetch` tool: GET a URL and return its readable content as Markdown.
 *
 * Decisions the operator should know: only http and https; any port; no credentials in URLs;
 * private, loopback, link-local, CGNAT, unique-local, multicast, reserved and cloud-metadata
 * addresses refused (checked on the address actually connected to, after every redirect) unless
 * `tools.web.allowedHosts` or `allowPrivateNetwork` says otherwise (metadata addresses only by an
 * explicit allowedHosts entry); TLS certificates are verified; direct connections only, never
 * through HTTPS_PROXY/HTTP_PROXY (the guard cannot see what a proxy connects to). A 4xx/5xx answer
 * is an error result carrying the status and the start of the body.
 */
import type { LookupFunction } from "node:net";
import { defineTool, fail } from "../define.ts";
import type { Tool, ToolContext } from "../types.ts";
import type { Head } from "./fetch.ts";
import type { Kind } from "./markdown.ts";

const DEFAULT_CHARS = 50_000;
const MAX_CHARS = 500_000;
/** How much of an error page the model gets: enough for the server's explanation. */
const ERROR_CHARS = 2_000;
const ERROR_BYTES = 64 * 1024;

const DESCRIPTION =
  "Fetch a web page over HTTP(S) GET and return its main content as Markdown (title, final URL and status first). " +
  "HTML is reduced to the article text with links; plain text, JSON and XML come back as they are; other types (images, PDF) are refused. " +
  "Redirects are followed. Only public addresses are reached (any port): private, loopback, link-local and cloud-metadata addresses are refused " +
  "unless the operator allowed them; TLS certificates are verified; the gateway's HTTP proxy settings are not used. " +
  "Size and time are capped; a 4xx/5xx answer is an error with the status.";

const ok = (content: string) => ({ content, isError: false });

/** The tool; `lookup` replaces DNS (tests point names at local servers). */
export function createWebFetch(deps: { lookup?: LookupFunction } = {}): Tool {
  // defineTool answers a cancelled run and checks the input against this schema first.
  return defineTool<{ url: string; maxChars?: number }>({
    name: "web_fetch",
    group: "web",
    sideEffects: false,
    concurrent: true,
    description: DESCRIPTION,
    inputSchema: {
      type: "object",
      properties: {
        url: { type: "string", minLength: 1, description: "Absolute http:// or https:// URL." },
        maxChars: {
          type: "integer",
          minimum: 100,
          maximum: MAX_CHARS,
          description: `Most characters of content returned (default ${DEFAULT_CHARS}).`,
        },
      },
      required: ["url"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const url = input.url.trim();
      if (!URL.canParse(url)) return fail(`"${url.slice(0, 200)}" is not an absolute URL: give one such as https://example.com/page.`);
      return fetchAsText(new URL(url), input.maxChars ?? DEFAULT_CHARS, ctx, deps.lookup);
    },
  });
}

/** The whole call: fetch under the deadline, then read and render; every failure as a sentence. */
async function fetchAsText(url: URL, maxChars: number, ctx: ToolContext, lookup: LookupFunction | undefined) {
  const web = ctx.config.web;
  const { Guard, Refused } = await import("./ssrf.ts");
  const { fetchHead, readBody } = await import("./fetch.ts");
  const md = await import("./markdown.ts");
  const guard = new Guard(web);
  const deadline = AbortSignal.timeout(web.timeoutSeconds * 1000);
  const signal = AbortSignal.any([ctx.signal, deadline]);
  let at = url;
  try {
    const head = await fetchHead(url, { guard, lookup: guard.lookup(lookup), maxRedirects: web.maxRedirects, signal, onHop: (u) => (at = u) });
    const failed = head.status < 200 || head.status >= 300;
    const type = String(head.headers["content-type"] ?? "");
    const declared = type ? md.kindOf(type) : null;
    if (type && !declared) {
      head.body.destroy();
      const what = `${head.url.href} is ${md.mediaType(type)}`;
      return fail(
        failed
          ? `${statusLine(head)}; the body (${md.mediaType(type)}) is not shown.`
          : `${what}, which web_fetch does not read: it reads HTML, plain text, JSON and XML.`,
      );
    }
    const body = await readBody(head, failed ? Math.min(ERROR_BYTES, web.maxBytes) : web.maxBytes, signal);
    const kind: Kind | null = declared ?? md.sniffKind(body.bytes);
    if (!kind) return fail(`${head.url.href} came without a Content-Type and looks binary; web_fetch reads HTML, plain text, JSON and XML.`);
    const text = md.decodeText(body.bytes, type, kind);
    const shownChars = failed ? ERROR_CHARS : maxChars;
    const page = kind === "html" ? md.htmlToMarkdown(text, head.url.href, shownChars) : { title: "", markdown: text, partial: false };
    if (failed) return fail(`${statusLine(head)}.\n\n${cut(page, shownChars, "")}`);
    const lines = [`URL: ${head.url.href}`, `Status: ${head.status}${head.statusText ? ` ${head.statusText}` : ""}`];
    if (page.title) lines.push(`Title: ${page.title}`);
    if (type) lines.push(`Content-Type: ${type}`);
    let content = `${lines.join("\n")}\n\n${cut(page, maxChars)}`;
    if (body.truncated) content += `\n\n[truncated at ${web.maxBytes} bytes (tools.web.maxBytes): the page is longer]`;
    return ok(content);
  } catch (err) {
    if (err instanceof Refused) return fail(err.message);
    if (ctx.signal.aborted) return fail(`The fetch of ${at.href} was cancelled.`);
    if (deadline.aborted)
      return fail(
        `${at.href} did not finish within ${web.timeoutSeconds} s (tools.web.timeoutSeconds): the site is slow or the page never ends. Try again later or another page.`,
      );
    return fail(networkFailure(at, err as NodeJS.ErrnoException));
  }
}

const statusLine = (head: Head) => `HTTP ${head.status}${head.statusText ? ` ${head.statusText}` : ""} from ${head.url.href}`;

/** The page's text cut to `max` characters, with a note when it was cut here or before conversion (and how to get more). */
function cut(page: { markdown: string; partial: boolean }, max: number, more = `; ask again with a larger maxChars (up to ${MAX_CHARS}) for more`): string {
  const text = page.markdown;
  if (text.length <= max && !page.partial) return text;
  return `${text.slice(0, max)}\n\n[truncated at ${Math.min(max, text.length)} characters${more}]`;
}

const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** A network error as a sentence naming the host and what to do. */
function networkFailure(url: URL, err: NodeJS.ErrnoException): string {
  const code = err.code ?? err.name;
  const host = url.hostname;
  if (CERTIFICATE.test(code))
    return `The TLS certificate of ${host} was not accepted (${code}: ${err.message}). web_fetch verifies certificates and does not read sites whose certificate fails.`;
  if (/SSL|TLS/.test(code)) return `The TLS handshake with ${host} failed (${code}): the server may not speak https on this port.`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NODATA") return `${host} could not be resolved (${code}): check the host name.`;
  if (code.startsWith("HPE_")) return `${host} answered with something that is not valid HTTP (${code}).`;
  return `Could not fetch ${url.href}: ${code} (${err.message}).`;
}
