# Same steps as the README's "Run the gateway": install with npm ci (which
# also compiles), then npm start. Data lives in /app/data, a volume.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci && mkdir -p /app/data && chown node:node /app/data
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 VEIL_DATA_DIR=/app/data
VOLUME ["/app/data"]
EXPOSE 8080
USER node
CMD ["npm", "start"]
