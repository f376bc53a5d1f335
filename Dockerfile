# latchkey as a container image: the single binary on a small glibc runtime, as a non-root user, data in /data.
#
#   docker build -t latchkey .
#   docker run -d --name latchkey -p 3000:3000 -v latchkey-data:/data \
#     -e PUBLIC_URL=https://auth.example.com -e TRUSTED_PROXIES=172.16.0.0/12 latchkey
#
# Settings are environment variables (README, "Settings"); a .env file is never copied into the image
# (.dockerignore). Commands run in the same container: `docker exec latchkey latchkey user list`.
# Built for the platform Docker builds for (`docker buildx build --platform linux/arm64 .` gives an arm64 image).

# --- build: Bun from npm, as everywhere else (`npm ci`, then build.ts) ---------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The binary (checked to run), and the data directory owned by distroless's nonroot user (65532), closed to others
# as latchkey makes it (0700).
RUN ./node_modules/.bin/bun build.ts \
  && ./dist/latchkey --version \
  && mkdir -p /out/data && chmod 0700 /out/data && chown 65532:65532 /out/data

# --- runtime: glibc and libgcc (imagescript's addon needs libgcc_s), no shell, no package manager, non-root --------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/latchkey /usr/local/bin/latchkey
COPY --from=build --chown=65532:65532 /out/data /data
# The working folder is where latchkey reads a .env and a relative STORAGE_RULES from: mount them under /app.
WORKDIR /app
ENV DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
USER 65532:65532
VOLUME ["/data"]
EXPOSE 3000
# GET /readyz on this PORT through the binary itself (distroless has no curl): 0 when ready, 1 otherwise.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["/usr/local/bin/latchkey", "healthcheck"]
# SIGTERM (docker stop) ends latchkey cleanly: it is PID 1 and handles it itself.
ENTRYPOINT ["/usr/local/bin/latchkey"]
CMD ["serve"]
