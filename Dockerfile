# syntax=docker/dockerfile:1
#
# The Charter operator's production image. Build from the repository root:
#
#   docker build -t registry.example.com/charter:0.1.0 .
#
# Charter is TypeScript run by Node's type stripping: there is no build step, the image runs src/ as it is.
# The `node` package in devDependencies is only the local toolchain of `npm start`/`npm test`; here the base
# image's node runs the operator, and only production dependencies are installed.
# The reader for workloads (src/reader, Node built-ins only) is in the image too: /app/src/reader/mounted-map.ts.
# See docs/deploy.md.

# Any image with Node 24 and npm on PATH. The tests build on a base image made locally with debootstrap
# (scripts/node-build.sh): --build-arg NODE_IMAGE=localhost/charter-base:<suite>-node<version>.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --omit=dev: no jest, typescript, json-schema-to-typescript, nor the `node` package (and its downloaded binary).
# --ignore-scripts: no production dependency has an install script.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY crds ./crds
COPY catalogs ./catalogs
# The base image's unprivileged `node` user (uid/gid 1000); the chart runs it with a read-only root filesystem.
USER 1000:1000
# /metrics, /healthz, /readyz (--metrics-port)
EXPOSE 8080
ENTRYPOINT ["node", "src/controller/main.ts"]
