import './runtime/node-check-server.js';
import { enableCompileCache } from './runtime/compile-cache.js';

// `npm start`. The compile cache works for modules loaded after it is switched on, so the server's own modules
// (src/runtime/server-process.ts and everything it imports) are loaded here, once it is
enableCompileCache();
await import('./runtime/server-process.js');
