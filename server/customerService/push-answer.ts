/**
 * The one answer a message-push target gives WeChat, for cloud-function push and URL push alike
 * (message-push guide: anything other than 'success' or an empty answer makes WeChat tell the user
 * the service is unavailable). Apart from handle.ts and httpPush.ts so that each function bundles
 * only the one it uses.
 */

/** What WeChat accepts as "handled" from a push target. */
export const PUSH_ANSWER = 'success'
