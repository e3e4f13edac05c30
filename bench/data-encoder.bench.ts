/**
 * Micro-benchmark for the DATA encoder (a script, not a test): `npm run bench:encoder`.
 * Prints the median MB/s (10^6 input octets per second) per case, one-shot and in 64 KiB chunks.
 */
import { performance } from 'node:perf_hooks';
import { DataEncoder, encodeData } from '../src/protocol/data-encoder.js';

const TARGET_OCTETS = 10 * 1024 * 1024;
const CHUNK_OCTETS = 64 * 1024;
const WARMUP_RUNS = 5;
const MEASURED_RUNS = 15;

const ASCII_WORDS = [
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'consectetur',
  'adipiscing',
  'elit',
  'sed',
  'do',
];
const UTF8_WORDS = ['grüße', 'naïve', 'café', '日本語', 'straße', 'ÆØÅ', 'lorem', 'ipsum', 'émile', 'señor'];

/** Deterministic pseudo-random text so runs are comparable. */
function makeBody(lineEnding: string, dotEvery: number, words = ASCII_WORDS): Uint8Array {
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const lines: string[] = [];
  let total = 0;
  for (let lineNo = 0; total < TARGET_OCTETS; lineNo++) {
    let line = dotEvery > 0 && lineNo % dotEvery === 0 ? '.' : '';
    while (line.length < 70) line += `${words[next() % words.length]} `;
    line = line.slice(0, 76);
    lines.push(line);
    total += new TextEncoder().encode(line).length + lineEnding.length;
  }
  return new TextEncoder().encode(lines.join(lineEnding) + lineEnding);
}

function oneShot(body: Uint8Array): number {
  return encodeData(body).bytes.length;
}

function chunked(body: Uint8Array): number {
  const encoder = new DataEncoder();
  let octets = 0;
  for (let at = 0; at < body.length; at += CHUNK_OCTETS) {
    octets += encoder.push(body.subarray(at, at + CHUNK_OCTETS)).length;
  }
  return octets + encoder.end().length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function measure(name: string, body: Uint8Array, run: (body: Uint8Array) => number): void {
  let outOctets = 0;
  for (let r = 0; r < WARMUP_RUNS; r++) outOctets = run(body);
  const rates: number[] = [];
  for (let r = 0; r < MEASURED_RUNS; r++) {
    const start = performance.now();
    outOctets = run(body);
    const seconds = (performance.now() - start) / 1000;
    rates.push(body.length / 1e6 / seconds);
  }
  const mbps = median(rates).toFixed(0).padStart(6);
  const range = `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`;
  console.log(`${name.padEnd(62)} ${mbps} MB/s  (min–max ${range}; ${body.length} → ${outOctets} octets)`);
}

const cases: [string, Uint8Array][] = [
  ['text, CRLF, ~76-char lines', makeBody('\r\n', 0)],
  ['text, LF only, every 3rd line starts with "."', makeBody('\n', 3)],
  ['text, CRLF, every line starts with "."', makeBody('\r\n', 1)],
  ['UTF-8 text (8-bit), CRLF', makeBody('\r\n', 0, UTF8_WORDS)],
];

console.log(`node ${process.version}, ${MEASURED_RUNS} runs after ${WARMUP_RUNS} warm-up, median`);
for (const [name, body] of cases) {
  measure(`${name} — one-shot`, body, oneShot);
  measure(`${name} — 64 KiB chunks`, body, chunked);
}
