/**
 * Where every unsettled pooled send is, in exactly one place: queued for a connection (FIFO by
 * arrival, so a retry goes back to its place), waiting out a retry back-off on a timer, or in flight
 * from taking a connection until its next step is decided (queued again, waiting, or settled).
 */
import type { Clock } from './clock.js';
import type { SendJob } from './send-job.js';

export class JobQueue {
  readonly #clock: Clock;
  #queued: SendJob[] = [];
  readonly #waiting = new Set<SendJob>();
  readonly #inFlight = new Set<SendJob>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The next send to start. */
  get head(): SendJob | undefined {
    return this.#queued[0];
  }

  get queuedCount(): number {
    return this.#queued.length;
  }

  get waitingCount(): number {
    return this.#waiting.size;
  }

  /** Sends queued or waiting for a retry (what maxQueue bounds). */
  get backlog(): number {
    return this.#queued.length + this.#waiting.size;
  }

  /** Sends holding a connection, or whose attempt ended and whose next step is not decided yet. */
  inFlight(): SendJob[] {
    return [...this.#inFlight];
  }

  queued(): SendJob[] {
    return [...this.#queued];
  }

  /** Sends waiting out a retry back-off. */
  waiting(): SendJob[] {
    return [...this.#waiting];
  }

  /** Sends not holding a connection: queued, then waiting for their back-off. */
  notInFlight(): SendJob[] {
    return [...this.#queued, ...this.#waiting];
  }

  /** Nothing queued, waiting or in flight. */
  get empty(): boolean {
    return this.backlog === 0 && this.inFlight().length === 0;
  }

  /** Queues `job` in arrival order (by id), ahead of sends that arrived after it. */
  enqueue(job: SendJob): void {
    this.#inFlight.delete(job);
    job.state = 'queued';
    let index = this.#queued.length;
    while (index > 0 && (this.#queued[index - 1]?.id ?? 0) > job.id) index--;
    this.#queued.splice(index, 0, job);
  }

  /** Takes the head for a connection that is free now. */
  start(): SendJob | undefined {
    const job = this.#queued.shift();
    if (!job) return undefined;
    job.state = 'in-flight';
    this.#inFlight.add(job);
    return job;
  }

  /** Parks `job` for `delayMs`; `onDue` runs once the back-off has passed. */
  wait(job: SendJob, delayMs: number, onDue: (job: SendJob) => void): void {
    this.#inFlight.delete(job);
    job.state = 'waiting';
    this.#waiting.add(job);
    job.timer = this.#clock.setTimeout(() => {
      job.timer = undefined;
      this.#waiting.delete(job);
      onDue(job);
    }, delayMs);
  }

  /** Removes `job` from wherever it is (it is settling). */
  detach(job: SendJob): void {
    if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
    job.timer = undefined;
    this.#waiting.delete(job);
    this.#inFlight.delete(job);
    const index = this.#queued.indexOf(job);
    if (index >= 0) this.#queued.splice(index, 1);
  }
}
