# One image for every gras job. Multi-stage; Node 22 (the AWS SDK's floor from 2027).
#
# Runtime base: CUDA 11.2 / cuDNN 8.1 user-space libraries, which @tensorflow/tfjs-node-gpu 4.x is
# built against (the GPU driver comes from the node's AMI). The GPU backend is optional at run
# time: the same image runs on CPU nodes, where the CUDA libraries are simply unused.

FROM node:22.12.0-bookworm-slim AS node

FROM node:22.12.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Scripts off here: `prepare` would compile the tests, which this image does not carry.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY jobs ./jobs
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts
# The native TensorFlow.js backends (optional dependencies) download libtensorflow in their install
# scripts, which only this build, with network access, can run. If it fails the image still works:
# gras train-neural falls back to tfjs-node, then wasm (jobs/neural/backend.ts).
RUN npm rebuild --foreground-scripts @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node \
 || echo "native TensorFlow.js backends unavailable: the image falls back to wasm"

FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
ENV NODE_ENV=production
COPY --from=node /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 gras && useradd --uid 1000 --gid 1000 --no-create-home --shell /usr/sbin/nologin gras
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# Non-root; the root filesystem can be read-only: jobs write only to the lake, DynamoDB and /tmp.
USER 1000:1000
# Exec form, so SIGTERM from the kubelet reaches node (exit 75, retried by Argo); never `npm start`.
ENTRYPOINT ["node", "dist/jobs/cli.js"]
CMD ["--help"]
