# duckmig: one image for every role. `docker run duckmig start` runs everything (with a
# Redis given by REDIS_URL); docker-compose.yml runs `api` and `worker` as separate
# services. Built from the lock file; the final stage has only what runs.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# scripts off: `prepare` would build before the sources are copied
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production \
    DUCKMIG_DB=/var/lib/duckmig/db/metadata.duckdb \
    DUCKMIG_DATA_DIR=/var/lib/duckmig/data \
    DUCKMIG_MIGRATIONS=/app/migrations/duckdb \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/migrations ./migrations
# owned by `node`, so named volumes mounted here start writable for it
RUN mkdir -p /var/lib/duckmig/db /var/lib/duckmig/data && chown -R node:node /var/lib/duckmig
USER node
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start"]
