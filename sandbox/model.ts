/** The sandbox org's records, stored in Okta's own shapes (links are added when serialised). */

export const USER_STATUSES = [
  'ACTIVE',
  'STAGED',
  'PROVISIONED',
  'SUSPENDED',
  'LOCKED_OUT',
  'PASSWORD_EXPIRED',
  'RECOVERY',
  'DEPROVISIONED',
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserProfile {
  login: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  [attr: string]: unknown;
}

export interface SandboxUser {
  id: string;
  status: UserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  type: { id: string };
  profile: UserProfile;
  credentials: {
    password?: Record<string, never>;
    recovery_question?: { question: string };
    provider: { type: string; name: string };
  };
}

export type GroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';

export interface SandboxGroup {
  id: string;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  objectClass: string[];
  type: GroupType;
  profile: { name: string; description?: string | null; [attr: string]: unknown };
  /** For APP_GROUP: the app it is imported from. */
  sourceAppId?: string;
}

export interface SandboxApp {
  id: string;
  name: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
  signOnMode: string;
  accessibility: { selfService: boolean; errorRedirectUrl: string | null; loginRedirectUrl: string | null };
  visibility: { autoSubmitToolbar: boolean; hide: { iOS: boolean; web: boolean }; appLinks: Record<string, boolean> };
  features: string[];
  credentials: Record<string, unknown>;
  settings: Record<string, unknown>;
  /** Logo file name (for appLinks). */
  logo: string;
}

export interface AppUserAssignment {
  id: string; // user id
  externalId: string | null;
  created: string;
  lastUpdated: string;
  scope: 'USER' | 'GROUP';
  status: string;
  statusChanged: string;
  passwordChanged: string | null;
  syncState: string;
  lastSync: string | null;
  credentials: { userName: string };
  profile: Record<string, unknown>;
  /** The assignment id shown in appLinks (`0ua…`). */
  assignmentId: string;
}

export interface AppGroupAssignment {
  id: string; // group id
  priority: number;
  lastUpdated: string;
  profile: Record<string, unknown>;
}

export interface SandboxZone {
  type: 'IP' | 'DYNAMIC';
  id: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  usage: 'POLICY' | 'BLOCKLIST';
  created: string;
  lastUpdated: string;
  system: boolean;
  gateways?: { type: 'CIDR' | 'RANGE'; value: string }[] | null;
  proxies?: { type: 'CIDR' | 'RANGE'; value: string }[] | null;
  [attr: string]: unknown;
}

export interface SandboxFactor {
  id: string;
  factorType: string;
  provider: string;
  vendorName: string;
  status: 'ACTIVE' | 'PENDING_ACTIVATION' | 'NOT_SETUP';
  created: string;
  lastUpdated: string;
  profile: Record<string, unknown>;
}

export interface SandboxRole {
  id: string;
  label: string;
  type: string;
  status: 'ACTIVE';
  created: string;
  lastUpdated: string;
  assignmentType: 'USER' | 'GROUP';
  /** For a role assigned to a group: that group (the assignee link of the user's copy). */
  groupId?: string;
}

/** What a push challenge does when polled. */
export type PushOutcome =
  /** Answer WAITING for `afterPolls` polls, then SUCCESS. */
  | { result: 'SUCCESS'; afterPolls?: number }
  /** Answer WAITING for `afterPolls` polls, then REJECTED. */
  | { result: 'REJECTED'; afterPolls?: number }
  /** Never answered: WAITING until `expiresAt`, then TIMEOUT. */
  | { result: 'TIMEOUT' };

export interface PushTransaction {
  id: string;
  userId: string;
  factorId: string;
  createdMs: number;
  expiresMs: number;
  polls: number;
  outcome: PushOutcome;
  cancelled: boolean;
}

export const ROLE_LABELS: Record<string, string> = {
  SUPER_ADMIN: 'Super Administrator',
  ORG_ADMIN: 'Organization Administrator',
  APP_ADMIN: 'Application Administrator',
  USER_ADMIN: 'Group Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
  READ_ONLY_ADMIN: 'Read Only Administrator',
  GROUP_MEMBERSHIP_ADMIN: 'Group Membership Administrator',
  REPORT_ADMIN: 'Report Administrator',
  MOBILE_ADMIN: 'Mobile Administrator',
  API_ACCESS_MANAGEMENT_ADMIN: 'API Access Management Administrator',
};
