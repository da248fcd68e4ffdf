/**
 * The WhatsApp card of the channels page: link a device (a QR code to scan, or a pairing code to
 * type with a phone number), follow the link until the phone accepted, cancel it; once linked,
 * unlink (`whatsapp.link.*`, `whatsapp.logout`; docs/whatsapp.md). The QR code arrives as SVG
 * markup and is shown only as an image from a data URL: never parsed into the page.
 */
import { useState } from "preact/hooks";
import type { LinkView } from "../../../src/protocol/whatsapp.ts";
import { duration } from "../ui/format.ts";
import { useNow } from "../ui/hooks.ts";
import { underWay, useWhatsAppLink, type WhatsAppLink } from "./whatsapp-link.ts";

/** What the card reads of the `whatsapp` entry of `channels.status`. */
export interface WhatsAppEntry {
  state: string;
  /** The linked device (`{source: "linked", masked: "+491…001"}`), null when no keys are here. */
  token?: { source: string; masked: string | null } | null;
}

interface CardProps {
  /** The `whatsapp` entry of the channel list, if there is one. */
  channel: WhatsAppEntry | undefined;
  /** When the channel list was read (epoch ms). */
  channelAt: number | null;
  /** Reloads the channel list (a device was linked or unlinked). */
  onChange: () => void;
}

const PATH = "WhatsApp > Settings > Linked devices > Link a device";

/** An `<img>` source for SVG markup: a data URL, so the markup never becomes part of the page. */
export const svgDataUrl = (svg: string): string => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/** A pairing code as WhatsApp shows it on the phone: `ABCD-1234`. */
export const pairingCode = (code: string): string => (code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code);

/**
 * Whether the card follows a link, offers to unlink, or offers to link. The channel list says
 * whether a device's keys are here; until it was read again after a link or an unlink, the link
 * view does (`fresh`: the channel list was read since).
 */
function modeOf(view: LinkView | null, channel: WhatsAppEntry | undefined, fresh: boolean): "linking" | "linked" | "unlinked" {
  if (underWay(view)) return "linking";
  const linked = fresh ? Boolean(channel?.token) : view?.state === "linked";
  return linked ? "linked" : "unlinked";
}

function headline(state: string, view: LinkView | null, account: string): string {
  if (state === "linked") return `Linked ${account}`;
  if (state === "starting") return "Opening a WhatsApp session…";
  if (state === "qr") return "Scan this QR code with the phone.";
  if (state === "code") return "Waiting for the pairing code to be typed on the phone.";
  if (state === "failed") return `Linking failed: ${view?.error ?? "the link ended without a phone"}`;
  if (state === "cancelled") return "Linking was cancelled before the phone accepted.";
  return "No WhatsApp device is linked to this brain.";
}

/** The QR code or pairing code, where to find the screen on the phone, the time left, and Cancel. */
function Linking({ view, wa }: { view: LinkView; wa: WhatsAppLink }) {
  const now = useNow(1000);
  const left = view.expiresAt ? Math.max(0, view.expiresAt - now) : null;
  return (
    <>
      {view.state === "qr" &&
        (view.qrSvg ? (
          <img class="wa-qr" data-testid="whatsapp-qr" src={svgDataUrl(view.qrSvg)} alt="QR code to scan with WhatsApp on the phone" />
        ) : (
          <p class="muted">Drawing the QR code…</p>
        ))}
      {view.state === "code" && view.code && (
        <p>
          Type on the phone:{" "}
          <span class="wa-code" data-testid="whatsapp-code">
            {pairingCode(view.code)}
          </span>
        </p>
      )}
      <p class="muted">
        {view.method === "code" ? `On the phone: ${PATH} > Link with phone number instead, and type the code.` : `On the phone: ${PATH}, and scan the code.`}
        {view.state === "qr" && " A fresh QR code replaces this one about every 20 s."}
      </p>
      <div class="row">
        <span class="muted grow">{left !== null ? `Gives up in ${duration(left)}.` : ""}</span>
        <button type="button" class="btn" data-testid="whatsapp-cancel" disabled={wa.busy !== null} onClick={() => void wa.cancel()}>
          {wa.busy === "cancel" ? "Cancelling…" : "Cancel"}
        </button>
      </div>
    </>
  );
}

