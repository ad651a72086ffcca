import type { Handler } from '../integration/engine/command.js';
import { listGroupRoles, removeGroupRole, removeUserRole } from './admin-roles.js';
import { listApiTokens, revokeApiToken } from './api-tokens.js';
import { APP_TRANSITIONS, appLifecycleHandler } from './app-lifecycle.js';
import { assignGroupToApp, assignUserToApp, getUserAppLinks, listApps, listAppUsers, unassignUserFromApp } from './apps.js';
import { authReset } from './auth.js';
import { DEVICE_TRANSITIONS, deviceLifecycleHandler, listUserDevices } from './devices.js';
import { getUserFactors, resetFactor, resetFactors, verifyMfaStatus, verifyPushFactor } from './factors.js';
import { createGroup, deleteGroup, getGroupMembers, getUserGroups, listGroups, MEMBERSHIP_COMMANDS, membershipHandler, updateGroup } from './groups.js';
import { listUserClients, listUserGrants, revokeUserClientTokens, revokeUserGrants } from './grants.js';
import { deactivateIdp, listIdps } from './idps.js';
import { clearUserSessions, lifecycleHandler, TRANSITIONS } from './lifecycle.js';
import { LOG_PRESETS, logQueryHandler } from './logs.js';
import { expirePassword, resetPassword, setPassword } from './passwords.js';
import { deactivatePolicyRule, listPolicies, listPolicyRules } from './policies.js';
import { getUserRisk, setUserRisk, universalLogout } from './risk.js';
import { listUserRoles } from './roles.js';
import { testModule } from './test-module.js';
import { createUser, deleteUser, updateUser } from './user-admin.js';
import { getUser, listUsers, search } from './users.js';
import { createZone, deleteZone, getZone, listZones, updateZone, ZONE_TRANSITIONS, zoneLifecycleHandler } from './zones.js';

/** Every command's handler, by manifest name. A test checks this matches integration.yml both ways. */
export const handlers: Record<string, Handler> = {
  'test-module': testModule,
  'okta-auth-reset': authReset,
  // users
  'okta-get-user': getUser,
  'okta-list-users': listUsers,
  'okta-search': search,
  'okta-create-user': createUser,
  'okta-update-user': updateUser,
  'okta-delete-user': deleteUser,
  'okta-clear-user-sessions': clearUserSessions,
  ...Object.fromEntries(Object.keys(TRANSITIONS).map((c) => [c, lifecycleHandler(c)])),
  'okta-list-user-roles': listUserRoles,
  // passwords
  'okta-set-password': setPassword,
  'okta-expire-password': expirePassword,
  'okta-reset-password': resetPassword,
  // factors
  'okta-get-user-factors': getUserFactors,
  'okta-reset-factor': resetFactor,
  'okta-reset-factors': resetFactors,
  'okta-verify-push-factor': verifyPushFactor,
  'okta-verify-mfa-status': verifyMfaStatus,
  // groups
  'okta-list-groups': listGroups,
  'okta-get-groups': getUserGroups,
  'okta-get-group-members': getGroupMembers,
  'okta-create-group': createGroup,
  'okta-update-group': updateGroup,
  'okta-delete-group': deleteGroup,
  ...Object.fromEntries(MEMBERSHIP_COMMANDS.map((c) => [c, membershipHandler(c)])),
  // applications
  'okta-list-apps': listApps,
  'okta-list-app-users': listAppUsers,
  'okta-assign-user-to-app': assignUserToApp,
  'okta-unassign-user-from-app': unassignUserFromApp,
  'okta-assign-group-to-app': assignGroupToApp,
  // System Log: one handler configured by the presets
  ...Object.fromEntries(Object.keys(LOG_PRESETS).map((c) => [c, logQueryHandler(c)])),
  // network zones
  'okta-list-zones': listZones,
  'okta-get-zone': getZone,
  'okta-create-zone': createZone,
  'okta-update-zone': updateZone,
  'okta-delete-zone': deleteZone,
  ...Object.fromEntries(Object.keys(ZONE_TRANSITIONS).map((c) => [c, zoneLifecycleHandler(c)])),
  // incident response: API tokens, admin roles, identity providers
  'okta-list-api-tokens': listApiTokens,
  'okta-revoke-api-token': revokeApiToken,
  'okta-list-group-roles': listGroupRoles,
  'okta-remove-user-role': removeUserRole,
  'okta-remove-group-role': removeGroupRole,
  'okta-list-idps': listIdps,
  'okta-deactivate-idp': deactivateIdp,
  // Identity Threat Protection
  'okta-get-user-risk': getUserRisk,
  'okta-set-user-risk': setUserRisk,
  'okta-universal-logout': universalLogout,
  // devices, OAuth grants and clients of a user
  'okta-list-user-devices': listUserDevices,
  ...Object.fromEntries(Object.keys(DEVICE_TRANSITIONS).map((c) => [c, deviceLifecycleHandler(c)])),
  'okta-list-user-grants': listUserGrants,
  'okta-revoke-user-grants': revokeUserGrants,
  'okta-list-user-clients': listUserClients,
  'okta-revoke-user-client-tokens': revokeUserClientTokens,
  // applications of a user, application lifecycle
  'okta-get-user-app-links': getUserAppLinks,
  ...Object.fromEntries(Object.keys(APP_TRANSITIONS).map((c) => [c, appLifecycleHandler(c)])),
  // policies
  'okta-list-policies': listPolicies,
  'okta-list-policy-rules': listPolicyRules,
  'okta-deactivate-policy-rule': deactivatePolicyRule,
};
