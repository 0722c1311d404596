import { startWebApp } from './app.js';

// Runs the example web app: ISSUER (default http://localhost:3000), CLIENT_ID (required), CLIENT_SECRET
// (leave unset for a public client), PORT (default 4000), HOST (default 127.0.0.1), PUBLIC_URL (default
// http://HOST:PORT), API_URL (default http://localhost:4001).
const clientId = process.env.CLIENT_ID;
if (!clientId) {
  console.error('example web app: set CLIENT_ID (and CLIENT_SECRET) to a client created with `auth-connect client create`');
  process.exit(2);
}
const app = await startWebApp({
  issuer: process.env.ISSUER ?? 'http://localhost:3000',
  clientId,
  clientSecret: process.env.CLIENT_SECRET || undefined,
  port: Number(process.env.PORT ?? 4000),
  host: process.env.HOST || undefined,
  publicUrl: process.env.PUBLIC_URL || undefined,
  apiUrl: process.env.API_URL ?? 'http://localhost:4001',
});
console.log(`example web app on ${app.url} (redirect URI ${app.url}/callback, post-logout redirect URI ${app.url}/)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