/** The channel's state, and Unlink with a confirm step. */
function Linked({ account, channel, wa }: { account: string; channel: WhatsAppEntry | undefined; wa: WhatsAppLink }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming)
    return (
      <div class="row">
        <span class="muted grow">
          {channel ? <span class={`pill pill-${channel.state}`}>{channel.state}</span> : "The channel starts now."} Messages from allowed senders reach the
          agent.
        </span>
        <button type="button" class="btn btn-danger" data-testid="whatsapp-unlink" onClick={() => setConfirming(true)}>
          Unlink
        </button>
      </div>
    );
  return (
    <div class="row">
      <span class="grow">Unlink {account}? The channel stops, WhatsApp is told when its session is open, and the keys are deleted here.</span>
      <button type="button" class="btn btn-danger" data-testid="whatsapp-unlink-confirm" disabled={wa.busy !== null} onClick={() => void wa.unlink()}>
        {wa.busy === "unlink" ? "Unlinking…" : "Yes, unlink"}
      </button>
      <button type="button" class="btn" disabled={wa.busy !== null} onClick={() => setConfirming(false)}>
        Keep
      </button>
    </div>
  );
}

/** Link WhatsApp: by QR code, or by pairing code when a phone number is typed. */
function LinkForm({ wa }: { wa: WhatsAppLink }) {
  const [phone, setPhone] = useState("");
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        // form-action 'none' forbids a real submission; the request goes over the WebSocket.
        e.preventDefault();
        const digits = phone.replace(/[\s().-]/g, "");
        void wa.start(digits || undefined);
      }}
    >
      <button type="submit" class="btn btn-primary" data-testid="whatsapp-link" disabled={wa.busy !== null}>
        {wa.busy === "start" ? "Starting…" : "Link WhatsApp"}
      </button>
      <label class="field-inline">
        or link with phone number instead:
        <input
          type="tel"
          class="input"
          data-testid="whatsapp-phone"
          placeholder="+4915123456789"
          autocomplete="off"
          value={phone}
          onInput={(e) => setPhone(e.currentTarget.value)}
        />
      </label>
    </form>
  );
}

/** What the last unlink did, in words. */
function UnlinkNote({ wa }: { wa: WhatsAppLink }) {
  const u = wa.unlinked;
  if (!u) return null;
  return (
    <p class="muted" data-testid="whatsapp-unlinked" data-told={String(u.toldWhatsApp)}>
      {u.unlinked ? `Unlinked ${u.unlinked}: the channel stopped and the keys were deleted here. ` : "No WhatsApp device was linked. "}
      {u.unlinked &&
        (u.toldWhatsApp
          ? "WhatsApp was told: the device left the phone's Linked devices list."
          : "WhatsApp could not be told (the session was not open): remove the device on the phone, WhatsApp > Settings > Linked devices.")}
    </p>
  );
}

/** The WhatsApp card. */
export function WhatsAppCard({ channel, channelAt, onChange }: CardProps) {
  const wa = useWhatsAppLink(onChange);
  const view = wa.view;
  const fresh = (channelAt ?? 0) > wa.changedAt;
  const mode = modeOf(view, channel, fresh);
  const state = mode === "linked" ? "linked" : mode === "unlinked" && view?.state === "linked" ? "idle" : (view?.state ?? "idle");
  const account = (view?.state === "linked" ? view.account : null) ?? channel?.token?.masked ?? "";
  const trouble = state === "failed" || state === "cancelled";
  return (
    <div class="card wa-card" data-testid="whatsapp">
      <div class="toolbar">
        <h2 class="grow">WhatsApp</h2>
        <span class="muted">
          also: <code>onebrain channels login whatsapp</code>
        </span>
      </div>
      <p class={state === "failed" ? "error-text" : trouble ? "warn-text" : ""} data-testid="whatsapp-link-state" data-state={state}>
        {headline(state, view, account)}
      </p>
      {mode === "linking" && view && <Linking view={view} wa={wa} />}
      {mode === "linked" && <Linked account={account} channel={fresh ? channel : undefined} wa={wa} />}
      {mode === "unlinked" && (
        <>
          <UnlinkNote wa={wa} />
          <LinkForm wa={wa} />
        </>
      )}
      {wa.error && <p class="error-text">{wa.error}</p>}
    </div>
  );
}
