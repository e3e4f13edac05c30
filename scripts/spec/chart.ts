/**
 * Draws the session machine as a Mermaid state diagram, from the machine definition itself (so the
 * picture cannot drift from the code). spec/state-chart.mmd is this output; a test compares them.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

interface Edge {
  readonly source: string;
  readonly target: string;
  readonly label: string;
}

const HEADER = [
  '%% Generated from src/session/session-machine.ts by scripts/generate-state-chart.ts. Do not edit.',
  '%% Edges between the same two states are merged; labels: event [guard], "after X" = timer X (armed on entry) expired.',
];

export function stateChart(machine: AnyStateMachine): string {
  const root = machine.root;
  const lines = [...HEADER, 'stateDiagram-v2', `  [*] --> ${root.config.initial as string}`];
  const nodes = Object.values(root.states) as AnyStateNode[];
  for (const node of nodes) {
    if (node.type === 'final') lines.push(`  ${node.key} --> [*]`);
    if (node.always?.length) lines.push(`  state ${node.key} <<choice>>`);
  }
  for (const edge of mergeEdges(nodes.flatMap(edgesOf))) {
    lines.push(`  ${edge.source} --> ${edge.target}: ${edge.label}`);
  }
  return `${lines.join('\n')}\n`;
}

function edgesOf(node: AnyStateNode): Edge[] {
  const edges: Edge[] = [];
  for (const [eventType, transitions] of node.transitions) {
    for (const transition of transitions) {
      const targets = transition.target ?? [];
      // A targetless transition (e.g. a refused send that stays ready) is drawn as a self-loop.
      const keys = targets.length > 0 ? targets.map((target: AnyStateNode) => target.key) : [node.key];
      for (const key of keys) {
        edges.push({
          source: node.key,
          target: key,
          label: label(eventLabel(eventType, node), transition.guard),
        });
      }
    }
  }
  for (const transition of node.always ?? []) {
    for (const target of transition.target ?? []) {
      edges.push({ source: node.key, target: target.key, label: label('', transition.guard) || 'otherwise' });
    }
  }
  return edges;
}

function eventLabel(eventType: string, node: AnyStateNode): string {
  if (eventType === 'timer.expired') {
    const timer = timerArmedOnEntry(node);
    if (timer === undefined)
      throw new Error(`state ${node.key} handles timer.expired but arms no timer on entry`);
    return `after ${timer}`;
  }
  return eventType === 'reply.received' ? 'reply' : eventType;
}

/** The timer a state arms on entry (`arms(timer)` in the table), if any: named in its expiry's label. */
export function timerArmedOnEntry(node: AnyStateNode): string | undefined {
  for (const action of node.entry as readonly unknown[]) {
    const { type, params } = action as { type?: string; params?: { timer?: string } };
    if (type === 'arm' && params?.timer) return params.timer;
  }
  return undefined;
}

function label(event: string, guard: unknown): string {
  const condition = guardLabel(guard);
  return [event, condition && `[${condition}]`].filter(Boolean).join(' ');
}

function guardLabel(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard !== 'object' || guard === null) return '';
  const { type, params } = guard as { type?: string; params?: Record<string, unknown> };
  if (type === 'replyIs') return String(params?.code);
  if (type === 'replyClass') return `${String(params?.class)}xx`;
  if (type === 'settles') return `${String(params?.reply)}, next ${String(params?.next)}`;
  if (type === 'groupTaken') return 'all positive, in turn; may carry the next send';
  if (type === 'unaskedBehind') return `unasked behind (${String(params?.outstanding)})`;
  return type ?? '';
}

function mergeEdges(edges: readonly Edge[]): Edge[] {
  const merged = new Map<string, { source: string; target: string; labels: string[] }>();
  for (const edge of edges) {
    const key = `${edge.source}->${edge.target}`;
    const entry = merged.get(key) ?? { source: edge.source, target: edge.target, labels: [] };
    if (!entry.labels.includes(edge.label)) entry.labels.push(edge.label);
    merged.set(key, entry);
  }
  return [...merged.values()].map(({ source, target, labels }) => ({
    source,
    target,
    label: labels.join(', '),
  }));
}
