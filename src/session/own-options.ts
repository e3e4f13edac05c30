/**
 * Options as the caller gave them, safe from a polluted Object.prototype (spec/threats.md §4).
 */

/**
 * The caller's options on an object without a prototype: every key the caller's object has, its own
 * or from its own prototypes (a class instance, `Object.create(defaults)`), read through the object
 * so that getters run — but none that only Object.prototype holds. A key added to a polluted
 * Object.prototype (`security`, `dangerouslyAllowInvalidCertificates`, `atLeastOnce`, …) is never
 * an option.
 */
export function ownOptions(options: object | null | undefined): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  if (options === undefined || options === null) return out;
  for (
    let layer: object | null = options;
    layer !== null && layer !== Object.prototype;
    layer = Object.getPrototypeOf(layer) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(layer)) {
      if (key === 'constructor' && layer !== options) continue; // a class's, not an option
      if (!(key in out)) out[key] = (options as Record<string, unknown>)[key];
    }
  }
  return out;
}
