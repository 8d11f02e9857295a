# The team-roles worker for a real Temporal cluster (see docker-compose.yml and docs/production.md).

# sops, for secret files encrypted as the old scripts kept them. Debian bookworm packages no sops, so it is built from
# its Go module: `go install` checks every module against the Go checksum database (sum.golang.org).
FROM golang:1.25-bookworm AS sops
RUN CGO_ENABLED=0 GOBIN=/out go install github.com/getsops/sops/v3/cmd/sops@v3.13.3

# Build stage: full dependencies to compile TypeScript; runtime stage: production dependencies only.
# Node 24 is an LTS line; the code also runs on Node 20.19+ (package.json "engines").
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The workflow bundle is built here once (lib/workflow-bundle.js), so the worker does not bundle at every start.
RUN npx tsc --build tsconfig.build.json \
 && node lib/bundle-workflows.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=sops /out/sops /usr/local/bin/sops
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY bin ./bin
# Secrets and configuration arrive at run time (environment, mounted files); none are in the image.
USER node
# No port: healthy while the worker's heartbeat file (rewritten while Temporal sees it polling) is fresh.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["node", "lib/health.js"]
CMD ["node", "lib/worker.js"]
