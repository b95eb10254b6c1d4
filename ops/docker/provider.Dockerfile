# An inference provider: `tributary provider serve` with TRIBUTARY_PROVIDER_KEY and its flags, e.g.
#   docker run -v /srv/model:/model:ro -v /srv/provider:/state -e TRIBUTARY_PROVIDER_KEY -p 8480:8480 tributary-provider \
#     --rpc https://rpc.example --model 3 --model-dir /model --state-dir /state --host 0.0.0.0 --port 8480
# Build from the repository root: docker build -f ops/docker/provider.Dockerfile -t tributary-provider .
# Logs: JSON lines on stderr (TRIBUTARY_LOG_LEVEL, TRIBUTARY_LOG_FORMAT); metrics at /metrics on port 8480.
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
EXPOSE 8480
# SIGTERM: requests in flight are answered, vouchers written and redeemed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "cli/bin/tributary.js", "provider", "serve"]
