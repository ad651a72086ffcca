/** The sandbox's route table: path templates (the spec's own), rate-limit buckets, OAuth scopes. */
import type { SandboxOrg, ActionContext } from './org.js';
import type { Principal } from './oauth-types.js';

export interface RouteRequest {
  method: string;
  /** Decoded path parameters. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
  headers: Record<string, string | undefined>;
  /** e.g. http://127.0.0.1:4321 */
  origin: string;
  /** The URL as the client addressed it (origin + path + query). */
  url: string;
  principal: Principal;
  ctx: ActionContext;
  org: SandboxOrg;
}

export interface RouteResult {
  status: number;
  /** JSON-serialisable body; omitted for empty answers. */
  body?: unknown;
  /** Already serialised JSON (large pages). */
  rawJson?: string;
  headers?: Record<string, string | string[]>;
}

export type Handler = (req: RouteRequest) => RouteResult | Promise<RouteResult>;

export interface RouteDef {
  method: string;
  /** Template as in Okta's spec, e.g. `/api/v1/users/{id}`. */
  template: string;
  bucket: string;
  /** OAuth scope required (a `.manage` scope also grants the matching `.read`). */
  scope: string;
  handler: Handler;
}

interface CompiledRoute extends RouteDef {
  regex: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(def: RouteDef): void {
    const names: string[] = [];
    const pattern = def.template
      .split('/')
      .map((seg) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (m) {
          names.push(m[1]!);
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ ...def, regex: new RegExp(`^${pattern}/?$`), names });
  }

  /** The route for a method and path; `methodMismatch` when the path exists with other methods. */
  match(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | { methodMismatch: true; bucket: string } | undefined {
    let pathBucket: string | undefined;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      if (r.method !== method) {
        pathBucket ??= r.bucket;
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m[i + 1]!);
        } catch {
          params[n] = m[i + 1]!;
        }
      });
      return { route: r, params };
    }
    return pathBucket ? { methodMismatch: true, bucket: pathBucket } : undefined;
  }
}

/** `okta.users.manage` grants `okta.users.read` too. */
export function hasScope(granted: string[] | '*', needed: string): boolean {
  if (granted === '*') return true;
  if (granted.includes(needed)) return true;
  if (needed.endsWith('.read')) return granted.includes(needed.slice(0, -'.read'.length) + '.manage');
  return false;
}
