/**
 * The terminal part of the configuration (NO_COLOR, FORCE_COLOR, CI, TERM), kept apart from the
 * zod schema so `--help` starts without loading it.
 */

/** Reads a boolean-ish environment switch for the presentation layer (NO_COLOR, CI, TERM). */
export function terminalEnv(env: Record<string, string | undefined> = process.env) {
  return {
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '',
    forceColor: env.FORCE_COLOR,
    ci: env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0',
    termDumb: env.TERM === 'dumb',
  };
}
