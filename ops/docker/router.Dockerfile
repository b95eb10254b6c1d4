# The task router: `tributary router serve` and its flags (it holds no key), e.g.
#   docker run -p 8490:8490 tributary-router --rpc https://rpc.example --host 0.0.0.0 --port 8490
# Build from the repository root: docker build -f ops/docker/router.Dockerfile -t tributary-router .
# Logs: JSON lines on stderr (TRIBUTARY_LOG_LEVEL, TRIBUTARY_LOG_FORMAT); metrics at /metrics on port 8490.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
# `prepare` builds every workspace (tsc -b); dev dependencies are dropped afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build --chown=node:node /app /app
ENV NODE_ENV=production TRIBUTARY_LOG_FORMAT=json
USER node
EXPOSE 8490
# SIGTERM: requests in flight are answered, then connections close.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "cli/bin/tributary.js", "router", "serve"]
