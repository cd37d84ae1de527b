import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { haproxyConfig } from '../src/index.js'

const doc = readFileSync(join(import.meta.dirname, '..', 'HAPROXY.md'), 'utf8')

describe('the recommended HAProxy configuration', () => {
  const sample = haproxyConfig({ bind: ':8080', servers: [1, 2, 3, 4].map(i => ({ name: `ws${i}`, address: `10.0.0.${i}:8081`, agentPort: 9081 })) })

  it('is the one HAPROXY.md shows', () => {
    const block = doc.match(/```haproxy\n([\s\S]*?)```/)
    expect(block?.[1]).toBe(sample)
  })

  it("is accepted by Debian's HAProxy, with either balance and without agents", () => {
    const dir = mkdtempSync(join(tmpdir(), 'haproxy-config-'))
    try {
      const configs = [
        sample,
        haproxyConfig({ bind: '127.0.0.1:8080', balance: 'leastconn', servers: [{ name: 'a', address: '127.0.0.1:8081' }, { name: 'b', address: '127.0.0.1:8082' }] })
      ]
      for (const [i, config] of configs.entries()) {
        const file = join(dir, `${i}.cfg`)
        writeFileSync(file, config)
        const check = spawnSync('haproxy', ['-c', '-q', '-f', file], { encoding: 'utf8' })
        expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('asks each server with an agent port for its weight, and routes ?node=NAME to that server', () => {
    expect(sample).toMatch(/^ {2}default-server check inter 250 fall 1 rise 1 weight 100 agent-inter 250$/m)
    expect(sample).toMatch(/^ {2}server ws2 10\.0\.0\.2:8081 agent-check agent-port 9081$/m)
    expect(sample).toMatch(/^ {2}use-server ws2 if \{ urlp\(node\) -m str ws2 \}$/m)
    expect(haproxyConfig({ bind: ':1', servers: [{ name: 'a', address: 'h:2' }] })).toMatch(/^ {2}server a h:2$/m)
  })
})
