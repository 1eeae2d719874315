/** Fetching a listing's detail pages a few at a time. */
import pLimit from 'p-limit';

/**
 * Runs `fn` over `items`, at most `concurrency` at once, and stops starting new ones after the
 * first failure (a probe's page limit, an abort, a page that is not the expected response), so a
 * failed scrape does not go on fetching hundreds of detail pages in the background.
 */
export async function forEachLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const limit = pLimit(concurrency);
  let failed = false;
  return Promise.all(
    items.map((item) =>
      limit(async () => {
        if (failed) return undefined as R;
        try {
          return await fn(item);
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    ),
  );
}
