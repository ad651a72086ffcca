/** `GET /api/v1/logs`. */
import { pageJson, queryLogs } from './logs-query.js';
import { linkHeaders } from './paging.js';
import type { Router } from './router.js';

export function registerLogRoutes(r: Router): void {
  r.add({
    method: 'GET',
    template: '/api/v1/logs',
    bucket: 'logs',
    scope: 'okta.logs.read',
    handler: (req) => {
      const { events, nextAfter } = queryLogs(req.org.logs, req.query, req.org.now());
      // The next link keeps the query but not `since` (since and after are mutually exclusive).
      return { status: 200, rawJson: pageJson(events), headers: { link: linkHeaders(req, nextAfter, ['since']) } };
    },
  });
}
