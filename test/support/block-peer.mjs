// `node --import ./block-peer.mjs`: the packages named in BLOCK_PEERS (comma-separated) cannot be
// found, as on a machine where the optional peer dependencies were not installed.
import { register } from 'node:module';

register(new URL('./block-peer-hooks.mjs', import.meta.url), {
  data: { blocked: (process.env.BLOCK_PEERS ?? '').split(',').filter(Boolean) },
});
