/** Loading rules: files and folders, and every bad input refused with its file, rule and construct. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../integration/base/errors.js';
import { describeProblem, loadRules, parseRulePaths, parseRules, RuleLoadError, type RuleProblem } from '../../../integration/fetch/rules/index.js';
import { problemsOf, rulesOf, ruleText } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-rules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string): string => {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
};

const good = (id: string, type = 'user.account.lock') => `title: Rule ${id}\nid: ${id}\nlevel: low\nlogsource:\n  product: okta\n  service: okta\ndetection:\n  sel:\n    eventType: ${type}\n  condition: sel\n`;

function only(problems: RuleProblem[]): RuleProblem {
  expect(problems).toHaveLength(1);
  return problems[0]!;
}

describe('files and folders', () => {
  test('a folder is read recursively in sorted order: *.yml and *.yaml, not hidden or other files', () => {
    write('b.yml', good('rule-b'));
    write('a/c.yaml', good('rule-c'));
    write('a/notes.txt', 'not a rule');
    write('.hidden/d.yml', 'title: [broken');
    const rs = loadRules([dir]);
    expect(rs.rules.map((r) => r.id)).toEqual(['rule-c', 'rule-b']);
    expect(rs.files).toEqual([path.join(dir, 'a/c.yaml'), path.join(dir, 'b.yml')]);
  });

  test('files and folders can be mixed, and a file named twice is read once', () => {
    const f = write('one.yml', good('rule-1'));
    write('more/two.yml', good('rule-2'));
    expect(loadRules([f, path.join(dir, 'more'), f]).rules.map((r) => r.id)).toEqual(['rule-1', 'rule-2']);
  });

  test('a setting lists paths separated by commas or new lines', () => {
    expect(parseRulePaths(' rules/a.yml, rules/b \n\n/opt/c ')).toEqual(['rules/a.yml', 'rules/b', '/opt/c']);
  });

  test('a folder linked into itself is read once', () => {
    write('r.yml', good('rule-r'));
    symlinkSync(dir, path.join(dir, 'loop'));
    expect(loadRules([dir]).rules.map((r) => r.id)).toEqual(['rule-r']);
  });

  test('several YAML documents in one file are several rules', () => {
    const f = write('multi.yml', `${good('rule-1')}---\n${good('rule-2')}---\n`);
    expect(loadRules([f]).rules.map((r) => [r.id, r.document])).toEqual([
      ['rule-1', 1],
      ['rule-2', 2],
    ]);
  });
});

describe('bad input: a clear error naming the file and the rule', () => {
  test('a folder that does not exist', () => {
    const missing = path.join(dir, 'nope');
    const p = only(parseRules([missing]).problems);
    expect(p).toEqual({ file: missing, message: 'does not exist (give a Sigma rule file or a folder of them)' });
    expect(() => loadRules([missing])).toThrow(RuleLoadError);
  });

  test('a folder without rules, and no path at all', () => {
    expect(only(parseRules([dir]).problems).message).toMatch(/holds no Sigma rule file/);
    expect(only(parseRules([]).problems).message).toMatch(/no rule file or folder was given/);
  });

  test('a YAML error names the file, the document and the line', () => {
    const f = write('broken.yml', `${good('fine')}---\ntitle: ok\ndetection:\n  sel: [unclosed\n`);
    const p = only(parseRules([f]).problems);
    expect(p).toMatchObject({ file: f, rule: '#2', construct: 'YAML', line: expect.any(Number) });
    expect(p.line).toBeGreaterThanOrEqual(13);
  });

  test('duplicate YAML keys are an error, not a silently dropped selection', () => {
    expect(only(problemsOf(ruleText('sel:\n  eventType: a\nsel:\n  eventType: b\ncondition: sel'))).construct).toBe('YAML');
  });

  test('a rule without detection', () => {
    const p = only(problemsOf('title: No detection\nid: nd-1\nlevel: low\nlogsource:\n  product: okta\n'));
    expect(p).toMatchObject({ file: 'test.yml', rule: 'nd-1', construct: 'detection', message: expect.stringMatching(/is missing/) });
  });

  test('an unknown modifier, and one Sigma has that makes no sense for Okta', () => {
    const unknown = only(problemsOf(ruleText('sel:\n  eventType|containz: lock\ncondition: sel')));
    expect(unknown).toMatchObject({ rule: 'test-rule', construct: 'detection.sel: modifier "containz"' });
    expect(unknown.message).toMatch(/not a Sigma modifier okta-soar knows \(known: all, cased, cidr, contains/);
    const windash = only(problemsOf(ruleText('sel:\n  displayMessage|windash|contains: -x\ncondition: sel')));
    expect(windash).toMatchObject({ construct: "detection.sel: modifier 'windash'" });
    expect(windash.message).toMatch(/Windows command-line/);
  });

  test('a regular expression that needs backtracking (backreference, lookaround) is refused; a catastrophic one is bounded, not refused', () => {
    const back = only(problemsOf(ruleText("sel:\n  actor.alternateId|re: '(a+)\\1'\ncondition: sel")));
    expect(back).toMatchObject({ rule: 'test-rule', construct: "detection.sel: modifier 're'" });
    expect(back.message).toMatch(/cannot be used: .*backreferences and lookaround need a backtracking engine/);
    expect(only(problemsOf(ruleText("sel:\n  actor.alternateId|re: '(?=admin)a'\ncondition: sel"))).message).toMatch(/lookaround/);
    expect(only(problemsOf(ruleText("sel:\n  actor.alternateId|re: '[unclosed'\ncondition: sel"))).message).toMatch(/missing closing \]/);
    // (a+)+$ backtracks for ever in V8's engine; on RE2 it runs in linear time (values.test.ts).
    expect(rulesOf(ruleText("sel:\n  actor.alternateId|re: '(a+)+$'\ncondition: sel")).rules).toHaveLength(1);
  });

  test.each([
    ['modifiers that cannot go together', 'sel:\n  eventType|contains|startswith: x\ncondition: sel', /cannot be combined/],
    ['a flag without re', 'sel:\n  eventType|i: x\ncondition: sel', /is a flag of 're'/],
    ['exists without a boolean', "sel:\n  eventType|exists: 'yes'\ncondition: sel", /takes true or false/],
    ['a bad CIDR range', "sel:\n  client.ipAddress|cidr: '10.0.0.0/33'\ncondition: sel", /is not a CIDR range/],
    ['a number comparison with text', 'sel:\n  x|gt: many\ncondition: sel', /compares numbers/],
    ['an empty list', 'sel:\n  eventType: []\ncondition: sel', /empty list/],
    ['a map as a value', 'sel:\n  eventType:\n    nested: x\ncondition: sel', /not a map/],
    ['null with a modifier', 'sel:\n  eventType|contains: null\ncondition: sel', /null cannot take a modifier/],
    ['an empty selection', 'sel: {}\ncondition: sel', /empty map/],
    ['no condition', 'sel:\n  eventType: x', /detection.condition/],
    ['Sigma 1 timeframe', 'sel:\n  eventType: x\ntimeframe: 5m\ncondition: sel', /timeframe/],
    ['an aggregation', 'sel:\n  eventType: x\ncondition: sel | count() > 5', /correlation rule/],
    ['an unknown identifier', 'sel:\n  eventType: x\ncondition: sel and other', /unknown search identifier "other"/],
  ])('%s', (_what, detection, message) => {
    const p = only(problemsOf(ruleText(detection)));
    expect(p.rule).toBe('test-rule');
    expect(describeProblem(p)).toMatch(message);
  });

  test('a rule for another log source would never match: refused', () => {
    const p = only(problemsOf('title: Windows\nid: w-1\nlevel: low\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n    Image: x\n  condition: sel\n'));
    expect(p).toMatchObject({ rule: 'w-1', construct: 'logsource' });
  });

  test('title and level are required where the rule makes incidents; a level must be a Sigma level', () => {
    expect(only(problemsOf('id: t-1\nlevel: low\ndetection:\n  sel:\n    eventType: x\n  condition: sel\n'))).toMatchObject({ rule: 't-1', construct: 'title' });
    expect(only(problemsOf('title: No level\nid: l-1\ndetection:\n  sel:\n    eventType: x\n  condition: sel\n'))).toMatchObject({ rule: 'l-1', construct: 'level' });
    expect(only(problemsOf('title: Bad level\nid: l-2\nlevel: severe\ndetection:\n  sel:\n    eventType: x\n  condition: sel\n')).message).toMatch(/"severe" is not a Sigma level/);
  });

  test('two rules with one id', () => {
    const p = only(problemsOf(`${good('same')}---\n${good('same')}`));
    expect(p).toMatchObject({ rule: 'same', construct: 'id', message: expect.stringMatching(/already used by a rule in test.yml \(document 1\)/) });
  });

  test('Sigma 1 collections and filter documents', () => {
    expect(only(problemsOf('action: global\ntitle: g\n')).construct).toBe('action');
    expect(only(problemsOf('title: f\nfilter:\n  rules: [x]\n')).construct).toBe('filter');
  });

  test('a file too large to be a rule file', () => {
    const f = write('huge.yml', `# ${'x'.repeat(1024 * 1024 + 10)}\n`);
    expect(only(parseRules([f]).problems).message).toMatch(/larger than 1024 KiB/);
  });

  test('a YAML alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(only(problemsOf(`${bomb.join('\n')}\ntitle: bomb\n`)).construct).toBe('YAML');
  });

  test('every problem is reported at once, and the error lists them with file, rule and construct', () => {
    write('1.yml', ruleText('sel:\n  eventType|base64: x\ncondition: sel'));
    write('2.yml', 'title: [');
    write('3.yml', good('fine'));
    const { ruleSet, problems } = parseRules([dir]);
    expect(ruleSet).toBeNull();
    expect(problems).toHaveLength(2);
    let err: unknown;
    try {
      loadRules([dir]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleLoadError);
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as RuleLoadError;
    expect(e.parameter).toBe('fetch_rules');
    expect(e.problems).toEqual(problems);
    expect(e.message).toMatch(/^fetch_rules: 2 Sigma rule problems, so no rule is used: /);
    expect(e.message).toContain(`${path.join(dir, '1.yml')} rule "test-rule" detection.sel: modifier 'base64': is not supported`);
    expect(e.message).toContain(`${path.join(dir, '2.yml')}:1 rule "#1" YAML:`);
    expect(e.message).not.toContain('\n');
  });

  test('untrusted text in a problem is quoted and cannot forge lines', () => {
    const p = only(problemsOf(ruleText('sel:\n  "eventType|evil\\u2028x": y\ncondition: sel')));
    expect(describeProblem(p)).not.toMatch(/[\u2028\n]/);
    expect(describeProblem(p)).toContain('\\u2028');
  });
});

describe('metadata', () => {
  test('id, title, level and severity, tags with ATT&CK, references, description', () => {
    const rs = rulesOf(
      'title: Admin role\nid: 413d4a81-0000-4000-8000-000000000001\nstatus: stable\ndescription: Grants\nlevel: HIGH\ntags:\n  - attack.privilege_escalation\n  - attack.persistence\n  - attack.t1098.003\n  - attack.g0016\n  - cve.2023.1234\nreferences:\n  - https://example.com/a\nfalsepositives: Admins\nlogsource:\n  product: okta\ndetection:\n  sel:\n    eventType: user.account.privilege.grant\n  condition: sel\n',
    );
    expect(rs.detections[0]).toMatchObject({
      kind: 'detection',
      id: '413d4a81-0000-4000-8000-000000000001',
      title: 'Admin role',
      level: 'high',
      severity: 3,
      status: 'stable',
      description: 'Grants',
      tags: ['attack.privilege_escalation', 'attack.persistence', 'attack.t1098.003', 'attack.g0016', 'cve.2023.1234'],
      attack: { tactics: ['privilege-escalation', 'persistence'], techniques: ['T1098.003'] },
      references: ['https://example.com/a'],
      falsepositives: ['Admins'],
      file: 'test.yml',
      document: 1,
      standalone: true,
      eventTypes: ['user.account.privilege.grant'],
    });
  });

  test('a rule with neither id nor name is known by its file and document', () => {
    const rs = rulesOf('title: Anonymous\nlevel: informational\ndetection:\n  sel:\n    eventType: x\n  condition: sel\n', 'anon.yml');
    expect(rs.rules[0]!.id).toBe('anon.yml#1');
    expect(rs.rules[0]!.severity).toBe(0);
  });
});
