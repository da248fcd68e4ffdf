import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, cliPath, freePort, tmpDir } from "../helpers/gateway.ts";
import { bounded, reapAll } from "./support.ts";

after(reapAll);

test("the binary run directly carries its shebang's memory cap and starts a gateway", bounded, async () => {
  const port = await freePort();
  const env = brainEnv(path.join(tmpDir(), "state"), { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` });
  const child = spawn(cliPath, ["gateway", "--port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    const deadline = Date.now() + 10_000;
    while (!out.includes("gateway listening") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(out, /gateway listening/);
    const cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    assert.ok(cmdline.includes("--max-semi-space-size=1"), cmdline.join(" "));
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0);
});

test("a Node older than 22.13 gets a clear message and exit 2, not a stack trace", (t) => {
  const oldNode = ["/usr/bin/node", "/bin/node"].find(
    (p) => fs.existsSync(p) && spawnSync(p, ["-p", "process.versions.node.split('.')[0] < 22"]).stdout?.toString().trim() === "true",
  );
  if (!oldNode) return t.skip("no Node older than 22 on this machine");
  const r = spawnSync(oldNode, [cliPath, "--version"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is too old: onebrain needs Node >= 22\.13/);
  assert.match(r.stderr, /scripts\/install\.sh/);
});
