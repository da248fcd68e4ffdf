/** Message ids of our sends: WhatsApp Web's form, the same for a resend, and recognisable as ours by the linked device's secret alone. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageIds } from "../../../src/channels/whatsapp/ids.ts";

test("an id is 3EB0 and 18 hex digits, the same for the same outbox key and part, different for another part or key", () => {
  const ids = new MessageIds("secret-of-the-device");
  const a = ids.idFor("outbox:17", 0);
  assert.match(a, /^3EB0[0-9A-F]{18}$/);
  assert.equal(new MessageIds("secret-of-the-device").idFor("outbox:17", 0), a, "a new process makes the same id");
  assert.notEqual(ids.idFor("outbox:17", 1), a);
  assert.notEqual(ids.idFor("outbox:18", 0), a);
});

test("ours() knows this device's ids after a restart, and refuses others, tampered ones and other shapes", () => {
  const ids = new MessageIds("secret-of-the-device");
  const a = ids.idFor("outbox:17", 0);
  assert.equal(new MessageIds("secret-of-the-device").ours(a), true);
  assert.equal(new MessageIds("another device").ours(a), false);
  const flipped = a.slice(0, 10) + (a[10] === "0" ? "1" : "0") + a.slice(11);
  assert.equal(ids.ours(flipped), false);
  for (const other of ["", "3EB0", "ABCDEF0123456789", `${a}0`, a.toLowerCase(), "3A1B2C3D4E5F60718293", "BAE5F00DBAE5F00D"])
    assert.equal(ids.ours(other), false, other);
  // Ids of the phone and of other WhatsApp clients are not ours, whatever their form.
  let mistaken = 0;
  for (let i = 0; i < 2000; i++) if (ids.ours(`3EB0${i.toString(16).toUpperCase().padStart(18, "0")}`)) mistaken++;
  assert.equal(mistaken, 0);
});
