/** Where meshbalancer reports what it cannot throw: failed background publishes, skipped rounds, failed casts. */
export interface Logger {
  debug(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** Writes warnings and errors to stderr with a `meshbalancer:` prefix; debug output is dropped. */
export const consoleLogger: Logger = {
  debug: () => {},
  warn: (message) => { console.warn(`meshbalancer: ${message}`) },
  error: (message) => { console.error(`meshbalancer: ${message}`) }
}

/** Drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  warn: () => {},
  error: () => {}
}
