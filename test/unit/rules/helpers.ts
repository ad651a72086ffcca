/** Small builders for the rule engine's tests: rules from YAML text, events by hand. */
import { parseRuleText, type RuleSet } from '../../../integration/fetch/rules/index.js';
import type { OktaEvent, RuleProblem } from '../../../integration/fetch/rules/index.js';

/** Rules from YAML text; fails the test with the problems when there are any. */
export function rulesOf(yaml: string, file = 'test.yml'): RuleSet {
  const { ruleSet, problems } = parseRuleText(yaml, file);
  if (!ruleSet) throw new Error(`rules refused: ${JSON.stringify(problems, null, 1)}`);
  return ruleSet;
}

/** The problems of YAML text that should be refused. */
export function problemsOf(yaml: string, file = 'test.yml'): RuleProblem[] {
  const { ruleSet, problems } = parseRuleText(yaml, file);
  if (ruleSet) throw new Error('rules were accepted');
  return problems;
}

const indent = (s: string, n: number) =>
  s
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

/** A whole rule around a detection section (YAML lines without the `detection:` key). */
export function ruleText(detection: string, extra = ''): string {
  return `title: Test rule\nid: test-rule\nlevel: medium\nlogsource:\n  product: okta\n${extra}detection:\n${indent(detection, 2)}\n`;
}

/** Whether a rule with this detection matches the event. */
export function detects(detection: string, event: OktaEvent): boolean {
  const rs = rulesOf(ruleText(detection));
  return rs.evaluate(event, rs.newState()).matches.length > 0;
}

/** A System Log event in Okta's shape, with overrides. */
export function oktaEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: over.uuid ?? 'e0000000-0000-4000-8000-000000000001',
    published: '2026-11-21T09:15:02.281Z',
    eventType: 'user.session.start',
    displayMessage: 'User login to Okta',
    severity: 'INFO',
    actor: { id: '00u1', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice Example', detailEntry: null },
    client: { ipAddress: '198.51.100.7', userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Mac OS X', browser: 'CHROME' }, zone: 'null', geographicalContext: { city: 'Austin', country: 'United States' } },
    outcome: { result: 'SUCCESS', reason: null },
    securityContext: { asNumber: 7018, asOrg: 'at&t', isp: 'at&t', domain: 'att.net', isProxy: false },
    debugContext: { debugData: { requestUri: '/idp/idx/identify', behaviors: '{New Device=NEGATIVE, New IP=NEGATIVE}', risk: '{level=LOW}' } },
    target: null,
    ...over,
  };
}
