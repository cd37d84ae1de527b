/** One benchmark suite: it measures, prints as it goes, and returns its section of docs/BENCHMARKS.md. */
export interface Suite {
  readonly name: string
  /** What the suite measures, one line, for `pnpm bench --list`. */
  readonly summary: string
  run(): Promise<string>
}

/** Renders rows as a Markdown table. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
