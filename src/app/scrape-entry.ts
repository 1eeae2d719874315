/** A registry entry as the scrape sees it, and whether it can be scraped as it stands (light: no browser, no pool). */
import { slugify, type RegistryEntry } from '../core/dealership.js';
import { jobProblems, type ScrapeJob } from '../scrape/runner.js';

/** The scrape job of a registry entry. */
export function toJob(entry: RegistryEntry): ScrapeJob {
  return {
    name: entry.name,
    slug: slugify(entry.name),
    aliases: entry.aliases,
    platform: entry.platform,
    siteUrl: entry.site_url || null,
    apiHost: entry.api_host ?? null,
    scraper: entry.scraper,
  };
}

/** Why a registry entry cannot be scraped as it stands (empty when it can); no request is made. */
export async function entryProblems(entry: RegistryEntry): Promise<string[]> {
  return jobProblems(toJob(entry));
}
