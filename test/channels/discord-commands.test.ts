/**
 * Discord's slash commands against the fake Discord: registration once, the deferred ack, the
 * reply that fills in the response (redone as an edit when its answer is lost, sent to the channel
 * once the token is gone), and a refused token that leaves nothing in doubt.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { PartialDeliveryError } from "../../src/channels/channel.ts";
import { ackInteraction, registerCommands } from "../../src/channels/discord/commands.ts";
import { createRest } from "../../src/channels/discord/rest.ts";
import { DiscordSender } from "../../src/channels/discord/send.ts";
import { FakeDiscord } from "../helpers/fake-discord.ts";
import { logger, para, reply, sender as senderOn, settings } from "./discord-send-support.ts";

const fake = new FakeDiscord();
const sender = () => senderOn(fake);

before(() => fake.start());
after(() => fake.close());

test("a slash command's reply fills in its deferred response; the rest of a long one goes to the channel", async () => {
  const s = sender();
  const rest = createRest({ token: fake.token, apiRoot: fake.apiRoot, env: {} });
  const user = fake.user();
  const dm = fake.dm(user);
  const i = fake.slash(dm, user, "status");
  await ackInteraction(rest, i);
  s.interactionPending(i.id, i.token, dm);
  assert.equal(fake.interactionResponses.at(-1)?.type, 5);
  await s.deliver(reply(dm, i.id, `${para("e")}\n\n${para("f")}`), AbortSignal.timeout(10_000));
  assert.equal(fake.followUps.at(-1)?.content, para("e"));
  assert.deepEqual(
    fake.botMessages(dm).map((m) => m.content),
    [para("e"), para("f")],
  );
});

test("slash commands are registered once: a second start finds them and does not overwrite", async () => {
  const rest = createRest({ token: fake.token, apiRoot: fake.apiRoot, env: {} });
  const puts = () => fake.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/commands")).length;
  await registerCommands(rest, fake.applicationId, logger);
  assert.deepEqual(
    fake
      .commands()
      .map((c) => String(c.name))
      .sort((a, b) => a.localeCompare(b)),
    ["new", "status"],
  );
  await registerCommands(rest, fake.applicationId, logger);
  assert.equal(puts(), 1);
});

test("registering the commands with a refused token is logged, never thrown", async () => {
  const other = new FakeDiscord();
  await other.start();
  try {
    const old = other.token;
    other.resetToken();
    const rest = createRest({ token: old, apiRoot: other.apiRoot, env: {} });
    await registerCommands(rest, other.applicationId, logger);
    assert.equal(other.commands().length, 0);
  } finally {
    await other.close();
  }
});

test("after Discord refuses the token, a send is not in doubt: the client drops the token and writes nothing", async () => {
  const other = new FakeDiscord();
  await other.start();
  try {
    const old = other.token;
    other.resetToken();
    const rest = createRest({ token: old, apiRoot: other.apiRoot, env: {} });
    const s = new DiscordSender({ rest, settings: () => settings, botId: () => other.botId, applicationId: () => other.applicationId, logger });
    const dm = other.dm(other.user());
    for (const _ of [1, 2]) {
      const err = (await s.deliver(reply(dm, null, "hi"), AbortSignal.timeout(10_000)).catch((e: unknown) => e)) as PartialDeliveryError;
      assert.deepEqual([err.inDoubt, err.permanent], [false, undefined], err.message);
    }
    assert.equal(other.botMessages(dm).length, 0);
  } finally {
    await other.close();
  }
});

test("a slash command's reply whose edit got no answer is redone, as an edit: the response shows it once", async () => {
  const s = sender();
  const rest = createRest({ token: fake.token, apiRoot: fake.apiRoot, env: {} });
  const user = fake.user();
  const dm = fake.dm(user);
  const i = fake.slash(dm, user, "new");
  await ackInteraction(rest, i);
  s.interactionPending(i.id, i.token, dm);
  const m = reply(dm, i.id, "A new session has started.");
  fake.loseAnswers(1, (r) => r.method === "PATCH");
  const err = (await s.deliver(m, AbortSignal.timeout(10_000)).catch((e: unknown) => e)) as PartialDeliveryError;
  assert.equal(err.inDoubt, true);
  const check = await s.checkSent(
    { idempotencyKey: m.idempotencyKey, target: dm, replyTo: i.id, text: m.text, part: 0, floor: s.sendFloor(m, null), startedAt: Date.now() },
    AbortSignal.timeout(10_000),
  );
  assert.equal(check.sent, false);
  await s.deliver(m, AbortSignal.timeout(10_000));
  assert.deepEqual(
    fake.botMessages(dm).map((b) => b.content),
    ["A new session has started."],
  );
});

test("a reply to a slash command whose token is no longer held goes to the channel as a plain message", async () => {
  let now = Date.now();
  const rest = createRest({ token: fake.token, apiRoot: fake.apiRoot, env: {} });
  const s = senderOn(fake, { now: () => now });
  const user = fake.user();
  const dm = fake.dm(user);
  const i = fake.slash(dm, user, "status");
  await ackInteraction(rest, i);
  s.interactionPending(i.id, i.token, dm);
  now += 15 * 60_000;
  await s.deliver(reply(dm, i.id, "status: fine"), AbortSignal.timeout(10_000));
  const posted = fake.botMessages(dm).find((b) => b.content === "status: fine");
  assert.ok(posted, "posted to the channel");
  assert.equal(posted.message_reference, undefined);
});
