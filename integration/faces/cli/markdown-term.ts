/**
 * Renders the markdown of entries (XSOAR's `### title` + pipe tables) for a terminal:
 * aligned columns within the terminal width, bold headings, long cells cut with "…".
 */
const BOLD = (s: string, color: boolean) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const DIM = (s: string, color: boolean) => (color ? `\x1b[2m${s}\x1b[0m` : s);

function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\' && i + 1 < inner.length && (inner[i + 1] === '|' || inner[i + 1] === '\\')) {
      cur += inner[++i];
    } else if (ch === '|') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells.map((c) => c.replace(/<br>/g, ' / ').trim());
}

function width(s: string): number {
  return [...s].length;
}

function cut(s: string, w: number): string {
  const chars = [...s];
  return chars.length <= w ? s + ' '.repeat(w - chars.length) : chars.slice(0, Math.max(0, w - 1)).join('') + '…';
}

function renderTable(allRows: string[][], maxWidth: number, color: boolean): string {
  // Columns empty in every row say nothing in a terminal: leave them out.
  const keep = allRows[0]!.map((_h, c) => allRows.slice(1).some((r) => (r[c] ?? '') !== ''));
  const rows = allRows.length > 1 ? allRows.map((r) => r.filter((_v, c) => keep[c])) : allRows;
  const cols = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => width(r[c] ?? ''))));
  const sep = 3;
  // Shrink the widest columns until the table fits.
  while (widths.reduce((a, b) => a + b, 0) + sep * (cols - 1) > maxWidth) {
    const i = widths.indexOf(Math.max(...widths));
    if (widths[i]! <= 8) break;
    widths[i]!--;
  }
  const line = (r: string[]) => widths.map((w, c) => cut(r[c] ?? '', w)).join(' '.repeat(sep)).trimEnd();
  const [head, ...body] = rows;
  const out = [BOLD(line(head!), color), DIM(widths.map((w) => '─'.repeat(w)).join(' '.repeat(sep)), color), ...body.map(line)];
  return out.join('\n');
}

export function renderMarkdown(md: string, opts: { width?: number; color?: boolean } = {}): string {
  const maxWidth = Math.max(40, (opts.width ?? 120) - 1);
  const color = opts.color ?? false;
  const lines = md.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*\|/.test(l) && i + 1 < lines.length && /^\s*\|\s*:?-{3,}/.test(lines[i + 1]!)) {
      const rows = [splitRow(l)];
      i += 2;
      while (i < lines.length && /^\s*\|/.test(lines[i]!)) rows.push(splitRow(lines[i++]!));
      i--;
      out.push(renderTable(rows, maxWidth, color));
      continue;
    }
    const h = /^#{1,6}\s+(.*)$/.exec(l);
    if (h) out.push(BOLD(h[1]!, color));
    else out.push(l.replace(/\*\*(.+?)\*\*/g, (_m, t: string) => BOLD(t, color)));
  }
  return out.join('\n');
}
