/**
 * A fetched body as text the model can read: HTML becomes Markdown of its main content (Mozilla's
 * Readability over a linkedom DOM, then turndown), falling back to the whole body when Readability
 * finds no article; plain text, JSON and XML come back as they are; anything else is refused by
 * its type. Loaded lazily (these libraries are a few hundred KB the gateway needs only here).
 */
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import TurndownService from "turndown";

/** How a content type is read: as HTML, as text, or (null) not at all. */
export type Kind = "html" | "text";

/** The kind of a Content-Type header value (`text/html; charset=…`), or null for one web_fetch does not read. */
export function kindOf(contentType: string): Kind | null {
  const type = mediaType(contentType);
  if (type === "text/html" || type === "application/xhtml+xml") return "html";
  if (type.startsWith("text/")) return "text";
  if (/^application\/([\w.+-]+\+)?(json|xml)$/.test(type) || type === "application/javascript" || type === "application/x-ndjson") return "text";
  return null;
}

/** The media type alone, lower case: `text/html` of `Text/HTML; charset=utf-8`. */
export function mediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

/** The kind of a body that came without a Content-Type: HTML by its opening, text when it has no NUL byte, else null. */
export function sniffKind(bytes: Buffer): Kind | null {
  const head = bytes.subarray(0, 1024).toString("latin1");
  if (/^\s*(<!doctype html|<html|<head|<body)/i.test(head)) return "html";
  return head.includes("\0") ? null : "text";
}

/**
 * Decodes `bytes` by their charset: a byte-order mark, else the Content-Type's `charset`, else
 * (HTML) a `<meta charset>` in the first KB, else UTF-8; an unknown label falls back to UTF-8.
 */
export function decodeText(bytes: Buffer, contentType: string, kind: Kind): string {
  const label = bomCharset(bytes) ?? /;\s*charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1] ?? (kind === "html" ? metaCharset(bytes) : null) ?? "utf-8";
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes);
  }
}

function bomCharset(b: Buffer): string | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf-8";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf-16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf-16be";
  return null;
}

/** The charset a page declares in a meta tag (`<meta charset>` or http-equiv Content-Type), the HTML prescan's job. */
function metaCharset(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 4096).toString("latin1");
  return /<meta\s[^>]*charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1] ?? null;
}

/** A page as Markdown with its title. */
export interface Readable {
  title: string;
  markdown: string;
  /** True when the page went on past what was converted. */
  partial: boolean;
}

// Never content: code, styles, embedded documents and widgets.
const DROP = "script, style, noscript, template, iframe, frame, object, embed, svg, canvas";

let turndown: TurndownService | undefined;

type Dom = ReturnType<typeof parseHTML>["document"];
type TurndownInput = Parameters<TurndownService["turndown"]>[0];
/** The little of a DOM node that cutAfter walks with. */
interface DomNode {
  nodeType: number;
  textContent: string | null;
  firstChild: DomNode | null;
  nextSibling: DomNode | null;
  parentNode: DomNode | null;
  remove(): void;
}
type ChildOf<D extends Dom> = D["childNodes"][number];

/**
 * Readability's cost grows faster than the page (it re-reads text content per candidate): about
 * 0.2 s at 6,000 elements, 1.2 s at 15,000, all of it on the gateway's one thread. Past this many
 * elements the whole body is converted instead, which costs time in proportion to the page.
 */
const READABILITY_MAX_ELEMENTS = 10_000;

/**
 * The Markdown of the page's main content (or whole body), links made absolute against `pageUrl`
 * (and its `<base>`), of at least `maxChars` characters when the page has that many: the content
 * past that is dropped before conversion, so a long page costs what is shown, not its length.
 */
export function htmlToMarkdown(html: string, pageUrl: string, maxChars: number): Readable {
  const document = parseDocument(html);
  for (const el of document.querySelectorAll(DROP)) el.remove();
  absolutize(document, pageUrl);
  const pageTitle = (document.title ?? "").trim();
  const article = document.querySelectorAll("*").length <= READABILITY_MAX_ELEMENTS ? readArticle(document) : null;
  // The article's DOM goes to turndown as it is: turning it into HTML text for turndown to parse again costs a third more.
  const main = article?.content && article.textContent?.trim() ? article.content : document.body;
  const partial = cutAfter(main, maxChars);
  return { title: (article?.title ?? "").trim() || pageTitle, markdown: tidy(markdownOf(main)), partial };
}

