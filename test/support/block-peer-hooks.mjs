// Module resolve hook for block-peer.mjs.
let blocked = [];

export function initialize(data) {
  blocked = data.blocked;
}

export async function resolve(specifier, context, next) {
  if (blocked.includes(specifier)) {
    const error = new Error(`Cannot find package '${specifier}'`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
