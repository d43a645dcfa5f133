/** HTML building blocks of the report: escaping and the page shell. Pure. */
import { createHash } from 'node:crypto'

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => entities[c])
}

/** A number with a precision that suits its magnitude; "–" for a missing one. */
export function num(value: number | undefined, digits?: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  const abs = Math.abs(value)
  return value.toFixed(digits ?? (abs >= 1000 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3))
}

export function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(1)}%`
}

/** `2026-12-01 14:00 UTC`. */
export function utc(ms: number): string {
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '–'
}

const style = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6472; --line: #d5dae1; --accent: #1f6feb; --band: #9cc3ff; --warn: #b35900; --bad: #c62828; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; padding: 20px 28px 48px; max-width: 1180px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
p.meta { color: var(--muted); margin: 0 0 16px; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #f6f8fa; position: sticky; top: 0; }
td.n, th.n { text-align: right; }
tr.chosen td { background: #eef5ff; font-weight: 600; }
.flag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; margin: 0 4px 2px 0; }
.flag.bad { background: #fde2e1; color: var(--bad); } .flag.warn { background: #fff1dc; color: var(--warn); } .flag.ok { background: #e3f5e6; color: #1b6e2a; }
ul.notes { margin: 4px 0; padding-left: 20px; }
input[type=search] { font: inherit; padding: 6px 10px; width: 320px; border: 1px solid var(--line); border-radius: 4px; margin: 0 12px 12px 0; }
svg.chart { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--muted); }
.legend span { margin-right: 16px; color: var(--muted); font-size: 13px; }
.legend i { display: inline-block; width: 18px; height: 10px; margin-right: 5px; vertical-align: middle; }
`

/**
 * A whole page. The Content-Security-Policy forbids every fetch and allows only the given inline
 * scripts (by hash): the page opens from disk, and text from the data can never run as code.
 */
export function page(title: string, body: string, scripts: string[] = []): string {
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`)
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${hashes.length > 0 ? hashes.join(' ') : "'none'"}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
${body}
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`
}
