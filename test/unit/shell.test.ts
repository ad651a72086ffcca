import { completer, keepInHistory } from '../../integration/faces/cli/verbs/shell.js';
import { renderMarkdown } from '../../integration/faces/cli/markdown-term.js';
import { tableToMarkdown } from '../../integration/engine/results.js';

describe('war-room completion', () => {
  test('command names, with or without !', () => {
    expect(completer('!okta-get-us')[0]).toEqual(['!okta-get-user', '!okta-get-user-factors', '!okta-get-user-risk', '!okta-get-user-app-links']);
    expect(completer('okta-list-z')[0]).toEqual(['okta-list-zones']);
  });
  test('argument names of the command, not yet used ones', () => {
    expect(completer('!okta-get-user usern')[0]).toEqual(['username=']);
    expect(completer('!okta-get-user username=a ')[0]).not.toContain('username=');
    expect(completer('!okta-suspend-user dry')[0]).toEqual(['dry_run=']);
  });
  test('predefined values', () => {
    expect(completer('!okta-get-logs sortOrder=D')[0]).toEqual(['sortOrder=DESCENDING']);
  });
});

test('lines with a secret argument never reach the history file', () => {
  expect(keepInHistory('!okta-set-password alice@example.com password=hunter2hunter2')).toBe(false);
  expect(keepInHistory('!okta-get-user username=alice@example.com')).toBe(true);
});

test('markdown tables fit the terminal: aligned, cut with …, empty columns dropped, pipes kept', () => {
  const md = tableToMarkdown('Users', [
    { ID: '00u1', Login: 'alice@example.com', Note: 'a|b', Manager: '' },
    { ID: '00u2', Login: 'b'.repeat(80), Note: 'x', Manager: '' },
  ]);
  const out = renderMarkdown(md, { width: 60 });
  const lines = out.split('\n');
  expect(lines[0]).toBe('Users');
  expect(lines[1]).toMatch(/^ID +Login +Note$/);
  expect(out).not.toContain('Manager');
  expect(out).toContain('a|b');
  expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(60);
  expect(lines[4]).toContain('…');
});

test('a line that does not parse, or a positional secret, stays out of the history too', () => {
  expect(keepInHistory('!okta-set-password username="alice password=hunter2hunter2')).toBe(false);
});
