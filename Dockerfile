# The team-roles worker for a real Temporal cluster (see docker-compose.yml).
# Build stage: full dependencies to compile TypeScript; runtime stage: production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The workflow bundle is built here once (lib/workflow-bundle.js), so the worker does not bundle at every start.
RUN npx tsc --build tsconfig.build.json \
 && node lib/bundle-workflows.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY bin ./bin
# Secrets and configuration arrive at run time (environment, mounted files); none are in the image.
USER node
CMD ["node", "lib/worker.js"]
