import { isAscii } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { AxiosInstance, AxiosStatic } from 'axios';
import { createRequire } from 'node:module';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import { NetworkError } from '../base/errors.js';
import type { Transport, WireRequest } from './types.js';

export interface TransportOptions {
  /**
   * true: honour HTTPS_PROXY / HTTP_PROXY and NO_PROXY from the environment; false: never use
   * a proxy; a URL: always that proxy (NO_PROXY still applies).
   */
  proxy: boolean | string;
  /** Skip TLS certificate verification (direct and through the proxy alike). */
  insecure: boolean;
  env?: NodeJS.ProcessEnv;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1)$/i;

/** NO_PROXY matching: `*`, exact hosts, `.suffix` / `*.suffix` / `suffix` domains, IPs, optional :port. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let h: string;
    let p: string | undefined;
    if (entry.startsWith('[')) {
      h = entry.slice(1, entry.indexOf(']'));
      p = entry.split(']:')[1];
    } else if ((entry.match(/:/g) ?? []).length > 1) {
      h = entry; // a bare IPv6 address
    } else [h = '', p] = entry.split(':');
    if (p && p !== port) continue;
    const name = h.replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/**
 * The proxy a request to `target` goes through, or undefined. A proxy from the environment is
 * for reaching the internet and never applies to loopback targets (the sandbox org), as in Go's
 * net/http; an explicit `proxy` URL applies to every target not matched by NO_PROXY.
 */
export function proxyFor(target: URL, opts: TransportOptions): string | undefined {
  const env = opts.env ?? process.env;
  if (opts.proxy === false) return undefined;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (bypassesProxy(target, noProxy)) return undefined;
  if (typeof opts.proxy === 'string') return opts.proxy;
  if (LOOPBACK.test(target.hostname.replace(/^\[|\]$/g, ''))) return undefined;
  const p = target.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  return p && p.trim() ? p.trim() : undefined;
}

/** A proxy URL fit for messages: scheme, host and port, never credentials. */
function proxyLabel(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the proxy';
  }
}

/** What a failure means for repeating the request. */
export type FailureKind =
  /** The request never left: safe to send again whatever the method. */
  | 'not-sent'
  /** It may have reached Okta (reset, timeout mid-way): repeat only what is safe to repeat. */
  | 'maybe-sent'
  /** Repeating cannot help (certificate refused, host does not exist, request cancelled). */
  | 'permanent';

