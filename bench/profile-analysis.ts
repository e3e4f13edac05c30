/**
 * Splits a V8 CPU profile's self time, and a sampling heap profile's allocated bytes, by layer of
 * this project (xstate, session, transport, protocol, Node core, GC); builtins are charged to their caller.
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface CpuNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}
export interface CpuProfile {
  readonly nodes: CpuNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}
export interface HeapNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: HeapNode[];
}

const SPECIAL = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

/** The layer a frame belongs to; '' for native builtins (charged to their caller). */
export function layerOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (SPECIAL.has(functionName)) return functionName;
  if (url.includes('/node_modules/xstate/')) return 'xstate';
  if (url.includes('/node_modules/nodemailer/')) return 'nodemailer';
  for (const layer of ['session', 'transport', 'protocol', 'delivery', 'errors']) {
    if (url.includes(`/src/${layer}/`) || url.includes(`/dist/${layer}/`)) return layer;
  }
  if (url.includes('/bench/')) return 'bench harness';
  if (url.startsWith('node:')) return 'node core (net, streams, timers, events)';
  if (url.includes('/node_modules/')) return 'other packages';
  return '';
}

const label = (frame: CallFrame): string =>
  `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${frame.lineNumber + 1}`;

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

export function top(map: Map<string, number>, n: number): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

export function analyseCpu(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const layer = new Map<number, string>();
  const underXstate = new Map<number, boolean>();
  const resolve = (id: number): string => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    const own = layerOf((byId.get(id) as CpuNode).callFrame);
    const up = parent.get(id);
    const value = own !== '' ? own : up === undefined ? 'native' : resolve(up);
    layer.set(id, value);
    return value;
  };
  const inXstate = (id: number): boolean => {
    const known = underXstate.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const value =
      layerOf((byId.get(id) as CpuNode).callFrame) === 'xstate' || (up !== undefined && inXstate(up));
    underXstate.set(id, value);
    return value;
  };
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let xstateInclusive = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    total += dt;
    add(layers, resolve(id), dt);
    add(functions, `[${resolve(id)}] ${label((byId.get(id) as CpuNode).callFrame)}`, dt);
    if (inXstate(id)) xstateInclusive += dt;
  });
  return { totalUs: total, layers, functions, xstateInclusiveUs: xstateInclusive };
}

export function analyseHeap(root: HeapNode) {
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, inherited: string): void => {
    const own = layerOf(node.callFrame);
    const layer = own !== '' ? own : inherited;
    total += node.selfSize;
    add(layers, layer, node.selfSize);
    if (node.selfSize > 0) add(functions, `[${layer}] ${label(node.callFrame)}`, node.selfSize);
    for (const child of node.children) walk(child, layer);
  };
  walk(root, 'native');
  return { total, layers, functions };
}