/** Readability's article of a copy of `document` (it takes apart what it reads), or null when it finds none or fails. */
function readArticle(document: Dom) {
  try {
    const copy = document.cloneNode(true) as unknown as ConstructorParameters<typeof Readability>[0];
    return new Readability<TurndownInput>(copy, { serializer: (node) => node as TurndownInput }).parse();
  } catch {
    // Readability gave up on this DOM: the whole body is still readable.
    return null;
  }
}

/**
 * Removes everything in `root` after its first `chars` characters of text, whitespace runs counted
 * as one (as Markdown shows them, so the Markdown is at least that long). True when it removed some.
 */
function cutAfter(root: DomNode, chars: number): boolean {
  let seen = 0;
  let node: DomNode | null = root.firstChild;
  while (node) {
    if (node.nodeType === TEXT_NODE) seen += (node.textContent ?? "").replace(/\s+/g, " ").length;
    if (seen > chars) {
      for (let n: DomNode | null = node; n && n !== root; n = n.parentNode) while (n.nextSibling) n.nextSibling.remove();
      return true;
    }
    if (node.firstChild) node = node.firstChild;
    else {
      while (node && node !== root && !node.nextSibling) node = node.parentNode;
      node = node && node !== root ? node.nextSibling : null;
    }
  }
  return false;
}

const TEXT_NODE = 3;

const HEAD_TAGS = new Set(["TITLE", "META", "LINK", "BASE", "STYLE"]);

/**
 * An HTML document with a real head and body, whatever tags the page left out. linkedom does not
 * build the implied <html>, <head> and <body> of the HTML parsing algorithm (a page without them,
 * or a bare fragment, comes out with an empty body), so the page is parsed as a fragment and its
 * top-level nodes placed into a skeleton: head elements into <head>, the rest into <body>.
 */
function parseDocument(html: string): Dom {
  const { document } = parseHTML("<!DOCTYPE html><html><head></head><body></body></html>");
  const holder = document.createElement("div");
  // A doctype in fragment parsing swallows what follows it; it carries nothing for reading.
  holder.innerHTML = html.replace(/<!doctype[^>]*>/gi, "");
  const place = (nodes: ArrayLike<ChildOf<Dom>>) => {
    for (const node of Array.from(nodes)) {
      if (node.nodeName === "HTML" || node.nodeName === "HEAD" || node.nodeName === "BODY") place(node.childNodes);
      else (HEAD_TAGS.has(node.nodeName) ? document.head : document.body).appendChild(node);
    }
  };
  place(holder.childNodes);
  return document;
}

/** Turndown with ATX headings, fenced code and `-` bullets; data: images become their alt text. */
function markdownOf(root: TurndownInput): string {
  turndown ??= new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-", emDelimiter: "*" }).addRule("inlineImages", {
    // A data: URI image is kilobytes of base64 that tell the model nothing.
    filter: (node) => node.nodeName === "IMG" && (node.getAttribute("src") ?? "").startsWith("data:"),
    replacement: (_content, node) => {
      const alt = node.getAttribute("alt")?.trim();
      return alt ? `[image: ${alt}]` : "";
    },
  });
  return turndown.turndown(root);
}

/** Links and images point at absolute http(s) URLs (a relative link is useless out of its page); other schemes lose the link. */
function absolutize(document: Dom, pageUrl: string): void {
  const baseHref = document.querySelector("base[href]")?.getAttribute("href");
  const base = baseHref && URL.canParse(baseHref, pageUrl) ? new URL(baseHref, pageUrl).href : pageUrl;
  for (const [selector, attr] of [
    ["a[href]", "href"],
    ["img[src]", "src"],
  ] as const) {
    for (const el of document.querySelectorAll(selector)) {
      const value = el.getAttribute(attr)!.trim();
      if (value.startsWith("data:") && attr === "src") continue;
      const url = URL.canParse(value, base) ? new URL(value, base) : null;
      if (url && /^(https?|mailto):$/.test(url.protocol)) el.setAttribute(attr, url.href);
      else el.removeAttribute(attr);
    }
  }
}

/** Blank runs collapsed to one empty line, trailing spaces gone. */
function tidy(markdown: string): string {
  return markdown
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
