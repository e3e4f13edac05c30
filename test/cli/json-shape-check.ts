/**
 * Holds a --json document to the shape documented in --help (src/cli/json-shapes.ts): every
 * documented field present (unless optional) with its type, and no field the help does not list.
 */
import type { JsonField, JsonShape } from '../../src/cli/json-shapes.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === type;
    case 'null':
      return value === null;
    case 'object':
    case 'record':
      return isObject(value);
    case 'object[]':
      return Array.isArray(value) && value.every(isObject);
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'any':
      return true;
    default:
      throw new Error(`unknown documented type ${type}`);
  }
}

export function fieldProblems(value: unknown, fields: readonly JsonField[], path = '$'): string[] {
  if (!isObject(value)) return [`${path}: not an object`];
  const problems: string[] = [];
  const documented = new Set(fields.map((field) => field.name));
  for (const key of Object.keys(value)) {
    if (!documented.has(key)) problems.push(`${path}.${key}: not documented`);
  }
  for (const field of fields) {
    const item = value[field.name];
    const at = `${path}.${field.name}`;
    if (item === undefined) {
      if (!field.optional) problems.push(`${at}: missing`);
      continue;
    }
    if (!field.type.split('|').some((type) => hasType(item, type))) {
      problems.push(`${at}: not ${field.type}`);
      continue;
    }
    if (field.fields === undefined) continue;
    const nested = field.fields;
    const elements = Array.isArray(item)
      ? item.map((element, i) => [element, `${at}[${i}]`] as const)
      : [[item, at] as const];
    for (const [element, where] of elements) problems.push(...fieldProblems(element, nested, where));
  }
  return problems;
}

/** Problems of `value` against `shape` ([] when it matches the help). */
export function shapeProblems(value: unknown, shape: JsonShape): string[] {
  return fieldProblems(value, shape.fields);
}
