import { cpus, freemem, totalmem, type as osType, release } from 'node:os'

/** What the figures were measured on, for the top of docs/BENCHMARKS.md. */
export function describeMachine (): string[] {
  const cpu = cpus()
  return [
    `- Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB memory (${Math.round(freemem() / 2 ** 30)} GiB free at start)`,
    `- System: ${osType()} ${release()}`,
    `- Node.js: ${process.version}`,
    `- Date: ${new Date().toISOString().slice(0, 10)}`
  ]
}
