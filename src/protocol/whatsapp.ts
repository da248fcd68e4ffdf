/** Linking a WhatsApp device through the gateway on the wire (`whatsapp.link.*`, `whatsapp.logout`; docs/whatsapp.md), shared by the server, the CLI and the console. */

/**
 * Where a link stands. `starting`: the session is opening; `qr`: a QR code to scan is shown (a new
 * one replaces it every ~20 s); `code`: a pairing code to type on the phone; `linked`: done, the
 * channel starts; `failed`/`cancelled`: over, `error` says why; `idle`: no link was asked for.
 */
export type LinkState = "idle" | "starting" | "qr" | "code" | "linked" | "failed" | "cancelled";

export interface LinkView {
  state: LinkState;
  /** By QR code or by pairing code (a phone number was given). */
  method: "qr" | "code" | null;
  /** The QR code's content (to draw), while `qr`. Whoever scans it links their number here: shown only to the operator. */
  qr: string | null;
  /** The same QR code drawn as SVG markup, while `qr`. */
  qrSvg: string | null;
  /** How many QR codes WhatsApp has sent in this link. */
  qrCount: number;
  /** The 8-character pairing code to type on the phone, while `code`. */
  code: string | null;
  /** The linked number (`+4915…`), once linked. */
  account: string | null;
  error: string | null;
  /** Error code of a failed link (WHATSAPP_LINK_FAILED, ...). */
  errorCode: string | null;
  startedAt: number | null;
  /** When the link gives up if no phone accepted (epoch ms). */
  expiresAt: number | null;
}

/** What `whatsapp.logout` did. */
export interface UnlinkResult {
  /** The number that was linked (`+4915…`), or null when none was. */
  unlinked: string | null;
  /** True when WhatsApp itself was told (the device left the phone's Linked devices list); false: forgotten here only. */
  toldWhatsApp: boolean;
}
