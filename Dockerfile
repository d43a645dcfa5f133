# One image for every gras job. Build on Node 22 (the AWS SDK's floor from 2027).
# The GPU variant (CUDA base for @tensorflow/tfjs-node-gpu) is tracked in the deploy issue.

FROM node:22.12-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# --ignore-scripts: `prepare` would compile the tests, which the image does not carry.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY jobs ./jobs
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:22.12-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# Non-root; the root filesystem can be read-only: jobs write only to the lake, DynamoDB and /tmp.
USER node
# Exec form, so SIGTERM from the kubelet reaches node (exit 75, retried by Argo), never `npm start`.
ENTRYPOINT ["node", "dist/jobs/cli.js"]
CMD ["--help"]
