/** The benchmark's results: their shape, the markdown table and the SVG chart (written by hand). */

export interface Series {
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  runs: number[];
  median: number;
  min: number;
  max: number;
}

export interface Row {
  id: string;
  group: string;
  title: string;
  soar: Series;
  /** Other okta-soar variants (paged reading, the CLI). */
  extra?: Series[];
  sdk?: Series;
  /** The ceiling of the set-up, or the minimum possible. */
  reference?: Series;
  ratio?: number;
  ratioLabel?: string;
  /** reference ÷ okta-soar (the ceiling of a throughput). */
  ceilingRatio?: number;
  target: string;
  /** Undefined: no target. */
  met?: boolean;
  detail?: Record<string, number | string>;
  note?: string;
}

export interface BenchResults {
  date: string;
  node: string;
  cpus: number;
  cpuModel: string;
  loadavg: { start: number[]; end: number[] };
  sizes: Record<string, number>;
  quick: boolean;
  durationS: number;
  rows: Row[];
  notes: string[];
}

function num(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en');
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

/** Units that are counted things, said in the singular for one. */
const COUNTED = new Set(['calls', 'tokens', 'items', 'events', 'users']);

/** A value with its unit: "1 token", "100 tokens", "12 ms". */
function withUnit(v: number, unit: string): string {
  return `${num(v)} ${num(v) === '1' && COUNTED.has(unit) ? unit.slice(0, -1) : unit}`;
}

function cell(s: Series | undefined): string {
  if (!s) return '';
  const spread = s.runs.length > 1 ? ` (${num(s.min)}–${num(s.max)})` : '';
  return `${withUnit(s.median, s.unit)}${spread}`;
}

function verdict(r: Row): string {
  if (r.met === undefined) return '';
  return r.met ? '**met**' : '**missed**';
}

export function renderMarkdown(res: BenchResults): string {
  const out: string[] = [];
  out.push('# Benchmark: okta-soar vs the official Okta Node SDK');
  out.push('');
  out.push(
    `Run ${res.date} on Node ${res.node}, ${res.cpus} × ${res.cpuModel}; load average ${res.loadavg.start.join(' ')} at the start, ${res.loadavg.end.join(' ')} at the end; ` +
      `${res.durationS} s in all${res.quick ? ' (**--quick smoke run: sizes shrunk, not comparable**)' : ''}.`,
  );
  out.push(`Sizes: ${Object.entries(res.sizes).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}. Written by \`npm run bench\` (bench/run.ts); see bench/README.md for the method.`);
  out.push('');
  out.push('Cells are medians, with the spread (min–max) of the runs in brackets. Ratios are of medians.');
  out.push('');
  out.push('| Benchmark | okta-soar | SDK | ceiling / minimum | ratio | target | verdict |');
  out.push('|---|---|---|---|---|---|---|');
  for (const r of res.rows) {
    const soar = [cell(r.soar) + (r.soar.label !== 'okta-soar' ? ` (${r.soar.label})` : ''), ...(r.extra ?? []).map((e) => `${cell(e)} (${e.label})`)].join('<br>');
    const ratios = [r.ratio !== undefined ? `${num(r.ratio)} (${r.ratioLabel})` : '', r.ceilingRatio !== undefined ? `ceiling ÷ okta-soar ${num(r.ceilingRatio)}` : ''].filter(Boolean).join('<br>');
    const sdk = r.sdk ? cell(r.sdk) + (r.sdk.label !== 'SDK' ? ` (${r.sdk.label})` : '') : '';
    const ref = r.reference ? `${cell(r.reference)} (${r.reference.label})` : '';
    out.push(`| ${r.title} | ${soar} | ${sdk} | ${ref} | ${ratios} | ${r.target} | ${verdict(r)} |`);
  }
  out.push('');
  const details = res.rows.filter((r) => r.detail || r.note);
  if (details.length) {
    out.push('## Details');
    out.push('');
    for (const r of details) {
      out.push(`- **${r.title}**${r.detail ? ': ' + Object.entries(r.detail).map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : v}`).join('; ') : ''}`);
      if (r.note) out.push(`  ${r.note}`);
    }
    out.push('');
  }
  if (res.notes.length) {
    out.push('## Notes');
    out.push('');
    for (const n of res.notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push('![chart](chart.svg)');
  out.push('');
  return out.join('\n');
}

const COLORS = ['#2f6fdf', '#7fa8ef', '#a9c3f3', '#e07b39', '#9a9a9a'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Horizontal bars, one group per benchmark, each group on its own scale (units differ). */
export function renderChart(res: BenchResults): string {
  const W = 860;
  const labelW = 290;
  const valueW = 130;
  const barMax = W - labelW - valueW - 20;
  const barH = 16;
  const gap = 5;
  const groupGap = 16;
  const titleH = 20;
  let y = 54;
  const parts: string[] = [];
  for (const r of res.rows) {
    const bars: Array<{ s: Series; color: string }> = [
      { s: r.soar, color: COLORS[0]! },
      ...(r.extra ?? []).map((s, i) => ({ s, color: COLORS[1 + (i % 2)]! })),
      ...(r.sdk ? [{ s: r.sdk, color: COLORS[3]! }] : []),
      ...(r.reference ? [{ s: r.reference, color: COLORS[4]! }] : []),
    ];
    const max = Math.max(...bars.map((b) => (Number.isFinite(b.s.max) ? b.s.max : 0)), 1e-9);
    const better = r.soar.better === 'higher' ? 'higher is better' : 'lower is better';
    const mark = r.met === undefined ? '' : r.met ? '  ✔ target met' : '  ✘ target missed';
    parts.push(`<text x="10" y="${y + 13}" class="t">${esc(r.title)} <tspan class="s">(${better}${mark})</tspan></text>`);
    y += titleH;
    for (const b of bars) {
      const w = Number.isFinite(b.s.median) ? Math.max(1, (b.s.median / max) * barMax) : 0;
      parts.push(`<text x="${labelW - 8}" y="${y + 12}" class="l" text-anchor="end">${esc(b.s.label)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}"/>`);
      let end = labelW + w;
      if (b.s.runs.length > 1 && Number.isFinite(b.s.min)) {
        const x1 = labelW + (b.s.min / max) * barMax;
        const x2 = labelW + (b.s.max / max) * barMax;
        parts.push(`<line x1="${x1.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#222" stroke-width="1.5"/>`);
        end = Math.max(end, x2);
      }
      parts.push(`<text x="${(end + 6).toFixed(1)}" y="${y + 12}" class="v">${esc(withUnit(b.s.median, b.s.unit))}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  const H = y + 10;
  const head =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">` +
    `<style>.h{font-size:16px;font-weight:bold}.t{font-size:13px;font-weight:bold}.s{font-size:11px;font-weight:normal;fill:#555}.l{font-size:12px}.v{font-size:12px;fill:#222}.f{font-size:11px;fill:#555}</style>` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="10" y="22" class="h">okta-soar vs @okta/okta-sdk-nodejs (sandbox org on loopback)</text>` +
    `<text x="10" y="40" class="f">${esc(`${res.date.slice(0, 16)}Z, Node ${res.node}, ${res.cpus} CPUs, load ${res.loadavg.start.join(' ')}; medians of alternating runs, whiskers min–max; each benchmark on its own scale`)}</text>`;
  return head + parts.join('') + '</svg>\n';
}
