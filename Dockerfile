# syntax=docker/dockerfile:1
# onebrain in a container: one gateway, one brain, its state in the /data volume.
#   docker build -t onebrain .     then see compose.yaml (and docs/deploy.md) to run it.
# Stage "build" bundles dist/ (the CLI and the operator console) with the dev dependencies.
# Stage "runtime" is Node, tini and bin/ + dist/ + package.json, and one package: dist/ bundles
# every dependency except playwright-core (it reads its own files at run time), which the browser
# control service loads on first use. `--build-arg WITH_CHROMIUM=1` adds Debian's chromium, for
# the browser (docs/browser.md: in a container it runs headless, with --no-sandbox).

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script is the build, which needs the sources copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node scripts/build.js

FROM node:24-bookworm-slim AS runtime
ARG WITH_CHROMIUM=0
# tini as PID 1 forwards SIGTERM to the gateway (which drains, then exits 0) and reaps zombies.
# /data belongs to the runtime user (uid 1000, "node" in this image) and is private to it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && if [ "$WITH_CHROMIUM" = 1 ]; then apt-get install -y --no-install-recommends chromium fonts-liberation; fi \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown 1000:1000 /data \
 && chmod 0700 /data
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/node_modules/playwright-core ./node_modules/playwright-core
RUN ln -s /app/bin/onebrain.js /usr/local/bin/onebrain
ENV NODE_ENV=production \
    ONEBRAIN_STATE_DIR=/data
VOLUME ["/data"]
EXPOSE 18789
# Numeric, so that runAsNonRoot checks can verify it without reading /etc/passwd.
USER 1000:1000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["onebrain", "gateway", "probe", "--timeout", "5000"]
STOPSIGNAL SIGTERM
# -s: still reaps when something else is PID 1 (compose's `init: true` runs docker-init there).
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
# Inside a container the gateway must listen on 0.0.0.0 to be reachable through a published port,
# so the config's gateway.bind is made `lan` before the start (written once into /data). The
# gateway refuses a non-loopback bind without auth (exit 13): give it ONEBRAIN_GATEWAY_TOKEN.
CMD ["sh", "-c", "[ \"$(onebrain config get gateway.bind 2>/dev/null)\" = lan ] || onebrain config set gateway.bind lan >/dev/null || exit; exec onebrain gateway run"]
