# gslb in a container: built in a first stage (npm ci, tsc), then only what runs: Node 20, the
# production dependencies, dist/ and the sample zones. Runs as the unprivileged "node" user and
# listens on 0.0.0.0:53, which needs no capability where the container's
# net.ipv4.ip_unprivileged_port_start is 0 (Docker's default since 20.10; docker-compose.yml sets
# it too). Elsewhere, listen on a high port and publish it as 53 (-p 53:5300/udp -p 53:5300/tcp).
#
#   docker build -t gslb .
#   docker run --rm -p 53:53/udp -p 53:53/tcp -v "$PWD/zones:/app/zones" gslb
#
# SIGTERM (docker stop) is a graceful stop: TCP replies in flight go out first (5 s at most,
# inside docker stop's 10 s). SIGHUP (docker kill -s HUP) reloads the zones.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
# --ignore-scripts: "prepare" would build here as well (no dependency has install scripts).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc's mmap threshold fixed, as the CLI's shebang does: freed tables leave RSS (src/server/memory.ts).
ENV MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time from its source path (src/locate/regions.ts): Cloudflare's region table.
COPY --from=build /app/src/locate/regions.json ./src/locate/regions.json
COPY zones ./zones
USER node
EXPOSE 53/udp 53/tcp
# The flag the CLI's shebang passes (a 2 MB semi-space: docs/benchmarks.md).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/cli/main.js"]
CMD ["serve", "--zones", "/app/zones", "--listen", "0.0.0.0:53"]
