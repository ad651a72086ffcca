/** Which default rule (rules/okta) each sandbox scenario is made to raise: shared by the rule and fetch tests. */
import type { ScenarioName } from '../../sandbox/index.js';

/** The default rule each sandbox scenario is made to raise (rules/okta, by id). */
export const RAISES: Record<ScenarioName, string> = {
  'threat-detected': 'c83f01d2-66e2-41c3-a390-9e85f1724b74',
  'attack-start': 'b089397b-f177-40a5-a2b8-53e4cd49120f',
  'suspicious-activity-report': 'c9b5626c-6a41-4853-b79c-39ce41ca6d87',
  'account-lock': '9b13ab7a-d310-48f9-87ef-6a942e9dd1db',
  'factor-reset-all': '02b16405-5a7a-4aa9-bb10-06e60058ad0f',
  'factor-deactivate': 'dff565c8-443b-4960-99f2-7a7fac7b8ab2',
  'privilege-grant-user': '3c003d13-7e20-4464-9b22-23afbec67250',
  'privilege-grant-group': '21aa500c-a657-4e83-b8eb-cefb805c9b2c',
  'api-token-create': '0858ae1f-0215-4c15-99b7-dc94927731bc',
  impersonation: 'b015c7d0-6b19-438b-ab68-fd5b47228dd5',
  'rate-limit-violation': '9378e7a6-2f83-4c6d-815b-b639de0ede90',
  'sign-on-policy-deny': '78ac0a39-e94b-45f1-b594-1d365b63ae46',
  'push-bombing': '0a1ed09d-7ebe-494b-bd2a-1d32063ea5aa',
  'push-flood': '5049e87b-3819-4b6c-a25d-0a42c7392c76',
  'proxy-sign-in': '98d14f05-73d4-47a9-bc4b-84150848b2f5',
  'high-risk-sign-in': '8c274987-40b1-4371-8a82-a5fa6214c9c3',
  'password-spray': 'c23d9186-b7ad-4649-bd3e-e68f9a8c678f',
  'admin-console-new-device': 'bf7bcc0d-9d3b-4db4-9f21-eb8cb095f850',
  'idp-create': '82409a6d-62fc-46fb-8f36-d2e27bb6c1e9',
  'policy-rule-deactivate': 'e9032797-50d8-4d8a-a50b-923d4b222967',
  'zone-deactivate': '7837ea63-f360-4945-a152-155508c74967',
  'mfa-bypass': 'b4349699-0c31-4f97-906a-2ce0c811c78c',
  'fastpass-phishing': 'bd447539-a981-4441-b60a-e3872b5b28e1',
  'token-reuse': '06639c8b-4802-481c-9a68-952131b4bc63',
  'custom-role-binding': 'c6a15b32-71a6-4344-bad8-3ffea873fa63',
};
