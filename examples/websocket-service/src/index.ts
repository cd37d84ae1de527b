/**
 * A WebSocket service that balances itself: each server embeds a meshbalancer node, announces its open sockets, and
 * sheds its own excess with directed reconnects.
 *
 * @packageDocumentation
 */
export { startWebsocketService } from './service.js'
export type { WebsocketService, WebsocketServiceOptions } from './service.js'
export { ReconnectingClient } from './client.js'
export type { ClientStats, ReconnectingClientOptions } from './client.js'
export { NAMESPACE, RECONNECT_CLOSE_CODE } from './protocol.js'
export { CHAT_TOPIC } from './chat.js'
export type { ChatError, ChatMessage, ChatRequest } from './chat.js'
export type { Greeting } from './protocol.js'
