import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'

/** An HTTP handler that answers with the registry in Prometheus' text format, for a `/metrics` route. */
export function metricsHandler (registry: Registry): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    registry.metrics().then(text => {
      response.writeHead(200, { 'content-type': registry.contentType }).end(text)
    }, (err: Error) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${err.message}\n`)
    })
  }
}
