# syntax=docker/dockerfile:1
#
# crm-materializer: one image for every role.
#
#   docker build -t crm-materializer .
#   docker run -e REDIS_URL=... -e BOARD_USER=... -e BOARD_PASSWORD=... -e API_KEYS=... crm-materializer
#                                                                # every role, in one process
#   docker run -e REDIS_URL=... crm-materializer start --roles worker          # one role
#   docker run --rm -e REDIS_URL=... crm-materializer status                   # any command
#
# Debian (glibc) base, not Alpine: DuckDB's native binding comes from the npm
# package @duckdb/node-bindings-linux-x64, built for glibc.
# Checked by test/deploy/dockerfile.test.ts.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that this layer is reused while only sources change.
# --ignore-scripts: `prepare` (the build) needs the sources, copied below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime

# tini is PID 1: it forwards SIGTERM to node and reaps zombies, so a
# `docker stop` or a pod deletion starts the service's graceful shutdown.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production
# Listen on every interface inside the container (the default is loopback);
# liveness on a port and thread of its own (HEALTH_PORT).
ENV HOST=0.0.0.0
ENV HEALTH_PORT=8081
WORKDIR /app

# Production dependencies only. --ignore-scripts: `prepare` would build again
# (dist/ comes from the build stage), and no runtime dependency needs an
# install script (DuckDB and msgpackr load prebuilt binaries shipped as npm
# packages).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# What the service reads at run time: the compiled code, the bin, the SQL
# files and the Redis Lua scripts (read from ../../sql and ../../lua relative
# to dist/*/).
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY sql ./sql
COPY lua ./lua

# DUCKDB_PATH defaults to ./data/crm.duckdb: a volume mounted on /app/data
# starts with this ownership.
RUN mkdir -p /app/data && chown 1000:1000 /app/data

# The image's `node` user (uid 1000), never root.
USER 1000:1000

EXPOSE 3000 8081

# Every role answers /healthz on HEALTH_PORT (on PORT when HEALTH_PORT is
# unset). Node itself does the request: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM starts the graceful shutdown (SHUTDOWN_GRACE_MS, 30 s by default):
# give it longer than that before SIGKILL (docker stop -t 60, compose
# stop_grace_period, Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM

ENTRYPOINT ["tini", "--", "node", "bin/crm-materializer.js"]
CMD ["start", "--roles", "scheduler,worker,web"]
