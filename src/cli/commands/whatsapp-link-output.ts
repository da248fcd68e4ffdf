/** What `channels login whatsapp` shows while linking, the same whether this process or the gateway links: the QR code or pairing code, then the result. */
import QRCode from "qrcode";
import { printLines } from "../output.ts";

/** One JSON line (events as they come, then the result); an error is the usual JSON document after them. */
export const jsonLine = (value: unknown) => void process.stdout.write(`${JSON.stringify(value)}\n`);

/** Shows a QR code to scan (drawn in the terminal; with --json, its content). */
export async function showQr(content: string, json: boolean | undefined): Promise<void> {
  if (json) return jsonLine({ event: "qr", qr: content });
  const art = await QRCode.toString(content, { type: "terminal", small: true });
  printLines(["", "On the phone: WhatsApp > Settings > Linked devices > Link a device, and scan:", art]);
}

/** Shows the pairing code to type on the phone. */
export function showCode(code: string, json: boolean | undefined): void {
  if (json) return jsonLine({ event: "code", code });
  printLines([
    "",
    `On the phone: WhatsApp > Settings > Linked devices > Link a device > Link with phone number instead, and type: ${code.slice(0, 4)}-${code.slice(4)}`,
  ]);
}

export function waitingLine(phone: string | undefined): string {
  return phone ? `Asking WhatsApp for a pairing code for ${phone}…` : "Waiting for WhatsApp's QR code…";
}
