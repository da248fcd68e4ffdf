/**
 * The provider contract behind an outbound proxy (part of provider-contract.test.ts): a real
 * forward proxy that alone resolves `model.test`, and TLS in front of the fake model for https.
 */
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import type { CompletionRequest, ModelProvider } from "../../src/agent/provider.ts";
import type { ProviderKindName, ProviderOptions } from "../../src/agent/providers/registry.ts";
import { failureDetails } from "../../src/agent/failure.ts";
import { explainFailure } from "../../src/agent/explain.ts";
import { hasCode, type OnebrainError } from "../../src/shared/errors.ts";
import { hasIdleConnection } from "../../src/shared/http-client.ts";
import { ForwardProxy, testCertificate, tlsFront } from "../helpers/forward-proxy.ts";
import { tmpDir } from "../helpers/gateway.ts";

// A name only the test proxy resolves: not loopback by name, so the proxy rule applies to it.
const PROXIED_NAME = "model.test";
const pem = testCertificate(tmpDir(), [PROXIED_NAME]);
tls.setDefaultCACertificates([...tls.getCACertificates("default"), pem.cert]);

/** What the contract hands over: the provider factory and its helpers for one wire format. */
export interface ProxyCaseContext {
  kind: ProviderKindName;
  /** The fake model's baseUrl for this format (on 127.0.0.1). */
  baseUrl(): string;
  make(over?: Partial<ProviderOptions>): ModelProvider;
  request(): CompletionRequest;
  rejection(p: Promise<unknown>): Promise<OnebrainError>;
  waitFor(cond: () => boolean): Promise<void>;
}

