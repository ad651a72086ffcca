/** The security objects of the sandbox org (security-model.ts), as data, and what they need of the org. */
import type { LogEvent } from './log-store.js';
import type { SandboxApp, SandboxGroup, SandboxRole, SandboxUser, SandboxZone } from './model.js';
import type { ActionContext, LogTarget } from './seed-logs.js';

export interface SandboxApiToken {
  id: string;
  name: string;
  userId: string;
  clientName: string;
  created: string;
  lastUpdated: string;
  expiresAt: string;
  /** ISO 8601 duration of inactivity after which the token expires. */
  tokenWindow: string;
  network: { connection: 'ANYWHERE' | 'ZONE'; include?: string[]; exclude?: string[] };
}

export interface SandboxIdp {
  id: string;
  type: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
  issuerMode: 'ORG_URL' | 'CUSTOM_URL' | 'DYNAMIC';
  protocol: Record<string, unknown>;
  policy: Record<string, unknown>;
}

export type DeviceStatus = 'ACTIVE' | 'SUSPENDED' | 'DEACTIVATED';

export interface SandboxDevice {
  id: string;
  status: DeviceStatus;
  created: string;
  lastUpdated: string;
  profile: { displayName: string; platform: 'ANDROID' | 'IOS' | 'MACOS' | 'WINDOWS'; registered: boolean; [k: string]: unknown };
}

/** A user's link to a device (`UserDevice`). */
export interface DeviceEnrollment {
  deviceId: string;
  deviceUserId: string;
  created: string;
}

export interface SandboxOAuthClient {
  client_id: string;
  client_name: string;
  client_uri: string | null;
  logo_uri: string | null;
}

export interface SandboxGrant {
  id: string;
  userId: string;
  clientId: string;
  scopeId: string;
  source: 'END_USER' | 'ADMIN';
  status: 'ACTIVE';
  created: string;
  lastUpdated: string;
  createdBy: { id: string; type: string };
}

export interface SandboxPolicy {
  id: string;
  type: string;
  name: string;
  description: string;
  status: 'ACTIVE' | 'INACTIVE';
  priority: number;
  system: boolean;
  created: string;
  lastUpdated: string;
  /** Type-specific members (conditions, settings …), sent as they are. */
  body: Record<string, unknown>;
}

export interface SandboxPolicyRule {
  id: string;
  policyId: string;
  type: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  priority: number;
  system: boolean;
  created: string;
  lastUpdated: string;
  conditions: Record<string, unknown>;
  actions: Record<string, unknown>;
}

export interface SandboxUserRisk {
  riskLevel: 'HIGH' | 'MEDIUM' | 'LOW';
  reason: string;
}

export const RISK_LEVELS = ['HIGH', 'MEDIUM', 'LOW'] as const;

export interface SecuritySeed {
  apiTokens: SandboxApiToken[];
  /** The token the sandbox's fixed SSWS token is. */
  selfTokenId: string;
  userRoles: Map<string, SandboxRole[]>;
  groupRoles: Map<string, SandboxRole[]>;
  idps: SandboxIdp[];
  devices: SandboxDevice[];
  enrollments: Map<string, DeviceEnrollment[]>;
  clients: SandboxOAuthClient[];
  grants: SandboxGrant[];
  /** userId → clientId → refresh tokens issued. */
  tokens: Map<string, Map<string, number>>;
  policies: SandboxPolicy[];
  rules: SandboxPolicyRule[];
  risk: Map<string, SandboxUserRisk>;
}

/**
 * What the security objects need of the org (SandboxOrg provides it): its directory, the clock,
 * lookups that answer Okta's 404, and the System Log.
 */
export interface SecurityHost {
  readonly users: Map<string, SandboxUser>;
  readonly groups: Map<string, SandboxGroup>;
  readonly groupMembers: Map<string, Set<string>>;
  readonly apps: Map<string, SandboxApp>;
  readonly zones: Map<string, SandboxZone>;
  readonly roles: Map<string, SandboxRole[]>;
  readonly sessionsCleared: Map<string, number>;
  now(): number;
  findUser(idOrLogin: string): SandboxUser | undefined;
  requireUser(idOrLogin: string): SandboxUser;
  requireGroup(id: string): SandboxGroup;
  requireApp(id: string): SandboxApp;
  addApp(app: SandboxApp): void;
  log(ctx: ActionContext, eventType: string, targets: LogTarget[] | null, outcome?: { result: string; reason: string | null }, debugData?: Record<string, unknown>): LogEvent;
}
