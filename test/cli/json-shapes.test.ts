import { describe, expect, test } from 'vitest';
import {
  CHECK_JSON,
  DEMO_JSON,
  FAILURE_SHAPE,
  type JsonShape,
  PASSWORD_JSON,
  renderJsonShape,
  SEND_BATCH_JSON,
  SEND_JSON,
  SIMULATE_JSON,
} from '../../src/cli/json-shapes.js';
import { runCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

const DOCUMENTED: readonly (readonly [string, readonly JsonShape[]])[] = [
  ['send', [SEND_JSON, SEND_BATCH_JSON.result, SEND_BATCH_JSON.invalid, SEND_BATCH_JSON.summary]],
  ['check', [CHECK_JSON]],
  ['password', [PASSWORD_JSON]],
  ['simulate', [SIMULATE_JSON]],
  ['demo', [DEMO_JSON]],
];

describe('--json shapes in --help', () => {
  test.each(DOCUMENTED)(
    '%s --help documents its --json output and the failure document',
    async (name, shapes) => {
      const run = await runCli([name, '--help']);
      expect(run.code).toBe(0);
      for (const shape of [...shapes, FAILURE_SHAPE]) expect(run.stdout).toContain(renderJsonShape(shape));
    },
  );

  test.each([
    ['send', ['send', '--json', '--host', '127.0.0.1']],
    ['check', ['check', '--json']],
    ['password', ['password', '--json']],
    ['simulate', ['simulate', '--json', '--rate', 'fast']],
    ['demo', ['demo', '--json', '--messages', '1']],
  ])('%s: a usage error with --json is the documented failure document', async (_name, args) => {
    const run = await runCli(args);
    expect(run.code).toBe(64);
    expect(shapeProblems(JSON.parse(run.stdout), FAILURE_SHAPE)).toEqual([]);
  });
});

describe('the shape check itself', () => {
  const shape: JsonShape = {
    title: 't',
    fields: [
      { name: 'a', type: 'number', doc: '' },
      { name: 'b', type: 'string|null', doc: '', optional: true },
      {
        name: 'c',
        type: 'object[]',
        doc: '',
        fields: [{ name: 'd', type: 'string[]', doc: '' }],
      },
      { name: 'e', type: 'record', doc: '', optional: true },
    ],
  };

  test('accepts what matches, optional fields absent or present', () => {
    expect(shapeProblems({ a: 1, c: [] }, shape)).toEqual([]);
    expect(shapeProblems({ a: 1, b: null, c: [{ d: ['x'] }], e: { k: 1 } }, shape)).toEqual([]);
  });

  test('reports missing, undocumented, mistyped and nested problems', () => {
    expect(shapeProblems({ c: [] }, shape)).toEqual(['$.a: missing']);
    expect(shapeProblems({ a: 1, c: [], z: 0 }, shape)).toEqual(['$.z: not documented']);
    expect(shapeProblems({ a: '1', b: 2, c: {} }, shape)).toEqual([
      '$.a: not number',
      '$.b: not string|null',
      '$.c: not object[]',
    ]);
    expect(shapeProblems({ a: 1, c: [{ d: ['x'] }, { d: [1], y: 1 }] }, shape)).toEqual([
      '$.c[1].y: not documented',
      '$.c[1].d: not string[]',
    ]);
    expect(shapeProblems([], shape)).toEqual(['$: not an object']);
  });
});

describe('renderJsonShape', () => {
  test('one line per field: optional ones marked ?, nested ones indented, a brief shape ends with its note', () => {
    const shape: JsonShape = {
      title: 'one object',
      fields: [
        { name: 'a', type: 'number', doc: 'the a' },
        {
          name: 'b',
          type: 'object',
          doc: 'the b',
          optional: true,
          fields: [{ name: 'c', type: 'string', doc: '' }],
        },
      ],
    };
    expect(renderJsonShape(shape)).toBe(
      [
        'JSON (--json): one object',
        `  ${'a'.padEnd(24)} ${'number'.padEnd(9)} the a`,
        `  ${'b?'.padEnd(24)} ${'object'.padEnd(9)} the b`,
        `  ${'  c'.padEnd(24)} string`,
      ].join('\n'),
    );
    expect(
      renderJsonShape({
        ...shape,
        heading: 'Lines',
        brief: { fields: [shape.fields[0]!], note: 'and more' },
      }),
    ).toBe(
      [
        'Lines: one object',
        `  ${'a'.padEnd(24)} ${'number'.padEnd(9)} the a`,
        `  ${'...'.padEnd(34)} and more`,
      ].join('\n'),
    );
  });
});
