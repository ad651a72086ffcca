import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { NetworkError } from '../errors.js';
import type { Transport, WireRequest } from './types.js';

export interface TransportOptions {
  /** true: honour HTTPS_PROXY/HTTP_PROXY and NO_PROXY; false: never; a URL: always that proxy (NO_PROXY still applies). */
  proxy: boolean | string;
  insecure: boolean;
  env?: NodeJS.ProcessEnv;
}

/** NO_PROXY matching: `*`, exact hosts, `.suffix` / `suffix` domains, optional :port. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [h, p] = entry.startsWith('[') ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]] : entry.split(':');
    if (p && p !== port) continue;
    const name = (h ?? '').replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

export function proxyFor(target: URL, opts: TransportOptions): string | undefined {
  const env = opts.env ?? process.env;
  if (opts.proxy === false) return undefined;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (bypassesProxy(target, noProxy)) return undefined;
  if (typeof opts.proxy === 'string') return opts.proxy;
  const p = target.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  return p && p.trim() ? p.trim() : undefined;
}

/**
 * The one way bytes leave the process: axios with redirects off, every status returned (the
 * client decides), the raw body text, keep-alive agents, and the same proxy/TLS settings for
 * API calls and the OAuth token request alike.
 */
export function createTransport(opts: TransportOptions): Transport & { close(): void } {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, rejectUnauthorized: !opts.insecure });
  const proxyAgents = new Map<string, HttpsProxyAgent<string>>();
  const ax: AxiosInstance = axios.create({
    proxy: false,
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(d: unknown) => d],
    decompress: true,
    maxContentLength: 256 * 1024 * 1024,
  });
  const send: Transport = async (req: WireRequest) => {
    const target = new URL(req.url);
    const proxy = proxyFor(target, opts);
    let agentOpts: { httpAgent?: http.Agent; httpsAgent?: http.Agent } = { httpAgent, httpsAgent };
    if (proxy) {
      let a = proxyAgents.get(proxy);
      if (!a) {
        a = new HttpsProxyAgent(proxy, { keepAlive: true, rejectUnauthorized: !opts.insecure });
        proxyAgents.set(proxy, a);
      }
      agentOpts = { httpAgent: a, httpsAgent: a };
    }
    try {
      const res = await ax.request<string>({
        method: req.method,
        url: req.url,
        headers: req.headers,
        data: req.data,
        timeout: req.timeoutMs,
        signal: req.signal,
        ...agentOpts,
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined || v === null) continue;
        headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      }
      return { status: res.status, headers, body: typeof res.data === 'string' ? res.data : '' };
    } catch (e) {
      // axios errors carry the request config (headers included): never let one escape.
      const err = e as { code?: string; message?: string };
      const code = err.code ?? 'ERR_NETWORK';
      const what =
        code === 'ECONNABORTED' || code === 'ETIMEDOUT'
          ? `timed out after ${Math.round((req.timeoutMs ?? 0) / 1000)} s`
          : code === 'ERR_CANCELED'
            ? 'was cancelled'
            : `failed (${code}${proxy ? ', through the proxy' : ''})`;
      throw new NetworkError(`${req.method} ${target.origin}${target.pathname} ${what}`, code === 'ECONNABORTED' ? 'ETIMEDOUT' : code);
    }
  };
  return Object.assign(send, {
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
      for (const a of proxyAgents.values()) a.destroy();
    },
  });
}
