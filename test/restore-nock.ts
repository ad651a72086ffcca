/**
 * Jest setupFilesAfterEnv for phase 1: nock patches Node's http module for the whole Jest worker,
 * not just for the test file that imported it. When a file that loaded nock ends, its interceptor
 * is taken down, so the next file in the same worker (an end-to-end test on real loopback
 * sockets) talks through Node's own http, not through nock's mock sockets.
 */
import http from 'node:http';

const original = http.ClientRequest;

afterAll(async () => {
  if (http.ClientRequest === original) return;
  const { default: nock } = await import('nock');
  nock.cleanAll();
  nock.enableNetConnect();
  nock.restore();
});