/** Registers the proxy cases of one provider. */
export function proxyCases(o: ProxyCaseContext): void {
  describe("behind an outbound proxy", () => {
    const proxy = new ForwardProxy();
    let front: Awaited<ReturnType<typeof tlsFront>>;
    const port = () => Number(new URL(o.baseUrl()).port);
    before(async () => {
      await proxy.start();
      proxy.hosts[PROXIED_NAME] = "127.0.0.1";
      front = await tlsFront(port(), pem);
    });
    after(async () => {
      await front.close();
      await proxy.close();
    });
    beforeEach(() => {
      proxy.carried.length = 0;
      proxy.credentials = undefined;
      proxy.connect = { kind: "established", line: "HTTP/1.1 200 Connection Established" };
    });
    const onName = (scheme: string, p: number) => o.baseUrl().replace(`http://127.0.0.1:${port()}`, `${scheme}://${PROXIED_NAME}:${p}`);

    test("an http baseUrl goes through HTTP_PROXY as an absolute URI, both requests on one kept-alive proxy connection", async () => {
      const env = { HTTP_PROXY: proxy.url() };
      const provider = o.make({ baseUrl: onName("http", port()), env });
      assert.equal((await provider.complete(o.request())).text, "echo: say something nice");
      // The first body is drained in the background; its connection then waits in the pool.
      await o.waitFor(() => hasIdleConnection(onName("http", port()), env));
      await provider.complete(o.request());
      const url = `${onName("http", port())}${o.kind === "anthropic" ? "/v1/messages" : "/chat/completions"}`;
      assert.deepEqual(
        proxy.carried.map((c) => [c.method, c.target, c.status]),
        [
          ["POST", url, 200],
          ["POST", url, 200],
        ],
      );
      assert.equal(proxy.carried[0]!.connection, proxy.carried[1]!.connection);
    });

    test("an https baseUrl goes through HTTPS_PROXY in a CONNECT tunnel with TLS to the target, with the proxy's credentials, kept alive", async () => {
      proxy.credentials = { user: "ada", pass: "pr0xy-p@ss" };
      const env = { https_proxy: proxy.url("ada:pr0xy-p%40ss"), HTTPS_PROXY: "http://127.0.0.1:9" };
      const provider = o.make({ baseUrl: onName("https", front.port), env });
      assert.equal((await provider.complete(o.request())).text, "echo: say something nice");
      await o.waitFor(() => hasIdleConnection(onName("https", front.port), env));
      await provider.complete(o.request());
      assert.deepEqual(
        proxy.carried.map((c) => [c.method, c.target, c.status]),
        [["CONNECT", `${PROXIED_NAME}:${front.port}`, 200]],
        "one tunnel for both requests",
      );
      assert.equal(proxy.carried[0]!.proxyAuthorization, `Basic ${Buffer.from("ada:pr0xy-p@ss").toString("base64")}`);
    });

    test("a proxy refusing the credentials of a CONNECT (407) is final, worded as the proxy's refusal, never with the password", async () => {
      proxy.credentials = { user: "ada", pass: "right-pass" };
      const err = await o.rejection(o.make({ baseUrl: onName("https", front.port), env: { HTTPS_PROXY: proxy.url("ada:wrong-pass") } }).complete(o.request()));
      assert.deepEqual([failureDetails(err)!.httpStatus, failureDetails(err)!.retryable, failureDetails(err)!.attempts], [407, false, 1]);
      assert.equal(proxy.carried.length, 1, "not retried");
      const explained = explainFailure(err, []);
      assert.deepEqual([explained.kind, explained.permanent], ["proxy-refused", true]);
      assert.match(explained.reply, /outbound proxy refused .*\(407\)\. Check the credentials in HTTP_PROXY \/ HTTPS_PROXY/);
      assert.ok(!JSON.stringify([err.message, err.details, err.hint, explained]).includes("wrong-pass"));
    });

    test(
      "a proxy that closes the connection during CONNECT fails the attempt at once with a coded error, not after the CONNECT timeout",
      { timeout: 15_000 },
      async () => {
        proxy.connect = { kind: "close" };
        const err = await o.rejection(
          o.make({ baseUrl: onName("https", front.port), retry: { retries: 0 }, env: { HTTPS_PROXY: proxy.url() } }).complete(o.request()),
        );
        assert.equal(failureDetails(err)!.kind, "network");
        assert.match(err.message, /proxy http:\/\/127\.0\.0\.1:\d+ closed the connection during CONNECT/);
        assert.ok(hasCode(err.cause, "PROXY_FAILED"), `coded: ${String(err.cause)}`);
      },
    );

    test("any 2xx answer to CONNECT opens the tunnel", async () => {
      proxy.connect = { kind: "established", line: "HTTP/1.1 204 Tunnel Open" };
      const r = await o.make({ baseUrl: onName("https", front.port), env: { HTTPS_PROXY: proxy.url() } }).complete(o.request());
      assert.equal(r.text, "echo: say something nice");
    });

    test("an http target whose proxy refuses the credentials gets the proxy's 407, final, worded as the proxy's refusal", async () => {
      proxy.credentials = { user: "ada", pass: "right-pass" };
      const err = await o.rejection(o.make({ baseUrl: onName("http", port()), env: { HTTP_PROXY: proxy.url("ada:wrong-pass") } }).complete(o.request()));
      assert.deepEqual([failureDetails(err)!.httpStatus, failureDetails(err)!.attempts], [407, 1]);
      const explained = explainFailure(err, []);
      assert.deepEqual([explained.kind, explained.permanent], ["proxy-refused", true]);
      assert.match(explained.reply, /outbound proxy refused .*\(407\)\. Check the credentials in HTTP_PROXY/);
      assert.ok(!JSON.stringify([err.message, explained]).includes("wrong-pass"));
    });

    test("NO_PROXY and loopback go direct: the proxy sees nothing", async () => {
      const direct = await o.make({ env: { HTTP_PROXY: proxy.url(), HTTPS_PROXY: proxy.url() } }).complete(o.request());
      assert.equal(direct.text, "echo: say something nice", "127.0.0.1 is reached directly");
      const err = await o.rejection(
        o.make({ baseUrl: onName("http", port()), retry: { retries: 0 }, env: { HTTP_PROXY: proxy.url(), NO_PROXY: "localhost,.test" } }).complete(o.request()),
      );
      assert.match(err.message, /ENOTFOUND|EAI_AGAIN/, "model.test went direct, where no DNS knows it");
      assert.deepEqual(proxy.carried, []);
    });
  });
}
