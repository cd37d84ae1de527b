/**
 * A WebSocket service that balances itself: each server embeds a meshbalancer node, announces its open sockets, and
 * sheds its own excess with directed reconnects; behind HAProxy, its agent steers the front door.
 *
 * @packageDocumentation
 */
export { startWebsocketService } from './service.js'
export type { WebsocketService, WebsocketServiceOptions } from './service.js'
export { ReconnectingClient } from './client.js'
export type { ClientStats, ReconnectingClientOptions } from './client.js'
export { MAX_CLOSE_REASON_BYTES, NAMESPACE, RECONNECT_CLOSE_CODE, parseReconnectHint, reconnectHint, viaFrontDoor } from './protocol.js'
export type { Greeting, ParsedHint } from './protocol.js'
export { agentReply, startAgent, FULL_WEIGHT_PERCENT, MIN_WEIGHT_PERCENT } from './agent.js'
export type { AgentPeer } from './agent.js'
export { haproxyConfig } from './haproxy-config.js'
export type { HaproxyConfigOptions, HaproxyServer } from './haproxy-config.js'
export { parseServiceArgs, SERVICE_FLAGS, USAGE } from './options.js'
export type { ServiceArgs } from './options.js'
export { CHAT_TOPIC } from './chat.js'
export type { ChatError, ChatMessage, ChatRequest } from './chat.js'
