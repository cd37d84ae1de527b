import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { ChildProcess } from 'node:child_process'

/** The built example, as `pnpm example:mesh` runs it. */
export const EXAMPLE = join(import.meta.dirname, '..', 'dist', 'main.js')

export interface ExampleRun {
  child: ChildProcess
  /** Lines printed on stdout so far. */
  lines: string[]
  /** Resolves with the exit code and everything printed on stdout. */
  done: Promise<{ code: number | null, stdout: string, stderr: string }>
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>
}

/** Runs the example in its own process, as a user would, with its output piped (so it ends by itself). */
export function runExample (args: string[]): ExampleRun {
  const child = spawn(process.execPath, [EXAMPLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
  const lines: string[] = []
  let stdout = ''
  let stderr = ''
  const waiters = new Set<() => void>()
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  createInterface({ input: child.stdout! }).on('line', line => {
    lines.push(line)
    stdout += `${line}\n`
    for (const waiter of waiters) waiter()
  })
  const done = new Promise<{ code: number | null, stdout: string, stderr: string }>(resolve => {
    child.once('exit', code => { resolve({ code, stdout, stderr }) })
  })
  return {
    child,
    lines,
    done,
    line: async (pattern, timeoutMs) => await new Promise((resolve, reject) => {
      const check = (): void => {
        for (const line of lines) {
          const match = line.match(pattern)
          if (match !== null) { finish(); resolve(match); return }
        }
      }
      const timer = setTimeout(() => { finish(); reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; stderr: ${stderr}`)) }, timeoutMs)
      const finish = (): void => { clearTimeout(timer); waiters.delete(check) }
      waiters.add(check)
      check()
    })
  }
}
