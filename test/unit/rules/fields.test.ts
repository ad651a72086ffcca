/** Field names as Sigma's Okta rules write them: any case, dotted paths, lists on the way. */
import { EventView, fieldPath, resolve } from '../../../integration/fetch/rules/fields.js';
import { detects, oktaEvent } from './helpers.js';

const event = oktaEvent({
  target: [
    { id: '0oa1', type: 'AppInstance', alternateId: 'Okta Admin Console', displayName: 'Okta Admin Console' },
    { id: '00u2', type: 'User', alternateId: 'bob@example.com', displayName: 'Bob Example' },
  ],
  request: { ipChain: [{ ip: '198.51.100.7' }, { ip: '10.0.0.1' }] },
  debugContext: { debugData: { 'dotted.key': 'yes', behaviors: '{New Device=POSITIVE}' } },
});

describe('field paths', () => {
  test('any case: eventtype, securitycontext.isproxy, DebugContext.DebugData.Behaviors', () => {
    expect(resolve(event, fieldPath('eventtype'))).toEqual(['user.session.start']);
    expect(resolve(event, fieldPath('securitycontext.isproxy'))).toEqual([false]);
    expect(resolve(event, fieldPath('DebugContext.DebugData.Behaviors'))).toEqual(['{New Device=POSITIVE}']);
  });

  test('a list on the way is walked element by element', () => {
    expect(resolve(event, fieldPath('target.alternateId'))).toEqual(['Okta Admin Console', 'bob@example.com']);
    expect(resolve(event, fieldPath('request.ipChain.ip'))).toEqual(['198.51.100.7', '10.0.0.1']);
    expect(detects('sel:\n  target.displayName: okta admin console\ncondition: sel', event)).toBe(true);
    expect(detects('sel:\n  target.type: User\n  target.alternateId: bob@example.com\ncondition: sel', event)).toBe(true);
  });

  test('a key holding dots is found by the joined segments', () => {
    expect(resolve(event, fieldPath('debugContext.debugData.dotted.key'))).toEqual(['yes']);
  });

  test('a missing path gives nothing; null is a value', () => {
    expect(resolve(event, fieldPath('client.nothing.here'))).toEqual([]);
    expect(resolve(oktaEvent(), fieldPath('target'))).toEqual([null]);
    expect(resolve(oktaEvent(), fieldPath('target.id'))).toEqual([]);
  });

  test('the exact key wins over another spelling of it', () => {
    const e = { Name: 'upper', name: 'lower' };
    expect(resolve(e, fieldPath('name'))).toEqual(['lower']);
    expect(resolve(e, fieldPath('NAME'))).toEqual(['upper']);
  });

  test('an event view reads each path once and gives text forms', () => {
    const view = new EventView(event);
    const a = view.get(fieldPath('securityContext.asNumber'));
    expect(a).toEqual({ raw: [7018], text: ['7018'], lower: ['7018'] });
    expect(view.get(fieldPath('securityContext.asNumber'))).toBe(a);
    expect(view.get(null).text).toContain('Okta Admin Console');
  });
});
