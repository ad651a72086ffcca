import { entriesJson } from '../../integration/faces/cli/shared.js';

/** The CLI's --json document is written in pieces, a list held twice serialised once: it must be JSON.stringify's text, byte for byte. */
describe('the --json document in pieces', () => {
  test('equals JSON.stringify for entries that share their events between Contents and context', () => {
    const events = [{ uuid: 'a', n: 1, s: 'é "q" \\ \u2028', nested: { list: [1, null, 'x'] } }, { uuid: 'b', u: undefined, f: () => 1 }];
    const entries: unknown[] = [
      { Type: 1, ContentsFormat: 'json', Contents: events, HumanReadable: '### t\n|a|', EntryContext: { 'Okta.Logs.Events(val.uuid && val.uuid === obj.uuid)': events, 'Okta.LogsCursor(true)': { next: 'x' }, skip: undefined } },
      { Type: 4, ContentsFormat: 'text', Contents: 'failed', HumanReadable: 'failed', when: new Date(0) },
      { Type: 1, Contents: events, EntryContext: events, extra: [events, events] },
      { Type: 1, Contents: undefined, HumanReadable: '', EntryContext: { d: new Date(5), k: events } },
      undefined,
      null,
      [1, 2],
      { toJSON: () => ({ replaced: true }) },
    ];
    expect(entriesJson(entries).join('')).toBe(JSON.stringify(entries));
  });

  test('a list held twice is serialised once and its text written twice', () => {
    const events = Array.from({ length: 3 }, (_, i) => ({ uuid: `e${i}` }));
    const pieces = entriesJson([{ Type: 1, Contents: events, EntryContext: { k: events } }]);
    const text = JSON.stringify(events);
    expect(pieces.filter((p) => p === text)).toHaveLength(2);
  });
});
