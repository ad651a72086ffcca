/**
 * RFC 8288 Link header parsing. Okta may send `self` and `next` as two headers, which Node
 * joins with ", "; URLs may themselves contain commas, so split on `<`…`>` tokens, not commas.
 */
export function parseLinks(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  const text = Array.isArray(header) ? header.join(', ') : header;
  const re = /<([^>]*)>((?:\s*;\s*[^;,<]+)*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const url = m[1]!;
    const relM = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(m[2] ?? '');
    if (!relM) continue;
    for (const rel of relM[1]!.trim().split(/\s+/)) if (!(rel.toLowerCase() in out)) out[rel.toLowerCase()] = url;
  }
  return out;
}
