# A data owner's trainer agent, next to its dataset: mount the records and the state directory, pass the key
# in TRIBUTARY_TRAINER_KEY (or a keystore with TRIBUTARY_KEYSTORE_PASSWORD), and the flags of `tributary trainer`:
#   docker run -v /srv/data:/data:ro -v /srv/state:/state -e TRIBUTARY_TRAINER_KEY ... tributary-trainer \
#     --coordinator https://coordinator.example --dataset-id 7 --format idx --data /data/x.idx --labels /data/y.idx \
#     --state-dir /state --rpc https://rpc.example --metrics-port 9464 --metrics-host 0.0.0.0
# Build from the repository root: docker build -f ops/docker/trainer.Dockerfile -t tributary-trainer .
# Events: one JSON object per line on stdout with --json-events; metrics at /metrics on --metrics-port.
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
EXPOSE 9464
# SIGTERM: the round in progress is trained and its update delivered (at most 120 s), nothing new starts.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "cli/bin/tributary.js", "trainer"]
