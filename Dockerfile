# API, worker and one-shot set-up image for docker-compose.yml (production-like deployment).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# `prisma generate` reads DATABASE_URL without connecting.
RUN DATABASE_URL=postgresql://build/none npx prisma generate
USER node
CMD ["npx", "tsx", "api/server.ts"]
