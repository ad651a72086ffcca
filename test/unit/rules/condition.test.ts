/** Sigma conditions: and/or/not with precedence, parentheses, `N of pattern`, `them`. */
import fc from 'fast-check';
import { evalCondition, parseCondition, type Condition } from '../../../integration/fetch/rules/condition.js';
import { RuleSyntaxError } from '../../../integration/fetch/rules/rule-error.js';

const ids = ['selection', 'filter_a', 'filter_b', 'sel_1', 'sel_2', '_helper'];
const run = (src: string, truth: Record<string, boolean>) => evalCondition(parseCondition(src, ids), (n) => truth[n] ?? false);

describe('condition', () => {
  test('not binds tighter than and, and tighter than or', () => {
    expect(parseCondition('selection or filter_a and not filter_b', ids)).toEqual({
      k: 'or',
      items: [
        { k: 'id', name: 'selection' },
        { k: 'and', items: [{ k: 'id', name: 'filter_a' }, { k: 'not', item: { k: 'id', name: 'filter_b' } }] },
      ],
    });
    expect(run('selection and not filter_a', { selection: true, filter_a: true })).toBe(false);
    expect(run('(selection or filter_a) and not filter_b', { filter_a: true })).toBe(true);
    expect(run('not (selection or filter_a)', { filter_a: true })).toBe(false);
  });

  test('quantifiers over patterns and them (them leaves out names starting with _)', () => {
    expect(parseCondition('1 of sel_*', ids)).toEqual({ k: 'of', min: 1, names: ['sel_1', 'sel_2'] });
    expect(parseCondition('all of filter_*', ids)).toEqual({ k: 'of', min: 2, names: ['filter_a', 'filter_b'] });
    expect(parseCondition('all of them', ids)).toEqual({ k: 'of', min: 5, names: ['selection', 'filter_a', 'filter_b', 'sel_1', 'sel_2'] });
    expect(run('2 of them', { sel_1: true, _helper: true })).toBe(false);
    expect(run('2 of them', { sel_1: true, filter_b: true })).toBe(true);
    expect(run('any of sel_*', { sel_2: true })).toBe(true);
    expect(run('selection and 1 of sel_*', { selection: true })).toBe(false);
  });

  test('operators are case-insensitive; identifiers are not', () => {
    expect(run('selection AND NOT filter_a', { selection: true })).toBe(true);
    expect(() => run('Selection', {})).toThrow(/unknown search identifier "Selection"/);
  });

  test.each([
    ['selection | count() by actor.alternateId > 5', /aggregations after '\|'.*correlation rule/],
    ['selection and', /ends too early/],
    ['selection filter_a', /unexpected "filter_a"/],
    ['(selection or filter_a', /missing '\)'/],
    ['selection or typo', /unknown search identifier "typo"/],
    ['1 of nothing_*', /matches no search identifier/],
    ['sel_*', /is a pattern: write '1 of sel_\*'/],
    ['0 of them', /count must be/],
    ['selection near filter_a', /unexpected "near"|near/],
    ['', /empty/],
    ['selection & filter_a', /unexpected "&"/],
  ])('refuses %j', (src, message) => {
    let err: unknown;
    try {
      parseCondition(src, ids);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleSyntaxError);
    expect((err as RuleSyntaxError).construct).toBe('condition');
    expect((err as Error).message).toMatch(message);
  });

  test('property: a printed random condition evaluates like the same expression in JavaScript', () => {
    const names = ['selection', 'filter_a', 'filter_b', 'sel_1'];
    const expr: fc.Memo<Condition> = fc.memo((n) =>
      n <= 1
        ? fc.constantFrom(...names).map((name): Condition => ({ k: 'id', name }))
        : fc.oneof(
            fc.constantFrom(...names).map((name): Condition => ({ k: 'id', name })),
            fc.tuple(expr(n - 1), expr(n - 1)).map(([a, b]): Condition => ({ k: 'and', items: [a, b] })),
            fc.tuple(expr(n - 1), expr(n - 1)).map(([a, b]): Condition => ({ k: 'or', items: [a, b] })),
            expr(n - 1).map((item): Condition => ({ k: 'not', item })),
          ),
    );
    const print = (c: Condition): string => (c.k === 'id' ? c.name : c.k === 'not' ? `not (${print(c.item)})` : c.k === 'of' ? '' : `(${c.items.map(print).join(` ${c.k} `)})`);
    const js = (c: Condition, t: Record<string, boolean>): boolean =>
      c.k === 'id' ? t[c.name]! : c.k === 'not' ? !js(c.item, t) : c.k === 'and' ? c.items.every((x) => js(x, t)) : c.k === 'or' ? c.items.some((x) => js(x, t)) : false;
    fc.assert(
      fc.property(expr(5), fc.record({ selection: fc.boolean(), filter_a: fc.boolean(), filter_b: fc.boolean(), sel_1: fc.boolean() }), (c, truth) => {
        expect(evalCondition(parseCondition(print(c), ids), (n) => truth[n as keyof typeof truth])).toBe(js(c, truth));
      }),
      { numRuns: 500 },
    );
  });
});
