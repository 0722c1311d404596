import { startApi } from './app.js';

// Runs the example API: ISSUER (default http://localhost:3000), AUDIENCE (default urn:auth-connect:api),
// PORT (default 4001), HOST (default 127.0.0.1).
const api = await startApi({
  issuer: process.env.ISSUER ?? 'http://localhost:3000',
  audience: process.env.AUDIENCE || undefined,
  port: Number(process.env.PORT ?? 4001),
  host: process.env.HOST || undefined,
});
console.log(`example API listening on ${api.url} (GET /notes, POST /notes, DELETE /notes/:id, GET /admin/stats)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void api.close().then(() => process.exit(0));
  });
}
