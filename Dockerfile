# One image for every gras job, built on Node 22. linux/amd64 only, on every stage: the GPU backend
# (@tensorflow/tfjs-node-gpu) has a GPU build for linux x86_64 only, so the Karpenter NodePools
# allow amd64 only (tests/unit/deploy/dockerfile.test.ts compares the two).
#
# Runtime base: CUDA 11.2 / cuDNN 8.1 user-space libraries, the versions libtensorflow 2.9.1 (the one
# tfjs-node-gpu 4.22 installs) is built against; the GPU driver comes from the node's AMI. Ubuntu
# 20.04 is the newest Ubuntu NVIDIA built CUDA 11.2 images for (README "Deploy to EKS", step 4). The
# same image runs on CPU nodes; train-neural picks its backend at start (jobs/neural/backend.ts).

FROM --platform=linux/amd64 node:22.12.0-bookworm-slim AS node

FROM --platform=linux/amd64 node:22.12.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Scripts off here: `prepare` would compile the tests, which this image does not carry.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY jobs ./jobs
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts
# The native TensorFlow.js backends download libtensorflow and their prebuilt binding in their install
# scripts. `npm rebuild` of named packages fails on an optional package's failed script, so an image
# without the GPU backend is never built.
RUN npm rebuild --foreground-scripts @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node

FROM --platform=linux/amd64 nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
ENV NODE_ENV=production
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# The cuDNN the CUDA image ships must be the 8.1 libtensorflow 2.9.1 was built against.
RUN dpkg-query --showformat='${Version}' --show libcudnn8 | grep -q '^8\.1\.'
RUN groupadd --gid 1000 gras && useradd --uid 1000 --gid 1000 --no-create-home --shell /usr/sbin/nologin gras
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The GPU binding and the libtensorflow it links resolve every shared library in this image.
RUN ldd node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v*/tfjs_binding.node > /tmp/ldd.txt && ! grep 'not found' /tmp/ldd.txt && rm /tmp/ldd.txt
COPY package.json ./
COPY config ./config
# Non-root; the root filesystem can be read-only: jobs write only to the lake, DynamoDB and /tmp.
USER 1000:1000
# Exec form, so SIGTERM from the kubelet reaches node (exit 75, retried by Argo); never `npm start`.
ENTRYPOINT ["node", "dist/jobs/cli.js"]
CMD ["--help"]
