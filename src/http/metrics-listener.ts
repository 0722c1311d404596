import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.js';

/**
 * A listener of its own for /metrics (METRICS_PORT, on loopback unless METRICS_HOST says otherwise), so
 * that what the metrics reveal (traffic, error rates, memory) never reaches the public port.
 */
export function listenForMetrics(metrics: Metrics, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`METRICS_PORT=${port} is already in use; choose another port or unset METRICS_PORT`) : error);
    });
    server.listen(port, host, () => resolve(server));
  });
}
