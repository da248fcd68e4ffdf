/**
 * Devices (issue 18, docs/devices.md): companion apps, OpenClaw's CLI on another host and the
 * Control UI prove an Ed25519 key at connect; a key nobody approved waits as a request.
 *   - `devices`: an approved key, its roles and scopes, and how it was approved (`owner`: by a
 *     person; `local`: a loopback client that proved the gateway's own secret).
 *   - `device_tokens`: the reusable token per device and role, stored as its SHA-256 only.
 *   - `device_requests`: one pending request per device; it lapses 5 minutes after the device
 *     last asked (`refreshed_at`).
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 9,
  name: "devices",
  up(db) {
    db.exec(`
CREATE TABLE devices (
  device_id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  display_name TEXT,
  label TEXT,
  platform TEXT,
  device_family TEXT,
  client_id TEXT NOT NULL,
  client_mode TEXT NOT NULL,
  roles TEXT NOT NULL,
  scopes TEXT NOT NULL,
  approved_via TEXT NOT NULL CHECK (approved_via IN ('owner', 'local')),
  remote_ip TEXT,
  created_at INTEGER NOT NULL,
  approved_at INTEGER NOT NULL,
  last_seen_at INTEGER
) STRICT;
CREATE TABLE device_tokens (
  device_id TEXT NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (device_id, role)
) STRICT;
CREATE TABLE device_requests (
  request_id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  display_name TEXT,
  platform TEXT,
  device_family TEXT,
  client_id TEXT NOT NULL,
  client_mode TEXT NOT NULL,
  role TEXT NOT NULL,
  scopes TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('not-paired', 'role-upgrade', 'scope-upgrade')),
  remote_ip TEXT,
  created_at INTEGER NOT NULL,
  refreshed_at INTEGER NOT NULL
) STRICT;
`);
  },
};

export default migration;
