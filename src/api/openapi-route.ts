import Router from '@koa/router';
import { openApiDocument, OPENAPI_PATH, type DocumentOptions } from './description/openapi-document.js';

/** GET /api/openapi.json: the JSON API's description, built once (it changes only with the code). */
export function openApiRoute(options: DocumentOptions): Router {
  const body = openApiDocument(options);
  const router = new Router();
  router.get(OPENAPI_PATH, (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = body;
  });
  return router;
}
