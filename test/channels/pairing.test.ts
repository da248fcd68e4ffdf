/** Pairing and access over a real store: codes, expiry, approval, allow lists, policies. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  approvePairing,
  CODE_ALPHABET,
  createChannelAccess,
  inAllowList,
  listPairings,
  newPairingCode,
  PAIRING_TTL_MS,
  revokePairing,
  type AccessPolicy,
} from "../../src/channels/pairing.ts";
import { openStore } from "../../src/store/db.ts";
import { tmpDir } from "../helpers/gateway.ts";

function setup(policy: AccessPolicy = { dmPolicy: "pairing", allowFrom: [] }) {
  const store = openStore(path.join(tmpDir(), "brain.db"));
  const clock = { now: 1_800_000_000_000 };
  const p = { ...policy };
  const access = createChannelAccess({ store, channel: "telegram", account: "42", policy: () => p, now: () => clock.now });
  return { store, clock, access, policy: p };
}

test("codes are 8 characters from an alphabet without look-alikes, and differ", () => {
  const codes = new Set(Array.from({ length: 500 }, () => newPairingCode()));
  assert.equal(codes.size, 500);
  for (const c of codes) assert.match(c, new RegExp(`^[${CODE_ALPHABET}]{8}$`));
  assert.doesNotMatch(CODE_ALPHABET, /[01OIL]/);
});

test("an unknown sender gets one code while it is valid; approval lets them in; the code cannot be used twice", () => {
  const { store, clock, access } = setup();
  assert.equal(access.isAllowed("7", "eve"), false);
  const first = access.requestPairing({ sender: "7", senderName: "Eve (@eve)", peer: "7" });
  assert.equal(first.isNew, true);
  assert.deepEqual(access.requestPairing({ sender: "7", peer: "7" }), { code: first.code, isNew: false });
  const [row] = listPairings(store, "telegram");
  assert.deepEqual(
    [row!.sender, row!.sender_name, row!.peer, row!.expires_at - row!.created_at, row!.approved_at],
    ["7", "Eve (@eve)", "7", PAIRING_TTL_MS, null],
  );
  assert.equal(approvePairing(store, "discord", first.code, "op", clock.now), null, "codes are per channel");
  const approved = approvePairing(store, "telegram", ` ${first.code.slice(0, 4).toLowerCase()}-${first.code.slice(4)} `.trim(), "op", clock.now);
  assert.equal(approved?.approved_by, "op");
  assert.equal(access.isAllowed("7"), true);
  assert.equal(approvePairing(store, "telegram", first.code, "op", clock.now), null, "already used");
  assert.deepEqual(access.requestPairing({ sender: "7", peer: "7" }), { code: first.code, isNew: false }, "an approved sender keeps their row");
  assert.equal(revokePairing(store, "telegram", "42", "7"), true);
  assert.equal(access.isAllowed("7"), false);
  store.close();
});

test("an expired code cannot be approved, and the sender's next message gets a new one", () => {
  const { store, clock, access } = setup();
  const old = access.requestPairing({ sender: "8", peer: "8" });
  clock.now += PAIRING_TTL_MS + 1;
  assert.equal(approvePairing(store, "telegram", old.code, "op", clock.now), null);
  const fresh = access.requestPairing({ sender: "8", peer: "8" });
  assert.equal(fresh.isNew, true);
  assert.notEqual(fresh.code, old.code);
  assert.equal(listPairings(store).length, 1, "the expired request was replaced");
  assert.ok(approvePairing(store, "telegram", fresh.code, "op", clock.now));
  store.close();
});

test("allowFrom matches ids and @usernames (any case); dmPolicy open lets everyone in", () => {
  assert.equal(inAllowList(["123", "@Ada"], "123"), true);
  assert.equal(inAllowList(["123", "@Ada"], "9", "ada"), true);
  assert.equal(inAllowList(["123", "@Ada"], "9", "@ADA"), true);
  assert.equal(inAllowList(["123", "@Ada"], "9", "bob"), false);
  assert.equal(inAllowList(["123"], "1234"), false);
  const { store, access, policy } = setup({ dmPolicy: "allowlist", allowFrom: ["5"] });
  assert.equal(access.isAllowed("5"), true);
  assert.equal(access.isAllowed("6"), false);
  policy.dmPolicy = "open";
  assert.equal(access.isAllowed("6"), true, "the policy is read at each call (a reload applies)");
  assert.deepEqual([access.isOwner("5"), access.isOwner("6")], [true, false], "let in by the policy is not the owner");
  policy.allowFrom = ["*", "@Ada"];
  assert.deepEqual(
    [access.isAllowed("6"), access.isOwner("6"), access.isOwner("9", "ada")],
    [true, false, true],
    "'*' lets everyone in and makes nobody the owner",
  );
  store.close();
});
