/**
 * Pairing: who may reach the agent through a channel whose senders are strangers by default.
 * An unknown sender's direct message gets a short code (nothing reaches the agent); the operator
 * approves it (`onebrain pairing approve telegram CODE`, or the console), and the approved row
 * is that sender's entry in the allow list from then on. Codes are 8 characters from an alphabet
 * without look-alikes (no 0/O, 1/I/L) and are valid for an hour; an expired request is deleted
 * and the sender's next message makes a new one.
 */
import { CODE_ALPHABET, CODE_LENGTH, newShortCode, normalizeCode } from "../shared/short-code.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { PairingRow } from "../store/rows.ts";
import type { ChannelAccess } from "./channel.ts";

/** How long a pairing code stays valid. */
export const PAIRING_TTL_MS = 3_600_000;
export { CODE_ALPHABET, CODE_LENGTH, normalizeCode };

/** The access settings of a channel (its config section). */
export interface AccessPolicy {
  /** pairing: unknown senders get a code; allowlist: they are ignored; open: everyone is allowed. */
  dmPolicy: "pairing" | "allowlist" | "open";
  /** Sender ids, or `@usernames` (case-insensitive), always allowed. */
  allowFrom: readonly string[];
}

/** A stranger who wrote to the channel directly and should be told how to get access. */
export interface PairingAsk {
  sender: string;
  /** Shown to the operator: the name and the id. */
  senderName: string;
  /** The private chat to answer in. */
  peer: string;
}

/** A fresh random pairing code. */
export const newPairingCode = newShortCode;

/** True when the sender is in the list by id or by `@username`. */
export function inAllowList(list: readonly string[], sender: string, senderName?: string): boolean {
  const name = senderName?.replace(/^@/, "").toLowerCase();
  return list.some((entry) => {
    const e = entry.trim();
    if (e === "*") return true;
    if (e.startsWith("@")) return name !== undefined && e.slice(1).toLowerCase() === name;
    return e === sender;
  });
}

/** True when the operator approved this sender on this channel account. */
export function isPaired(store: StoreHandle, channel: string, account: string, sender: string): boolean {
  return (
    store.prepare("SELECT 1 FROM pairings WHERE channel = ? AND account = ? AND sender = ? AND approved_at IS NOT NULL").get(channel, account, sender) !==
    undefined
  );
}

/**
 * The pending code of a sender, or a new one (replacing an expired request). A transaction of
 * its own: it is called for a message that was not ingested, so there is nothing to join.
 */
export function requestPairing(
  store: StoreHandle,
  p: { channel: string; account: string; sender: string; senderName?: string; peer: string; now: number },
): { code: string; isNew: boolean } {
  return store.transaction(() => {
    const row = store
      .prepare("SELECT code, expires_at, approved_at FROM pairings WHERE channel = ? AND account = ? AND sender = ?")
      .get(p.channel, p.account, p.sender) as { code: string; expires_at: number; approved_at: number | null } | undefined;
    if (row && (row.approved_at !== null || row.expires_at > p.now)) return { code: row.code, isNew: false };
    store.prepare("DELETE FROM pairings WHERE channel = ? AND approved_at IS NULL AND expires_at <= ?").run(p.channel, p.now);
    for (;;) {
      const code = newPairingCode();
      const taken = store.prepare("SELECT 1 FROM pairings WHERE channel = ? AND code = ?").get(p.channel, code);
      if (taken) continue; // 31^8 codes: a collision is rare, but UNIQUE would make it an error
      store
        .prepare(`INSERT INTO pairings (channel, account, sender, sender_name, peer, code, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(p.channel, p.account, p.sender, p.senderName ?? null, p.peer, code, p.now, p.now + PAIRING_TTL_MS);
      return { code, isNew: true };
    }
  });
}

/** Approves a pending, unexpired code of a channel; the approved row, or null when no such code is pending. */
export function approvePairing(store: StoreHandle, channel: string, code: string, by: string, now: number = Date.now()): PairingRow | null {
  return store.transaction(() => {
    const row = store
      .prepare(
        `UPDATE pairings SET approved_at = ?, approved_by = ?
         WHERE channel = ? AND code = ? AND approved_at IS NULL AND expires_at > ? RETURNING *`,
      )
      .get(now, by, channel, normalizeCode(code), now) as PairingRow | undefined;
    return row ?? null;
  });
}

/** Removes a sender's pairing (approved or pending); true when there was one. */
export function revokePairing(store: StoreHandle, channel: string, account: string, sender: string): boolean {
  return Number(store.prepare("DELETE FROM pairings WHERE channel = ? AND account = ? AND sender = ?").run(channel, account, sender).changes) > 0;
}

/** Pairings (pending and approved, expired ones included), newest first; one channel or all. */
export function listPairings(store: StoreHandle, channel?: string): PairingRow[] {
  const sql = `SELECT * FROM pairings ${channel ? "WHERE channel = ?" : ""} ORDER BY created_at DESC, rowid DESC`;
  return (channel ? store.prepare(sql).all(channel) : store.prepare(sql).all()) as unknown as PairingRow[];
}

/** ChannelAccess for one channel account over the store and its policy (read at each call, so a reload applies). */
export function createChannelAccess(o: {
  store: StoreHandle;
  channel: string;
  account: string;
  policy: () => AccessPolicy;
  now?: () => number;
}): ChannelAccess {
  const now = o.now ?? Date.now;
  return {
    isAllowed(sender, senderName) {
      const p = o.policy();
      if (p.dmPolicy === "open" || inAllowList(p.allowFrom, sender, senderName)) return true;
      return isPaired(o.store, o.channel, o.account, sender);
    },
    isOwner(sender, senderName) {
      return inAllowList(
        o.policy().allowFrom.filter((e) => e.trim() !== "*"),
        sender,
        senderName,
      );
    },
    requestPairing(r) {
      return requestPairing(o.store, {
        channel: o.channel,
        account: o.account,
        sender: r.sender,
        ...(r.senderName !== undefined ? { senderName: r.senderName } : {}),
        peer: r.peer,
        now: now(),
      });
    },
  };
}
