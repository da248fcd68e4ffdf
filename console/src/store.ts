/**
 * The token or password, kept in this origin's localStorage so the operator types it once.
 * Storage can be missing or throw (private mode, disabled storage): then the secret lives only
 * as long as the page.
 */

const KEY = "onebrain.console.secret";

/** The subset of Web Storage used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The stored secret, or null. */
export function loadSecret(storage: StorageLike | null): string | null {
  try {
    return storage?.getItem(KEY) || null;
  } catch {
    return null;
  }
}

/** Stores the secret; returns false when storage refused it. */
export function saveSecret(storage: StorageLike | null, secret: string): boolean {
  try {
    storage?.setItem(KEY, secret);
    return storage !== null;
  } catch {
    return false;
  }
}

/** Forgets the stored secret. */
export function forgetSecret(storage: StorageLike | null): void {
  try {
    storage?.removeItem(KEY);
  } catch {
    // Nothing stored that we could remove.
  }
}
