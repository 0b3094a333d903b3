/** The generic webhook sink (JSON alert documents, optional HMAC-SHA256 signature). */
export { WebhookSink, type WebhookSinkOptions } from './sink.js';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signatureOf, verifySignature } from './sign.js';
