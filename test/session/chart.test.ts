import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { stateChart } from '../../scripts/spec/chart.js';
import { replyReactionsMarkdown } from '../../scripts/spec/reactions-doc.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import { armedTimer } from './armed-timer.js';

const spec = (name: string) => readFileSync(new URL(`../../spec/${name}`, import.meta.url), 'utf8');
const STALE = 'stale: run `npx tsx scripts/generate-state-chart.ts`';

describe('generated specs', () => {
  test('spec/state-chart.mmd is the chart of the current machine', () => {
    expect(spec('state-chart.mmd'), STALE).toBe(stateChart(sessionMachine));
  });

  test('spec/reply-reactions.md renders spec/reply-reactions.json', () => {
    expect(spec('reply-reactions.md'), STALE).toBe(
      replyReactionsMarkdown(JSON.parse(spec('reply-reactions.json'))),
    );
  });

  test('the chart names every state and draws every event the machine handles', () => {
    const chart = stateChart(sessionMachine);
    for (const [key, node] of Object.entries(sessionMachine.root.states)) {
      expect(chart).toContain(` ${key} `);
      for (const event of node.transitions.keys()) {
        const label =
          event === 'timer.expired'
            ? `after ${armedTimer(key)}`
            : event === 'reply.received'
              ? 'reply'
              : event;
        expect(chart, `${key}: ${event}`).toContain(label);
      }
    }
  });
});

describe('published tree', () => {
  test('every src/session module is used by src/ itself (spec generators live in scripts/, not in dist/)', () => {
    const src = new URL('../../src/', import.meta.url);
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const text = new Map(files.map((f) => [f, readFileSync(new URL(f, src), 'utf8')]));
    const unused = files
      .filter((f) => f.startsWith('session/'))
      .map((f) => f.slice('session/'.length, -'.ts'.length))
      .filter(
        (name) => ![...text].some(([f, t]) => f !== `session/${name}.ts` && t.includes(`/${name}.js'`)),
      );
    expect(unused).toEqual([]);
  });
});
