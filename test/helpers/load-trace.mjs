// Preloaded with `node --import` (NODE_OPTIONS) by the lazy-loading test: appends the URL of every
// module loaded through the ESM loader (every `import` of the CLI, static or dynamic) to the file
// named by SILVERFOX_TEST_LOAD_TRACE.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (process.env.SILVERFOX_TEST_LOAD_TRACE) appendFileSync(process.env.SILVERFOX_TEST_LOAD_TRACE, url + '\\n');
  return next(url, context);
}
`),
);