const NOT_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL']);
const PERMANENT = new Set(['ENOTFOUND', 'ERR_CANCELED', 'ERR_INVALID_URL', 'ERR_BAD_OPTION_VALUE', 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED']);

function isTlsCode(code: string): boolean {
  return (
    /^(CERT_|UNABLE_TO_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/.test(code) ||
    code === 'EPROTO'
  );
}

export function failureKind(code: string | undefined): FailureKind {
  if (!code) return 'maybe-sent';
  if (NOT_SENT.has(code)) return 'not-sent';
  if (PERMANENT.has(code) || isTlsCode(code)) return 'permanent';
  return 'maybe-sent';
}

/** Plain words for a network failure code. */
export function describeFailure(code: string, timeoutMs: number | undefined): string {
  switch (code) {
    case 'ETIMEDOUT':
      return timeoutMs ? `timed out after ${+(timeoutMs / 1000).toFixed(3)} s (timeout_seconds)` : 'timed out';
    case 'ECONNRESET':
      return 'failed: the connection was reset (ECONNRESET)';
    case 'EPIPE':
      return 'failed: the connection was closed while sending (EPIPE)';
    case 'ECONNREFUSED':
      return 'failed: the connection was refused (ECONNREFUSED)';
    case 'ENOTFOUND':
      return 'failed: the host name does not resolve (ENOTFOUND); check url';
    case 'EAI_AGAIN':
      return 'failed: DNS lookup failed temporarily (EAI_AGAIN)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return `failed: the network is unreachable (${code})`;
    case 'ERR_CANCELED':
      return 'was cancelled';
    case 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED':
      return 'failed: the answer is too large';
    default:
      if (isTlsCode(code))
        return (
          `failed: the TLS certificate was not accepted (${code}). If a TLS-inspecting proxy or a private CA signs the certificate, ` +
          'put its CA certificate (PEM) in a file and set NODE_EXTRA_CA_CERTS to that path'
        );
      return `failed (${code})`;
  }
}

/** The failure code of an axios / Node error (axios copies it; Node's happy-eyeballs wraps it in an AggregateError). */
function errorCode(e: unknown): string | undefined {
  const o = e as { code?: unknown; cause?: { code?: unknown }; errors?: Array<{ code?: unknown }> };
  for (const c of [o?.code, o?.cause?.code, o?.errors?.[0]?.code]) if (typeof c === 'string' && c) return c;
  return undefined;
}

const require = createRequire(import.meta.url);

/**
 * axios through its CommonJS build: one file, where its ESM entry is some 60 modules to resolve
 * and link. Measured on okta-get-user as a whole process: ~55 ms less start-up of ~250 ms.
 * Loaded on the first transport, so commands that never reach Okta never pay for it.
 */
let axiosLib: AxiosStatic | undefined;
function loadAxios(): AxiosStatic {
  axiosLib ??= require('axios') as AxiosStatic;
  return axiosLib;
}
let ProxyAgentClass: (new (proxy: string, insecure: boolean) => HttpsProxyAgent<string>) | undefined;

/**
 * HttpsProxyAgent checks the target's certificate with the request's TLS options, which axios never
 * sets: `insecure` must reach them. Loaded only when a proxy applies (it costs ~40 ms of start-up).
 */
function proxyAgent(proxy: string, insecure: boolean): HttpsProxyAgent<string> {
  if (!ProxyAgentClass) {
    const { HttpsProxyAgent: Base } = require('https-proxy-agent') as typeof import('https-proxy-agent');
    ProxyAgentClass = class ProxyAgent extends Base<string> {
      constructor(
        proxyUrl: string,
        private readonly insecure: boolean,
      ) {
        super(proxyUrl, { keepAlive: true, ...(insecure ? { rejectUnauthorized: false } : {}) });
      }
      override connect(req: http.ClientRequest, opts: Parameters<HttpsProxyAgent<string>['connect']>[1]): Promise<Socket> {
        if (this.insecure && opts.secureEndpoint) return super.connect(req, { ...opts, rejectUnauthorized: false });
        return super.connect(req, opts);
      }
    };
  }
  return new ProxyAgentClass(proxy, insecure);
}

/**
 * A body as text, as axios's responseType 'text' decoded it (UTF-8, a leading byte-order mark
 * dropped). Text that is all ASCII, as nearly every Okta answer is, is the same text in Latin-1,
 * which is copied rather than decoded.
 */
export function bodyText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (!Buffer.isBuffer(data)) return '';
  const text = isAscii(data) ? data.toString('latin1') : data.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The one way bytes leave the process: axios with redirects off, every status returned (the
 * client decides), the raw body text, keep-alive agents, a deadline per attempt, and the same
 * proxy/TLS settings for API calls and the OAuth token request alike.
 */
export function createTransport(opts: TransportOptions): Transport & { close(): void } {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, rejectUnauthorized: !opts.insecure });
  const proxyAgents = new Map<string, HttpsProxyAgent<string>>();
  const ax: AxiosInstance = loadAxios().create({
    proxy: false,
    maxRedirects: 0,
    validateStatus: () => true,
    // The bytes, decoded below: axios's own toString('utf8') of a 1.8 MB System Log page costs more than parsing it.
    responseType: 'arraybuffer',
    transformResponse: [(d: unknown) => d],
    decompress: true,
    maxContentLength: 256 * 1024 * 1024,
  });
  const send: Transport = async (req: WireRequest) => {
    const target = new URL(req.url);
    const proxy = proxyFor(target, opts);
    let agents: { httpAgent: http.Agent; httpsAgent: http.Agent } = { httpAgent, httpsAgent };
    if (proxy) {
      let a = proxyAgents.get(proxy);
      if (!a) {
        a = proxyAgent(proxy, opts.insecure);
        proxyAgents.set(proxy, a);
      }
      agents = { httpAgent: a, httpsAgent: a };
    }
    // One deadline for the whole attempt (connect, proxy, TLS, headers and body), not an idle timer.
    const deadline = new AbortController();
    let timedOut = false;
    const timer = req.timeoutMs && req.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), deadline.abort()), req.timeoutMs) : undefined;
    const onCallerAbort = () => deadline.abort();
    if (req.signal?.aborted) deadline.abort();
    else req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      // axios's own timeout as well: it arms the socket's idle timer.
      const res = await ax.request<string>({
        method: req.method,
        url: req.url,
        headers: req.headers,
        data: req.data,
        signal: deadline.signal,
        ...(req.timeoutMs && req.timeoutMs > 0 ? { timeout: req.timeoutMs } : {}),
        ...agents,
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined || v === null) continue;
        headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      }
      return { status: res.status, headers, body: bodyText(res.data) };
    } catch (e) {
      // axios errors carry the request config (headers included): never let one escape.
      let code = errorCode(e) ?? 'ERR_NETWORK';
      if (timedOut || code === 'ECONNABORTED') code = 'ETIMEDOUT';
      const via = proxy ? ` (through the proxy ${proxyLabel(proxy)})` : '';
      throw new NetworkError(`${req.method} ${target.origin}${target.pathname} ${describeFailure(code, req.timeoutMs)}${via}`, code);
    } finally {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
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
