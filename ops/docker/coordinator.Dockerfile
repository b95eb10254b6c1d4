# The coordinator (NestJS, REST + socket.io, rounds, chain outbox). Build from the repository root:
#   docker build -f ops/docker/coordinator.Dockerfile -t tributary-coordinator .
# Configured only by environment variables (docs/operations.md); listens on 8470, /metrics for Prometheus.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
# `prepare` builds every workspace (tsc -b); dev dependencies are dropped afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build --chown=node:node /app /app
ENV NODE_ENV=production TRIBUTARY_HOST=0.0.0.0 TRIBUTARY_LOG_FORMAT=json TRIBUTARY_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8470
# SIGTERM: requests and socket events in progress finish, trainers are disconnected, the database closes.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TRIBUTARY_PORT??8470)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "coordinator/dist/main.js"]
