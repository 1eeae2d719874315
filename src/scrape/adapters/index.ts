/** Platform -> adapter, loaded lazily so a run imports only the adapters it uses. */
import type { Adapter } from '../types.js';

type Loader = () => Promise<Adapter<unknown>>;
const load = (p: Promise<{ adapter: unknown }>) => p.then((m) => m.adapter as Adapter<unknown>);

/** Every platform with an adapter; the registry's `platform` picks one. */
export const ADAPTERS: Record<string, Loader> = {
  'dealer.com': () => load(import('./dealer-com.js')),
  'dealer.com-post': () => load(import('./dealer-com-post.js')),
  algolia: () => load(import('./algolia.js')),
  dealeron: () => load(import('./dealeron.js')),
  'dealeron-html': () => load(import('./dealeron-html.js')),
  'team-velocity': () => load(import('./team-velocity.js')),
  'dealer-eprocess': () => load(import('./dealer-eprocess.js')),
  'toyota-smartpath': () => load(import('./toyota-smartpath.js')),
  dealr: () => load(import('./dealr.js')),
};

export const PLATFORMS = Object.keys(ADAPTERS);
