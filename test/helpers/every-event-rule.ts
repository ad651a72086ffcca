/**
 * A Sigma rule that makes every System Log event an incident (level informational): for tests that
 * fetch every event of a fetch_query_filter, now that fetch-incidents always runs through rules.
 * docs/rules.md shows the same rule to users.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const EVERY_EVENT_RULE = `title: Okta event
id: every-event
level: informational
logsource:
  product: okta
detection:
  event:
    uuid|exists: true
  condition: event
`;

/** Writes the rule to a new temporary folder; returns the file (for fetch_rules / OKTA_FETCH_RULES). */
export function everyEventRuleFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'okta-soar-every-event-')), 'every_event.yml');
  writeFileSync(file, EVERY_EVENT_RULE);
  return file;
}
