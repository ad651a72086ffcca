import { PassThrough } from 'node:stream';
import { entriesJson, output } from '../../integration/faces/cli/shared.js';
import type { CliIO } from '../../integration/faces/cli/io.js';
import type { Entry } from '../../integration/engine/types.js';

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

/** What `output` writes to stdout for --json, as bytes. */
async function jsonBytes(entries: Entry[]): Promise<Buffer> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  const io: CliIO = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} };
  await output(io, true, entries);
  return Buffer.concat(chunks);
}

describe('a large --json document', () => {
  test('is written as the UTF-8 of JSON.stringify, also where a character outside the BMP straddles a chunk', async () => {
    const CHUNK = 1 << 20;
    const prefix = '[{"uuid":"x","s":"';
    // The emoji's high surrogate is the last character of the first chunk of the events' text.
    const events = [{ uuid: 'x', s: `${'a'.repeat(CHUNK - 1 - prefix.length)}\u{1F600}é${'b'.repeat(CHUNK)}` }, { uuid: 'y', s: 'Ω 😀' }];
    expect(JSON.stringify(events).charCodeAt(CHUNK - 1)).toBe(0xd83d);
    const entries = [{ Type: 1, ContentsFormat: 'json', Contents: events, HumanReadable: 'x', EntryContext: { k: events } }] as unknown as Entry[];
    const bytes = await jsonBytes(entries);
    expect(bytes.equals(Buffer.from(`${JSON.stringify(entries)}\n`, 'utf8'))).toBe(true);
  });
});
