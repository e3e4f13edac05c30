/**
 * A hand-written SVG bar chart of the medians: one panel per case kind (1 KB throughput, 1 KB at
 * 20 ms round trip, big messages), a group of horizontal bars per case, one bar per client.
 */
import type { ClientName } from './bench-client.js';
import type { CaseKind, CaseResult, ClientSummary } from './report.js';

const COLORS: Record<ClientName, string> = {
  'smtp-machine': '#2b6cb0',
  nodemailer: '#c05621',
  raw: '#718096',
};
const ORDER: readonly ClientName[] = ['smtp-machine', 'nodemailer', 'raw'];
const WIDTH = 900;
const LABEL_WIDTH = 290;
const BAR_AREA = WIDTH - LABEL_WIDTH - 90;
const BAR = 14;
const GAP = 10;

interface Panel {
  readonly kind: CaseKind;
  readonly title: string;
  readonly value: (s: ClientSummary) => number;
  readonly unit: string;
}

const PANELS: readonly Panel[] = [
  {
    kind: 'throughput',
    title: '1 KB messages, loopback — messages/s (higher is better)',
    value: (s) => s.msgPerSec,
    unit: 'msg/s',
  },
  {
    kind: 'latency',
    title: '1 KB messages, 20 ms round trip — messages/s (higher is better)',
    value: (s) => s.msgPerSec,
    unit: 'msg/s',
  },
  { kind: 'big', title: 'One big message — wall ms (lower is better)', value: (s) => s.wallMs, unit: 'ms' },
];

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panelSvg(
  panel: Panel,
  results: readonly CaseResult[],
  top: number,
): { svg: string; height: number } {
  const cases = results.filter((r) => r.spec.kind === panel.kind);
  if (cases.length === 0) return { svg: '', height: 0 };
  const values = cases.flatMap((r) =>
    ORDER.map((c) => r.clients[c])
      .filter((s) => s !== undefined)
      .map(panel.value),
  );
  const max = Math.max(...values, 1);
  const parts: string[] = [`<text x="10" y="${top + 18}" class="title">${escapeXml(panel.title)}</text>`];
  let y = top + 32;
  for (const result of cases) {
    const present = ORDER.filter((c) => result.clients[c] !== undefined);
    const groupHeight = present.length * (BAR + 2);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + groupHeight / 2 + 4}" class="case">${escapeXml(result.spec.name)}</text>`,
    );
    for (const client of present) {
      const value = panel.value(result.clients[client] as ClientSummary);
      const width = Math.max(1, (value / max) * BAR_AREA);
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" fill="${COLORS[client]}"><title>${client}: ${value.toFixed(1)} ${panel.unit}</title></rect>`,
        `<text x="${(LABEL_WIDTH + width + 4).toFixed(1)}" y="${y + BAR - 3}" class="value">${value.toFixed(value < 100 ? 1 : 0)}</text>`,
      );
      y += BAR + 2;
    }
    y += GAP;
  }
  return { svg: parts.join('\n'), height: y - top + 6 };
}

export function renderChart(results: readonly CaseResult[], subtitle: string): string {
  const body: string[] = [];
  let y = 44;
  for (const panel of PANELS) {
    const { svg, height } = panelSvg(panel, results, y);
    body.push(svg);
    y += height;
  }
  const legend = ORDER.map(
    (client, i) =>
      `<rect x="${10 + i * 150}" y="${y + 6}" width="12" height="12" fill="${COLORS[client]}"/><text x="${28 + i * 150}" y="${y + 16}" class="value">${client}</text>`,
  ).join('');
  const height = y + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<style>.title{font-size:14px;font-weight:bold}.case{font-size:12px;text-anchor:end}.value{font-size:11px}.sub{font-size:11px;fill:#555}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" class="title">smtp-machine vs nodemailer vs raw pipelined sender (medians)</text>
<text x="10" y="36" class="sub">${escapeXml(subtitle)}</text>
${body.join('\n')}
${legend}
</svg>
`;
}
