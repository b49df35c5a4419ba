// Preloaded (NODE_OPTIONS=--require) into a child process: a machine with no network. Every
// name lookup fails as getaddrinfo does offline (ENOTFOUND), except loopback names.
/* global require, process */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dns = require('node:dns')
const local = (host) => host === 'localhost' || /^127\./.test(host) || host === '::1'
const fail = (host) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname: host,
  })
const lookup = dns.lookup
dns.lookup = function (host, options, callback) {
  const cb = typeof options === 'function' ? options : callback
  if (local(host)) return lookup.apply(this, arguments)
  process.nextTick(() => cb(fail(host)))
  return {}
}
const plookup = dns.promises.lookup
dns.promises.lookup = async (host, options) => (local(host) ? plookup(host, options) : Promise.reject(fail(host)))
